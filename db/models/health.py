"""Tables for API health (registered on Base.metadata by db/models.py): alert thresholds per customer
tier, health sweeps with their results, and alert deliveries.

The foundation tables `api_calls` (the call log), `test_runs` (credential-test history) and `alerts`
live in db/models.py; revision 0006 adds the index the per-connection alert rules read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created, intpk
from db.models.core import ApiCall

# The alert rules read a connection's latest calls: one index serves "last N" and "since T".
Index("ix_api_calls_connection_id_created_at", ApiCall.connection_id, ApiCall.created_at)


class AlertThreshold(Base):
    """When a connection of a tier raises an alert (rows override services/monitoring/alerts.py defaults)."""

    __tablename__ = "alert_thresholds"
    id: Mapped[intpk]
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"), unique=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    failure_rate: Mapped[float] = mapped_column(Float)          # 0..1, over the window
    window_minutes: Mapped[int] = mapped_column(Integer)
    min_calls: Mapped[int] = mapped_column(Integer)             # the rate rule needs at least this many calls
    updated_by: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[created]
    __table_args__ = (
        CheckConstraint("consecutive_failures >= 1", name="consecutive_positive"),
        CheckConstraint("failure_rate > 0 AND failure_rate <= 1", name="rate_fraction"),
        CheckConstraint("window_minutes >= 1", name="window_positive"),
        CheckConstraint("min_calls >= 1", name="min_calls_positive"),
    )


class HealthSweep(Base):
    """One run of "check all connections" (page or `layers-hub sweep`)."""

    __tablename__ = "health_sweeps"
    id: Mapped[intpk]
    actor: Mapped[str] = mapped_column(String(254))
    service: Mapped[str | None] = mapped_column(String(64))    # None: every integration
    concurrency: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    started_at: Mapped[created]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SweepResult(Base):
    """One connection's credential check within a sweep."""

    __tablename__ = "health_sweep_results"
    id: Mapped[intpk]
    sweep_id: Mapped[int] = mapped_column(ForeignKey("health_sweeps.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32))
    diagnosis: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    checked_at: Mapped[created]


class AlertDelivery(Base):
    """One attempt to deliver an alert event (raised or cleared) to the webhook URL or by email."""

    __tablename__ = "alert_deliveries"
    id: Mapped[intpk]
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(300))          # host or address only, never a token
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[created]
    __table_args__ = (
        CheckConstraint("event IN ('raised', 'cleared')", name="event_known"),
        CheckConstraint("channel IN ('webhook', 'email')", name="channel_known"),
    )
