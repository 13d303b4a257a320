"""Keep the integrations table in step with the declarative catalog (reference data only).

Each integration's checklist rows are the build tracker's (services/build/checklist.py ``ensure_checklists``);
services/setup.py runs both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Integration
from services.catalog import Catalog, load_catalog
from services.core import audit


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int


def sync_catalog(session: Session, catalog: Catalog | None = None, actor: str = "system") -> SyncResult:
    """Insert new integrations and refresh descriptive fields of known ones.

    Status, the existing flag and upvoting are owned by staff once a row exists, so they are only
    set when the row is created.
    """
    catalog = catalog or load_catalog()
    rows = {i.slug: i for i in session.scalars(select(Integration))}
    added = updated = 0
    for spec in catalog:
        row = rows.get(spec.slug)
        described = {"name": spec.name, "category": spec.category, "auth_method": spec.auth.method,
                     "top10_rank": spec.top10_rank, "seed_priority": spec.priority}
        if row is None:
            row = Integration(slug=spec.slug, existing=spec.existing,
                              status="available" if spec.existing else "requested",
                              upvoting_open=not spec.existing, status_changed_at=utcnow(), **described)
            session.add(row)
            session.flush()
            audit.record(session, actor=actor, action="integration.catalog_added", entity_type="integration",
                         entity_id=spec.slug, after={**described, "existing": spec.existing})
            added += 1
        else:
            before = {k: getattr(row, k) for k in described}
            if before != described:
                for k, v in described.items():
                    setattr(row, k, v)
                audit.record(session, actor=actor, action="integration.catalog_updated",
                             entity_type="integration", entity_id=spec.slug, before=before, after=described)
                updated += 1
    session.flush()
    return SyncResult(added, updated)
