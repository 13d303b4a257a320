"""Helpers for the job-queue tests (issue 16): real `layers-hub worker` processes against the test PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from db.session import session_scope

ROOT = Path(__file__).resolve().parent.parent


def worker_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "HUB_JOBS": "queue", "HUB_WORKER_STALLED_S": "2", **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def start_worker(db_url: str, *args: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """A `layers-hub worker` process (its output in ``log``)."""
    return subprocess.Popen([sys.executable, "-m", "services.cli", "worker", *args], cwd=ROOT,
                            env=worker_env(db_url, **extra), stdout=log.open("ab"), stderr=subprocess.STDOUT)


@contextmanager
def workers(db_url: str, count: int, tmp: Path, *args: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [start_worker(db_url, *args, log=tmp / f"worker{n}.log") for n in range(count)]
    try:
        yield procs
    finally:
        stop(procs)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(check: Callable[[], Any], timeout: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def jobs(where: str = "true") -> list[dict[str, Any]]:
    with session_scope() as s:
        return [dict(r._mapping) for r in s.execute(text(
            f"SELECT id, task_name, status::text AS status, worker_id, attempts FROM procrastinate_jobs "
            f"WHERE {where} ORDER BY id"))]
