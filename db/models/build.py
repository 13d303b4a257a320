"""Tables for the build tracker (registered on Base.metadata by db/models.py).

Checklist state lives on `checklist_items` and pipeline state on `integrations`; these tables keep
the history (what changed, who, when) that the tracker's history, burn-up chart and the leadership
forecast read, and the findings of the existing-integration review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created, intpk

SEVERITIES = ("low", "medium", "high", "critical")


class ChecklistEvent(Base):
    """One change of one checklist item (tick, untick, not applicable, note), oldest first."""

    __tablename__ = "checklist_events"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created]
    __table_args__ = (
        Index("ix_checklist_events_integration_id_created_at", "integration_id", "created_at"),
    )


class StatusChange(Base):
    """One pipeline move; an admin override keeps its reason and the items it skipped."""

    __tablename__ = "status_changes"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(254))
    override_reason: Mapped[str | None] = mapped_column(Text)
    skipped: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[created]
    __table_args__ = (
        Index("ix_status_changes_integration_id_created_at", "integration_id", "created_at"),
    )


class ReviewFinding(Base):
    """A missing feature or edge case found while reviewing an integration built before the Hub."""

    __tablename__ = "review_findings"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    finding: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[created]
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name="severity_known"),
    )
