"""Read side for the pages: small queries returning pandas DataFrames or plain dicts."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, ChecklistItem, Integration, Organization, Upvote, User
from services.catalog import load_catalog


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


def integrations_frame(session: Session) -> pd.DataFrame:
    """Every catalog integration with its pipeline status and checklist progress."""
    done = func.sum(case((ChecklistItem.state != "todo", 1), else_=0))
    progress = dict(session.execute(
        select(ChecklistItem.integration_id, done * 100 / func.count()).group_by(ChecklistItem.integration_id)
    ).all())
    catalog = load_catalog()
    rows = []
    for i in session.scalars(select(Integration).order_by(Integration.category, Integration.name)):
        spec = catalog.integrations.get(i.slug)
        rows.append({
            "slug": i.slug, "name": i.name, "category": catalog.categories.get(i.category, i.category),
            "auth": i.auth_method, "status": i.status, "existing": i.existing,
            "upvoting": "open" if i.upvoting_open else "closed",
            "top10": i.top10_rank, "actions": len(spec.actions) if spec else 0,
            "triggers": len(spec.triggers) if spec else 0,
            "checklist_pct": round(float(progress.get(i.id, 0) or 0)),
        })
    return pd.DataFrame(rows)


def audit_frame(session: Session, *, limit: int = 500, entity_type: str | None = None,
                actor: str | None = None) -> pd.DataFrame:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return pd.DataFrame([
        {"when": a.created_at, "actor": a.actor, "action": a.action, "entity": a.entity_type,
         "entity_id": a.entity_id, "before": a.before, "after": a.after}
        for a in session.scalars(query)
    ], columns=["when", "actor", "action", "entity", "entity_id", "before", "after"])
