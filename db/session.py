"""Engine and session helpers shared by the UI, the st.App routes, the CLI and tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "hub.db"


def database_url() -> str:
    """DATABASE_URL, or SQLite at data/hub.db when unset."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # psycopg 3 is the only PostgreSQL driver installed.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@lru_cache(maxsize=8)
def make_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (cached: engines own connection pools)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    # Many-row INSERTs (a sweep's results, the API call log's batches) as multi-row VALUES statements, pages of up
    # to 1000 rows, as SQLAlchemy already does for SQLite and for psycopg2; its psycopg dialect sends one INSERT per
    # row otherwise: in the sweep benchmark, 4000 statements where 80 do.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return _factory(make_engine(url))


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker[Session]:
    """Cached per engine: each sessionmaker builds its own Session subclass, whose event set-up costs more
    than a simple query (a new engine, e.g. after make_engine.cache_clear(), gets a new factory)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits when the block succeeds, rolls back on any exception."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reachable(url: str | None = None) -> bool:
    """Whether the database answers a trivial query right now (the outage message's retry)."""
    try:
        with make_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:   # any failure means "not yet": the caller only retries
        return False
    return True
