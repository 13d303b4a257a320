"""Staff changes to integrations that don't belong to a specific workflow (audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Integration
from services.core import audit
from services.core.errors import NotFound


def get_integration(session: Session, slug: str) -> Integration:
    row = session.scalar(select(Integration).where(Integration.slug == slug))
    if row is None:
        raise NotFound(f"integration {slug!r} is not in the catalog")
    return row


def set_existing(session: Session, *, actor: str, slug: str, existing: bool) -> Integration:
    """Mark an integration as already integrated in Layers (it leaves the demand ranking)."""
    row = get_integration(session, slug)
    before = {"existing": row.existing, "status": row.status, "upvoting_open": row.upvoting_open}
    if row.existing == existing:
        return row
    row.existing = existing
    if existing:
        row.status, row.upvoting_open, row.status_changed_at = "available", False, utcnow()
    audit.record(session, actor=actor, action="integration.existing_changed", entity_type="integration",
                 entity_id=slug, before=before,
                 after={"existing": row.existing, "status": row.status, "upvoting_open": row.upvoting_open})
    session.flush()
    return row
