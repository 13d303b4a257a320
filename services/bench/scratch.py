"""A scratch database beside the configured one, for a benchmark run: a temp file for SQLite, a new database
on the same PostgreSQL server; dropped afterwards, so the configured data is untouched."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.session import make_engine
from services.jobs.queue import close_deferrers
from services.runtime.pacing import close_shared


@contextmanager
def restored_environment(*keys: str) -> Iterator[None]:
    """The environment variables ``keys`` as they were before the block, whatever a benchmark run set them to."""
    saved = {k: os.environ.get(k) for k in keys}
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """The scratch database is the Hub's database for the run: DATABASE_URL points at it meanwhile, so what reads
    the configured database (the shared pacer, the job deferrer) uses it too; restored afterwards."""
    saved = os.environ.get("DATABASE_URL")
    try:
        with _scratch(base_url) as url:
            os.environ["DATABASE_URL"] = url
            yield url
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


@contextmanager
def _scratch(base_url: str) -> Iterator[str]:
    if base_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
            make_engine.cache_clear()
        return
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        close_shared()       # pools of the shared pacer and the job deferrer point at the scratch database
        close_deferrers()
        make_engine(url).dispose()
        make_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
