"""procrastinate wiring (PostgreSQL): one App per use, the schema, the worker.

Task bodies are the plain functions of ``registry.JOBS`` (``services.jobs.tasks``): each takes row ids, and the
row is the truth (its status says what is left to do), so a job run twice, or lost with a killed worker, is
harmless: a claim makes the second run a no-op, and the periodic pass re-queues what was never done.

Two apps per process at most: the worker's (async psycopg pool, ``run_worker``) and a small synchronous one that
defers (web replicas, the CLI, tasks deferring follow-ups), cached per database URL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate.app import WorkerOptions
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from services.jobs.registry import JOBS, conninfo

log = logging.getLogger(__name__)

SCHEMA_LOCK = 7_316_016   # advisory lock: two `db upgrade` at once apply procrastinate's schema once


def stalled_after_s() -> float:
    """A worker silent this long is dead (kill -9, machine gone): its running jobs are retried. Heartbeats go out
    every third of it. ``HUB_WORKER_STALLED_S`` (default 30, procrastinate's own default)."""
    return max(1.0, float(os.environ.get("HUB_WORKER_STALLED_S", "30")))


async def retry_stalled(app: App) -> int:
    """Put back to ``todo`` the jobs of workers whose heartbeat stopped; their rows are still undone (a killed
    worker's transaction rolled back) or done (the retry's claim then matches nothing)."""
    manager = app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s()))
    retried = 0
    for job in stalled:
        try:
            await manager.retry_job(job)
            retried += 1
        except Exception as exc:   # another worker retried it first
            log.info("stalled job %s not retried here (%s)", job.id, type(exc).__name__)
    if retried:
        log.warning("retried %s job(s) of stalled workers", retried)
    return retried


async def _watch_stalled(app: App) -> None:
    """Every worker checks for stalled workers' jobs itself (whatever its queues and its periodic setting), every
    third of the stall time: a job of a killed worker needs no particular queue or scheduler to come back."""
    while True:
        await asyncio.sleep(stalled_after_s() / 3)
        try:
            await retry_stalled(app)
        except Exception as exc:   # the database away for a moment: the next round
            log.warning("stalled-job check failed (%s)", type(exc).__name__)


def _register(app: App, *, periodic: bool = True) -> App:
    for j in JOBS.values():
        lock = j.name if j.exclusive else None
        retry: RetryStrategy | bool = (RetryStrategy(max_attempts=j.retries, exponential_wait=2) if j.retries
                                       else False)
        task = app.task(name=j.name, queue=j.queue, retry=retry, lock=lock, queueing_lock=lock)(j.func)
        if j.cron and periodic:
            app.periodic(cron=j.cron, periodic_id=j.name)(task)
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

    async def run() -> None:
        async with app.open_async():
            watcher = asyncio.create_task(_watch_stalled(app))
            try:
                options: WorkerOptions = {
                    "concurrency": concurrency, "name": name or f"{socket.gethostname()}:{os.getpid()}",
                    "update_heartbeat_interval": stalled / 3, "stalled_worker_timeout": stalled,
                    "delete_jobs": "successful", "install_signal_handlers": True}
                if queues:   # none given: every queue (an empty list would mean none)
                    options["queues"] = queues
                await app.run_worker_async(**options)
            finally:
                watcher.cancel()

    asyncio.run(run())


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
