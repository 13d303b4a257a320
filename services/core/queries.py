"""Read side for the pages: small queries over the shared tables returning pandas DataFrames or plain dicts.

(The catalog table with checklist progress is services/build/board.py ``integrations_frame``.)
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Integration, Organization, Upvote, User


def overview_counts(session: Session) -> dict[str, int]:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    statuses = dict(session.execute(select(Integration.status, func.count()).group_by(Integration.status)).all())
    return {
        "integrations": count(Integration),
        "existing": session.scalar(select(func.count()).where(Integration.existing.is_(True))) or 0,
        "organizations": count(Organization),
        "users": count(User),
        "upvotes": count(Upvote),
        **{f"status_{k}": v for k, v in statuses.items()},
    }


def _json_text(value: Any) -> str | None:
    """A JSON column's value as compact JSON text: one type per column, whatever the rows hold (objects,
    strings, lists), so the page's table converts to Arrow."""
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def audit_frame(session: Session, *, limit: int = 500, entity_type: str | None = None,
                actor: str | None = None) -> pd.DataFrame:
    """The audit log, newest first; ``before`` and ``after`` as JSON text (or None)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return pd.DataFrame([
        {"when": a.created_at, "actor": a.actor, "action": a.action, "entity": a.entity_type,
         "entity_id": a.entity_id, "before": _json_text(a.before), "after": _json_text(a.after)}
        for a in session.scalars(query)
    ], columns=["when", "actor", "action", "entity", "entity_id", "before", "after"])
