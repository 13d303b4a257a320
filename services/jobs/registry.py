"""The Hub's jobs by name: queue, locks and schedule. Filled by ``services.jobs.tasks`` at import.

Kept apart from the task bodies so the procrastinate wiring (``queue``) and the in-process runner (``embedded``)
can read it without importing the tasks, which themselves defer follow-up jobs (``dispatch``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from services.core.config import ConfigError

WEBHOOKS, NOTIFY, MAINTENANCE = "webhooks", "notify", "maintenance"
QUEUES = (WEBHOOKS, NOTIFY, MAINTENANCE)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Any]
    queue: str
    cron: str | None = None          # periodic (procrastinate cron, seconds field allowed)
    every_s: float | None = None     # the same period for the embedded runner
    exclusive: bool = False          # periodic: one queued and one running at a time (queueing lock + lock)
    retries: int = 0                 # procrastinate retries on an exception (a database outage, a failed delivery)


JOBS: dict[str, Job] = {}


def job(name: str, *, queue: str, cron: str | None = None, every_s: float | None = None,
        exclusive: bool = False, retries: int = 0) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in JOBS:
            raise RuntimeError(f"job {name!r} registered twice")
        JOBS[name] = Job(name, func, queue, cron, every_s, exclusive, retries)
        return func
    return register


def periodic() -> list[Job]:
    return [j for j in JOBS.values() if j.cron]


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def uses_queue(url: str) -> bool:
    """Whether jobs go through procrastinate (any worker process runs them) or the embedded runner (the process
    that defers runs them). ``HUB_JOBS``: ``queue`` (the default on PostgreSQL) or ``embedded`` (the only choice
    on SQLite, where procrastinate cannot run; on PostgreSQL a one-process deployment without workers)."""
    postgresql = is_postgresql(url)
    mode = os.environ.get("HUB_JOBS", "").strip() or ("queue" if postgresql else "embedded")
    if mode not in ("queue", "embedded"):
        raise ConfigError(f"HUB_JOBS must be queue or embedded, not {mode!r}")
    if mode == "queue" and not postgresql:
        raise ConfigError("HUB_JOBS=queue needs DATABASE_URL on PostgreSQL (procrastinate's job queue)")
    return mode == "queue"


def conninfo(url: str) -> str:
    """The libpq URL procrastinate's psycopg pool connects with (SQLAlchemy's names the driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
