"""Webhook signing secrets of a connection: generated, shown once, stored sealed, rotated with overlap.

A secret is ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks format). Rotation makes a
new current secret and keeps the previous one valid for an overlap window (default 24 hours), so
senders can switch without dropped deliveries; verification accepts any live secret.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Connection, Integration
from db.models.credentials import WebhookSecret
from services.catalog import load_catalog
from services.connect.vault import Sealed, aad, get_vault, hint
from services.core import audit
from services.core.errors import InvalidInput, NotFound

TABLE = "webhook_secrets"
DEFAULT_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class SecretInfo:
    id: int
    hint: str
    created_at: datetime
    created_by: str
    retires_at: datetime | None

    @property
    def current(self) -> bool:
        return self.retires_at is None


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def _live(session: Session, connection_id: int) -> list[WebhookSecret]:
    now = utcnow()
    rows = session.scalars(select(WebhookSecret).where(WebhookSecret.connection_id == connection_id)
                           .order_by(WebhookSecret.id.desc())).all()
    return [r for r in rows if r.retires_at is None or r.retires_at > now]


def rotate_webhook_secret(session: Session, *, actor: str, connection_id: int,
                          overlap: timedelta = DEFAULT_OVERLAP, secret: str | None = None) -> str:
    """Create the connection's new current secret and return it (show it once; it is not readable later).

    ``secret`` stores a given value instead (import, or a provider-issued signing key)."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise NotFound(f"connection {connection_id} not found")
    if overlap < timedelta(0):
        raise InvalidInput("overlap must not be negative")
    value = secret or generate_secret()
    if len(value) < 16:
        raise InvalidInput("a webhook secret needs at least 16 characters")
    now = utcnow()
    retired = []
    for row in _live(session, connection_id):
        if row.retires_at is None:
            row.retires_at = now + overlap
            retired.append(row.hint)
    row = WebhookSecret(connection_id=connection_id, hint=hint(value), created_by=actor)
    session.add(row)
    session.flush()
    sealed = get_vault().seal(value.encode(), aad(TABLE, row.id))
    row.secret_blob, row.key_id = sealed.blob, sealed.key_id
    audit.record(session, actor=actor, action="webhook_secret.rotated" if retired else "webhook_secret.created",
                 entity_type="connection", entity_id=connection_id,
                 after={"secret": row.hint, "previous_valid_until": (now + overlap).isoformat() if retired else None})
    session.flush()
    return value


@dataclass(frozen=True)
class NewSecret:
    secret: str                               # show it once
    previous_valid_until: datetime | None     # set when an existing secret was rotated


def receives_webhooks(session: Session, connection_id: int) -> bool:
    """Whether deliveries to this connection are verified with its secrets: its integration has an inbound
    signature scheme (catalog ``auth.signature``), whatever the connection's auth type (a WordPress shared
    header, an ActiveCampaign or Mailchimp URL secret, Calendly without Subscribe ...)."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise NotFound(f"connection {connection_id} not found")
    slug = session.get_one(Integration, conn.integration_id).slug
    return conn.auth_type == "webhook" or bool(load_catalog().get(slug).auth.signature)


def create_webhook_secret(session: Session, *, actor: str, connection_id: int, rotate: bool = False,
                          overlap: timedelta = DEFAULT_OVERLAP) -> NewSecret:
    """The connection's first webhook secret, or (``rotate``) a new one replacing the current secret; audited
    by :func:`rotate_webhook_secret`. Refuses a connection that already has one unless ``rotate`` (the message
    holds nothing secret), a revoked connection, and one whose integration receives no webhooks."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise NotFound(f"connection {connection_id} not found")
    if conn.status == "revoked":
        raise InvalidInput(f"connection {connection_id} is revoked; reconnect it before creating a webhook secret")
    if not receives_webhooks(session, connection_id):
        name = load_catalog().get(session.get_one(Integration, conn.integration_id).slug).name
        raise InvalidInput(f"connection {connection_id}: {name} does not receive webhooks, so it has no webhook "
                           "secret")
    current = [r for r in _live(session, connection_id) if r.retires_at is None]
    if current and not rotate:
        raise InvalidInput(f"connection {connection_id} already has a webhook secret (created "
                           f"{current[0].created_at:%Y-%m-%d %H:%M} UTC by {current[0].created_by}); pass --rotate "
                           "to replace it")
    now = utcnow()
    value = rotate_webhook_secret(session, actor=actor, connection_id=connection_id, overlap=overlap)
    return NewSecret(value, now + overlap if current else None)


def live_webhook_secrets(session: Session, connection_id: int) -> list[str]:
    """Every secret a delivery may be signed with right now (current first)."""
    vault = get_vault()
    return [vault.open(Sealed(r.key_id, r.secret_blob), aad(TABLE, r.id)).decode()
            for r in _live(session, connection_id) if r.secret_blob is not None and r.key_id is not None]


def list_webhook_secrets(session: Session, connection_id: int) -> list[SecretInfo]:
    return [SecretInfo(r.id, r.hint, r.created_at, r.created_by, r.retires_at)
            for r in _live(session, connection_id)]
