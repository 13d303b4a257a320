"""The in-process runner (SQLite, or ``HUB_JOBS=embedded``): the same job functions, run by the process that
defers them, and the periodic ones on their period inside the server (``services/server/background.py``).

A new user runs one command (`make run`) and no worker. Rows stay the truth here too: what a stopped process did
not finish is still pending in its table, and the next periodic pass takes it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import anyio

from db.outage import is_outage
from services.jobs.registry import JOBS, Job

log = logging.getLogger(__name__)

THREADS = 4


class Runner:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.pending = 0
        self.last_run: dict[str, float] = {}   # periodic job -> when it last finished (time.time())

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="hub-job")
            return self._pool

    def run(self, job: Job, payload: Mapping[str, Any]) -> Any:
        """Run one job now in this thread; an error is logged (the row keeps its state for the next pass)."""
        try:
            return job.func(**payload)
        except Exception as exc:
            if is_outage(exc) or is_outage(exc.__context__):
                log.warning("job %s: the database is unreachable; the next pass takes it up", job.name)
            else:
                log.exception("job %s failed", job.name)
            return None

    def submit(self, name: str, payloads: Iterable[Mapping[str, Any]]) -> list[Future[Any]]:
        job = JOBS[name]
        futures = []
        for payload in payloads:
            with self._lock:
                self.pending += 1
            future = self._executor().submit(self.run, job, dict(payload))
            future.add_done_callback(self._done)
            futures.append(future)
        return futures

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self.pending -= 1

    async def periodic(self, job: Job) -> None:
        """Run ``job`` every ``job.every_s`` (after the first period): one run at a time by construction."""
        assert job.every_s
        while True:
            await anyio.sleep(job.every_s)
            await anyio.to_thread.run_sync(self.run, job, {}, abandon_on_cancel=True)
            self.last_run[job.name] = time.time()


RUNNER = Runner()
