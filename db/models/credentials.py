"""Tables for the credentials vault and connections feature (registered on Base.metadata by db/models.py).

The connections and oauth_states tables live in db/models.py (foundation); revision 0004 adds their
credential columns. Webhook secrets get their own table so a rotation can keep the previous secret
valid for an overlap window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created, intpk


class WebhookSecret(Base):
    """One signing secret of a connection; encrypted like every credential (AAD = this row's id).

    The current secret has ``retires_at`` NULL; a rotated-out secret stays valid until ``retires_at``.
    """

    __tablename__ = "webhook_secrets"
    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    secret_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[created]
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
