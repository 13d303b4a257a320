"""Tables for inbound webhooks (triggers), Zapier REST hooks and outbound deliveries (issue 9).

Registered on Base.metadata by db/models.py; created by revision 0007 (``provider_apps``: 0008).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime, created, intpk, utcnow

EVENT_STATUSES = ("received", "handled", "ignored", "failed")
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed", "disabled")


class WebhookEvent(Base):
    """One verified inbound event; (connection, dedupe_key) is unique so a replayed delivery adds nothing.

    ``dedupe_key`` is the provider's event id when it sends one, else ``sha256:<hex of the raw body>``.
    ``payload`` is stored with secret-looking values redacted.
    """

    __tablename__ = "webhook_events"
    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str | None] = mapped_column(String(200))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    scheme: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="received")
    trigger: Mapped[str | None] = mapped_column(String(64))
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload: Mapped[Any] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[created]
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        UniqueConstraint("connection_id", "dedupe_key"),
        Index("ix_webhook_events_connection_id_received_at", "connection_id", "received_at"),
    )


class WebhookRejection(Base):
    """A delivery to a known connection, or to a provider app's URL (``app_id``, no connection: HubSpot's
    app-level route), that failed verification or parsing: why, never the body."""

    __tablename__ = "webhook_rejections"
    id: Mapped[intpk]
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[created]


class ZapierHook(Base):
    """A REST-hook subscription: Zapier's target URL for one event of a Zapier connection."""

    __tablename__ = "zapier_hooks"
    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(130))
    target_url: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created]
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(300))


class WebhookDelivery(Base):
    """One outbound event to one hook, signed with Standard Webhooks headers; ``log`` lists the attempts.

    pending → sending (claimed at ``claimed_at``, committed before any HTTP) → delivered / failed / disabled
    (410). A claim older than ``zapier.CLAIM_LEASE`` (the sender died mid-send) is taken over by the next
    delivery pass and resent with the same ``msg_id`` (the ``webhook-id`` receivers de-duplicate on); the
    interrupted send counts as an attempt."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[intpk]
    hook_id: Mapped[int] = mapped_column(ForeignKey("zapier_hooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_events.id", ondelete="SET NULL"), index=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(130))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[created]
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())      # the current sender's lease
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProviderApp(Base):
    """The Hub's own app at a provider (the HubSpot public app whose webhook settings and subscriptions the
    Hub manages): its id in clear, its developer credentials sealed like every secret.

    One row per (integration, sandbox): the sandbox app serves sandbox connections. ``secret_blob`` is the
    vault-sealed JSON ``{"developer_api_key": ...}`` (AAD ``provider_apps:<id>``); ``hint`` shows at most
    the last 4 characters. Written by services/webhooks/apps.py; created by revision 0008.
    """

    __tablename__ = "provider_apps"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    app_id: Mapped[str] = mapped_column(String(64))
    secret_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (UniqueConstraint("integration_id", "sandbox"),)
