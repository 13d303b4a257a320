"""procrastinate wiring (PostgreSQL): one App per use, the schema, the worker.

Task bodies are the plain functions of ``registry.JOBS`` (``services.jobs.tasks``): each takes row ids, and the
row is the truth (its status says what is left to do), so a job run twice, or lost with a killed worker, is
harmless: a claim makes the second run a no-op, and the periodic pass re-queues what was never done.

Two apps per process at most: the worker's (async psycopg pool, ``run_worker``) and a small synchronous one that
defers (web replicas, the CLI, tasks deferring follow-ups), cached per database URL.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from services.jobs.registry import JOBS, conninfo

log = logging.getLogger(__name__)

SCHEMA_LOCK = 7_316_016   # advisory lock: two `db upgrade` at once apply procrastinate's schema once
RETRY_STALLED = "retry_stalled_jobs"


def stalled_after_s() -> float:
    """A worker silent this long is dead (kill -9, machine gone): its running jobs are retried. Heartbeats go out
    every third of it. ``HUB_WORKER_STALLED_S`` (default 30, procrastinate's own default)."""
    return max(1.0, float(os.environ.get("HUB_WORKER_STALLED_S", "30")))


async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Put back to ``todo`` the jobs of workers whose heartbeat stopped; their rows are still undone (a killed
    worker's transaction rolled back) or done (the retry's claim then matches nothing)."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s()))
    for job in stalled:
        await manager.retry_job(job)
    if stalled:
        log.warning("retried %s job(s) of stalled workers: %s", len(stalled), [j.id for j in stalled])
    return len(stalled)


def _register(app: App, *, periodic: bool = True) -> App:
    for j in JOBS.values():
        lock = j.name if j.exclusive else None
        retry: RetryStrategy | bool = (RetryStrategy(max_attempts=j.retries, exponential_wait=2) if j.retries
                                       else False)
        task = app.task(name=j.name, queue=j.queue, retry=retry, lock=lock, queueing_lock=lock)(j.func)
        if j.cron and periodic:
            app.periodic(cron=j.cron, periodic_id=j.name)(task)
    stalled = app.task(name=RETRY_STALLED, queue="maintenance", pass_context=True, lock=RETRY_STALLED,
                       queueing_lock=RETRY_STALLED)(retry_stalled_jobs)
    if periodic:
        app.periodic(cron="*/5 * * * * *", periodic_id=RETRY_STALLED)(stalled)
    return app


@cache
def deferrer(url: str) -> App:
    """The synchronous app that queues jobs from this process (opened once per database URL)."""
    app = _register(App(connector=SyncPsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4,
                                                        name="hub-defer")))
    app.open()
    _OPENED.append(app)
    return app


_OPENED: list[App] = []


def close_deferrers() -> None:
    """Close the pools (tests and benchmarks, before dropping a scratch database)."""
    for app in _OPENED:
        app.close()
    _OPENED.clear()
    deferrer.cache_clear()


def defer(url: str, name: str, payloads: Iterable[Mapping[str, Any]], *, lock: str | None = None) -> list[int]:
    """Queue ``name`` once per payload; ``lock`` (a format string over the payload) skips a payload whose job is
    already queued and not started (procrastinate's queueing lock), e.g. one delivery re-found by each pass."""
    task = deferrer(url).tasks[name]
    rows: list[dict[str, Any]] = [dict(p) for p in payloads]
    if lock is None:
        return task.batch_defer(*rows) if rows else []
    ids = []
    for payload in rows:
        try:
            ids.append(task.configure(queueing_lock=lock.format(**payload)).defer(**payload))
        except AlreadyEnqueued:
            continue
    return ids


def run_worker(url: str, *, queues: list[str] | None, concurrency: int, name: str | None = None,
               periodic: bool = True) -> None:
    """Run a worker until SIGINT/SIGTERM (then it finishes its jobs): the queues' jobs and (unless ``periodic`` is
    off, e.g. a benchmark's workers) the periodic ones."""
    stalled = stalled_after_s()
    app = _register(App(connector=PsycopgConnector(conninfo=conninfo(url), min_size=1,
                                                   max_size=concurrency + 3, name="hub-worker")), periodic=periodic)
    app.run_worker(queues=queues, concurrency=concurrency, name=name or f"{socket.gethostname()}:{os.getpid()}",
                   update_heartbeat_interval=stalled / 3, stalled_worker_timeout=stalled,
                   delete_jobs="successful", install_signal_handlers=True)


def schema_applied(url: str) -> bool:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    return bool(row and row[0])


def apply_schema(url: str) -> bool:
    """procrastinate's schema (its own SQL, pinned with the package version), applied once under an advisory
    lock; True when it was applied now. Not an Alembic revision: the models' schema check compares our tables
    only, and procrastinate upgrades come with its own migration files (docs/deployment.md)."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            if row and row[0]:
                return False
            with conn.transaction():
                conn.execute(SchemaManager.get_schema().encode())
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
