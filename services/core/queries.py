"""Read side for the pages: small queries over the shared tables returning pandas DataFrames or plain dicts.

(The catalog table with checklist progress is services/build/board.py ``integrations_frame``.)
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Integration, Organization, StaffUser, Upvote, User
from services.core.text import BLANK


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


def audit_entities(session: Session) -> list[str]:
    """The entity types the audit log holds, sorted: the choices of the page's entity filter."""
    return sorted(session.scalars(select(AuditEntry.entity_type).distinct()))


def audit_entity_ids(session: Session, entity_type: str) -> list[str]:
    """The ids the audit log holds for one entity type, sorted (numbers by value); none for entries without one."""
    ids = session.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity_type == entity_type,
                                                               AuditEntry.entity_id.is_not(None)).distinct())
    return sorted((i for i in ids if i), key=lambda i: (not i.isdigit(), int(i) if i.isdigit() else 0, i))


def audit_entity_labels(session: Session, entity_type: str, ids: list[str]) -> dict[str, str]:
    """How the entity filter names each id: a staff user by their email (their id alone says nothing); others as
    they are."""
    labels = {i: i for i in ids}
    if entity_type == "staff_user":
        numbers = [int(i) for i in ids if i.isdigit()]
        for staff_id, email in session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(numbers))):
            labels[str(staff_id)] = f"{email} ({staff_id})"
    return labels


def audit_frame(session: Session, *, limit: int = 500, entity_type: str | None = None,
                entity_id: str | None = None, actor: str | None = None) -> pd.DataFrame:
    """The audit log, newest first: ``changes`` as readable text ("status: planned → building"); ``before`` and
    ``after`` in full as JSON text (or None), for the entry a person opens. ``actor`` matches any part of the
    actor, whatever the case; ``entity_id`` only with ``entity_type``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
        if entity_id:
            query = query.where(AuditEntry.entity_id == entity_id)
    if actor and actor.strip():
        query = query.where(func.lower(AuditEntry.actor).contains(actor.strip().lower(), autoescape=True))
    return pd.DataFrame([
        {"when": a.created_at, "actor": a.actor, "action": a.action, "entity": a.entity_type,
         "entity_id": a.entity_id or BLANK, "changes": changes_text(a.before, a.after),
         "before": _json_text(a.before), "after": _json_text(a.after)}
        for a in session.scalars(query)
    ], columns=["when", "actor", "action", "entity", "entity_id", "changes", "before", "after"])


def changes_text(before: Any, after: Any) -> str:
    """An audit entry's change, readable: ``field: old → new`` for each field that changed (`` · `` between
    them); a new record lists its values, a removed one ``field: old → —``. Fields empty on both sides are
    left out. Rows whose JSON columns hold something other than objects read ``old → new``."""
    if before is None and after is None:
        return ""
    if not isinstance(before or {}, dict) or not isinstance(after or {}, dict):
        return f"{_value_text(before)} → {_value_text(after)}"
    old, new = before or {}, after or {}
    parts = []
    for field in sorted(set(old) | set(new)):
        a, b = old.get(field), new.get(field)
        if a == b or (_empty(a) and _empty(b)):
            continue
        if before is None:
            parts.append(f"{field}: {_value_text(b)}")
        else:
            parts.append(f"{field}: {_value_text(a)} → {_value_text(b)}")
    return " · ".join(parts) or "no change"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _value_text(value: Any) -> str:
    if _empty(value):
        return BLANK
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)
