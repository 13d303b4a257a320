"""Shared fixtures: every database test runs on the backend chosen by HUB_TEST_BACKEND.

`make test` runs the suite twice: HUB_TEST_BACKEND=sqlite, then postgresql (TEST_DATABASE_URL).
Each test gets its own database copied from a migrated template (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so tests never see each other's rows.
With HUB_TEST_STRICT=1 (CI) a skipped test counts as a failure. Tests that cannot differ between the
backends run in the SQLite pass only (``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.session import make_engine

pytest_plugins = ["tests.credentials_support", "tests.executor_support"]   # shared fixtures (issues 5, 6)

BACKEND = os.environ.get("HUB_TEST_BACKEND", "sqlite")
# The suite's in-process servers handle inbound webhooks themselves, on both backends (the embedded runner); the
# job-queue tests (tests/test_jobs_queue.py) set HUB_JOBS=queue and start real `layers-hub worker` processes.
os.environ.setdefault("HUB_JOBS", "embedded")
STRICT = os.environ.get("HUB_TEST_STRICT") == "1"
OUTPUT_DIR = Path(__file__).parent / "output"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under HUB_TEST_STRICT=1: {report.longrepr}"


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """The PostgreSQL pass runs only what depends on the backend: tests that use no database, and tests
    marked ``backend_independent`` (e.g. the provider contract suite), ran in the SQLite pass already. Tests
    marked ``postgresql_only`` are deselected (not skipped: HUB_TEST_STRICT) in the SQLite pass."""
    if BACKEND != "postgresql":
        only_pg = [i for i in items if i.get_closest_marker("postgresql_only")]
        if only_pg:
            config.hook.pytest_deselected(items=only_pg)
            items[:] = [i for i in items if i not in only_pg]
        return
    once = [i for i in items if "databases" not in i.fixturenames or i.get_closest_marker("backend_independent")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [i for i in items if i not in once]


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("HUB_TEST_BACKEND=postgresql needs TEST_DATABASE_URL")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def _admin_execute(sql: str) -> None:
    engine = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _dispose(url: str) -> None:
    from services.jobs.queue import close_deferrers
    from services.runtime.pacing import close_shared

    close_shared()        # the shared pacer's and the job deferrer's pools (issue 16)
    close_deferrers()
    make_engine(url).dispose()
    make_engine.cache_clear()


class Databases:
    """Creates and drops throwaway databases on the configured backend."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def new_empty(self) -> str:
        if BACKEND == "sqlite":
            return f"sqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}"
        name = f"hub_t_{uuid.uuid4().hex[:12]}"
        _admin_execute(f'CREATE DATABASE "{name}"')
        return make_url(_server_url()).set(database=name).render_as_string(hide_password=False)

    def copy(self, template_url: str) -> str:
        _dispose(template_url)   # SQLite: checkpoints the WAL; PostgreSQL: a template needs no connections
        if BACKEND == "sqlite":
            target = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template_url.split("///", 1)[1], target)
            return f"sqlite:///{target}"
        name = f"hub_t_{uuid.uuid4().hex[:12]}"
        template = make_url(template_url).database
        _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return make_url(template_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        _dispose(url)
        if BACKEND == "sqlite":
            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
        else:
            _admin_execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    if BACKEND not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"HUB_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")
    return Databases(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def migrated_template(databases: Databases) -> Iterator[str]:
    """An empty database migrated to head with reference data (catalog, tiers)."""
    from services.setup import upgrade_database

    url = databases.new_empty()
    upgrade_database(url)
    yield url
    databases.drop(url)


@pytest.fixture
def db_url(databases: Databases, migrated_template: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private migrated database for one test; DATABASE_URL points at it."""
    url = databases.copy(migrated_template)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    databases.drop(url)


@pytest.fixture
def session(db_url: str):  # type: ignore[no-untyped-def]
    from db.session import session_factory

    s = session_factory(db_url)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
