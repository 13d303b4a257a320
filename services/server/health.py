"""What GET /api/health reports: the database answers and is migrated to head; the background jobs (queue depth,
the oldest queued job's age, workers' heartbeats: services/jobs/status.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db import migrate
from db.models import Integration
from db.session import session_scope
from services.jobs.status import job_status


def health(url: str | None = None) -> tuple[bool, dict[str, Any]]:
    try:
        revision, head = migrate.current_revision(url), migrate.head_revision()
        with session_scope(url) as session:
            integrations = session.scalar(select(func.count()).select_from(Integration)) or 0
    except Exception as exc:  # health must answer, whatever broke
        return False, {"status": "error", "database": "unreachable", "error": type(exc).__name__}
    ok = revision == head
    try:
        jobs: dict[str, Any] = job_status(url)
    except Exception as exc:   # e.g. the queue's schema missing (`db upgrade` not run): say so, still answer
        jobs, ok = {"error": type(exc).__name__}, False
    return ok, {"status": "ok" if ok else "degraded", "database": "ok", "revision": revision,
                "head": head, "integrations": integrations, "jobs": jobs}
