"""The audit log: every change made through the Hub records who, what, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEntry


def record(session: Session, *, actor: str, action: str, entity_type: str, entity_id: object | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Add an audit entry to the caller's unit of work (committed together with the change)."""
    entry = AuditEntry(actor=actor, action=action, entity_type=entity_type,
                       entity_id=None if entity_id is None else str(entity_id),
                       before=before, after=after)
    session.add(entry)
    return entry
