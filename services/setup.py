"""Database setup used by `layers-hub db upgrade` and `make run`."""

from __future__ import annotations

from dataclasses import dataclass

from db import migrate
from db.session import database_url, session_scope
from services.build.checklist import ensure_checklists
from services.catalog.sync import SyncResult, sync_catalog
from services.demand.ranking import ensure_settings
from services.demand.tiers import sync_tiers
from services.demand.upvotes import ensure_aggregates
from services.jobs import queue
from services.jobs.registry import is_postgresql


@dataclass(frozen=True)
class UpgradeResult:
    revision: str | None
    tiers_added: int
    catalog: SyncResult
    checklist_items: int
    job_schema: str = "n/a"        # PostgreSQL: procrastinate's schema "applied" now or "present"; SQLite "n/a"


def upgrade_database(url: str | None = None) -> UpgradeResult:
    """Migrate to head, apply procrastinate's schema on PostgreSQL, then sync reference data (catalog, tiers).
    Never adds demo rows."""
    migrate.upgrade(url)
    job_schema = "n/a"
    if is_postgresql(url or database_url()):
        job_schema = "applied" if queue.apply_schema(url or database_url()) else "present"
    with session_scope(url) as session:
        tiers = sync_tiers(session)
        catalog = sync_catalog(session)
        items = ensure_checklists(session)
        ensure_settings(session)
        ensure_aggregates(session)
    return UpgradeResult(migrate.current_revision(url), tiers, catalog, items, job_schema)
