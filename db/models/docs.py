"""Tables for the integration guides (registered on Base.metadata by db/models.py).

A guide's text lives in docs/integrations/<slug>.md and its generated parts come from the catalog at
render time; the database only keeps who published it, when, and a hash of the written text then.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, intpk, utcnow


class GuidePublication(Base):
    """An engineer published this integration's guide (deleted when unpublished; the audit log keeps both)."""

    __tablename__ = "guide_publications"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), unique=True)
    published_by: Mapped[str] = mapped_column(String(254))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    written_sha256: Mapped[str] = mapped_column(String(64))   # the written part as published
