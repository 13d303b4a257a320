"""The job figures of ``/api/health`` and the API health page: queue depth, the oldest queued job's age, running
and failed jobs, and the workers' heartbeats (procrastinate's ``procrastinate_workers`` table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from db.session import database_url, session_scope
from services.jobs.embedded import RUNNER
from services.jobs.queue import stalled_after_s
from services.jobs.registry import uses_queue

_QUEUE = text("""
SELECT count(*) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())) AS queued,
       count(*) FILTER (WHERE j.status = 'doing') AS running,
       count(*) FILTER (WHERE j.status = 'failed') AS failed,
       extract(epoch FROM now() - min(d.at) FILTER (
           WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))) AS oldest_s
  FROM procrastinate_jobs j
  LEFT JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred'
 WHERE j.status IN ('todo', 'doing', 'failed')""")
_PER_QUEUE = text("""SELECT queue_name, count(*) FROM procrastinate_jobs
 WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()) GROUP BY queue_name ORDER BY queue_name""")
_WORKERS = text("""SELECT id, extract(epoch FROM now() - last_heartbeat) AS age FROM procrastinate_workers
 ORDER BY id""")


def job_status(url: str | None = None) -> dict[str, Any]:
    """``backend`` "queue" (procrastinate) or "embedded" (this process runs the jobs: only its own figures)."""
    url = url or database_url()
    if not uses_queue(url):
        return {"backend": "embedded", "queued": RUNNER.pending, "running": None, "failed": None, "oldest_s": None,
                "queues": {}, "workers": [], "workers_alive": None}
    stalled = stalled_after_s()
    with session_scope(url) as session:
        row = session.execute(_QUEUE).one()
        per_queue = {name: int(n) for name, n in session.execute(_PER_QUEUE)}
        workers = [{"id": int(i), "heartbeat_age_s": round(float(age), 1), "alive": float(age) < stalled}
                   for i, age in session.execute(_WORKERS)]
    return {"backend": "queue", "queued": int(row.queued or 0), "running": int(row.running or 0),
            "failed": int(row.failed or 0),
            "oldest_s": round(float(row.oldest_s), 1) if row.oldest_s is not None else None,
            "queues": per_queue, "workers": workers, "workers_alive": sum(w["alive"] for w in workers)}
