"""Background work of the server process (st.App ``lifespan``, app.py).

Embedded (SQLite, or ``HUB_JOBS=embedded``): the server runs the periodic jobs itself (services/jobs/tasks.py:
the pending pass every ``recovery.INTERVAL_S``, the health sweep, retention), so `make run` needs no worker and no
cron. Queue (PostgreSQL): the workers run them (`layers-hub worker`); the server only defers jobs. Running a
pass twice (several servers, a worker, the CLI) is safe: every row is claimed in the transaction that handles it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from db.session import database_url
from services.jobs import tasks
from services.jobs.embedded import RUNNER
from services.jobs.registry import JOBS, uses_queue

log = logging.getLogger(__name__)

__all__ = ["lifespan", "tasks"]   # importing tasks registers the jobs


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        if not uses_queue(database_url()):
            for job in JOBS.values():
                if job.every_s:
                    group.start_soon(RUNNER.periodic, job)
        else:
            log.info("jobs run on the procrastinate queue: start `layers-hub worker` processes")
        try:
            yield None
        finally:
            group.cancel_scope.cancel()
