"""`layers-hub bench ranking`: ranking cost against the upvote count, printed as JSON lines; and
`layers-hub bench http`: a loopback sandbox call through the Hub's HTTP layer vs a bare client.

Each size runs in a scratch database beside the configured one (a temp file for SQLite, a new
database on the same PostgreSQL server), which is dropped afterwards; the configured data is untouched.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import uvicorn
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from db.models import Integration, Organization, Tier, Upvote, User
from db.session import make_engine, session_scope
from services import demo, sandbox
from services.catalog import load_catalog
from services.connect.checks import check_spec, static_auth
from services.connect.fields import render
from services.connect.outbound import Outbound
from services.demand import ranking
from services.demand.upvote_import import import_upvotes
from services.demand.upvotes import recompute_aggregates
from services.runtime import http
from services.runtime.call_log import CallLog
from services.runtime.provider_client import ProviderClient
from services.sandbox.fixtures import connection_config, connection_secrets, fixtures
from services.setup import upgrade_database

# Credentials the http benchmark can use: static ones (no token refresh), Basic-style first.
HTTP_AUTH_TYPES = ("app_password", "basic", "api_key")


def _p50(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
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
        make_engine(url).dispose()
        make_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _export_csv(url: str) -> tuple[str, list[tuple]]:
    with session_scope(url) as s:
        rows = s.execute(select(Integration.slug, User.email, User.name, Organization.name, Tier.slug,
                                Upvote.created_at, Upvote.user_id, Upvote.integration_id)
                         .join(User, User.id == Upvote.user_id)
                         .join(Integration, Integration.id == Upvote.integration_id)
                         .join(Organization, Organization.id == User.organization_id)
                         .join(Tier, Tier.id == User.tier_id)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["integration", "user_email", "user_name", "organization", "tier", "created_at"])
    writer.writerows((r[0], r[1], r[2], r[3], r[4], r[5].isoformat()) for r in rows)
    return out.getvalue(), [(r[6], r[7], r[5], None) for r in rows]


def _raw_copy_ms(url: str, rows: list[tuple]) -> float:
    """The floor for writing these rows: COPY (PostgreSQL) / executemany (SQLite) straight into the
    empty upvotes table, with its constraints and indexes, without validation or aggregates."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(Upvote))
    start = time.perf_counter()
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if conn.dialect.name == "postgresql":
            with raw.cursor() as cur, cur.copy(
                    "COPY upvotes (user_id, integration_id, created_at, comment) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur = raw.cursor()
            cur.executemany("INSERT INTO upvotes (user_id, integration_id, created_at, comment) VALUES (?, ?, ?, ?)",
                            [(u, i, c.strftime("%Y-%m-%d %H:%M:%S.%f"), m) for u, i, c, m in rows])
    return round((time.perf_counter() - start) * 1000, 1)


def _pandas_ranking(url: str) -> pd.DataFrame:
    """The naive design: every upvote with its tier weight into pandas, then group."""
    with make_engine(url).connect() as conn:
        frame = pd.read_sql(text("SELECT u.integration_id, u.user_id, t.weight FROM upvotes u "
                                 "JOIN users s ON s.id = u.user_id JOIN tiers t ON t.id = s.tier_id"), conn)
    return frame.groupby("integration_id").agg(score=("weight", "sum"), upvotes=("user_id", "count"))


def bench_ranking(base_url: str, size: int, *, seed: int = 7) -> dict:
    with scratch_database(base_url) as url:
        upgrade_database(url)
        start = time.perf_counter()
        with session_scope(url) as s:
            demo.seed_demo(s, orgs=max(150, size // 200), upvotes=size, seed=seed)
        seed_ms = round((time.perf_counter() - start) * 1000, 1)

        def rank_once() -> None:
            with session_scope(url) as s:
                ranking.rank(s)

        rank_once()  # warm caches
        rank_ms = _p50(rank_once, 30)
        engine = make_engine(url)

        def count_scan() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM upvotes")).scalar_one()

        count_ms = _p50(count_scan, 9)
        pandas_ms = _p50(lambda: _pandas_ranking(url), 3)
        body, rows = _export_csv(url)
        copy_ms = _raw_copy_ms(url, rows)
        with session_scope(url) as s:            # same users; the upvotes come back through the import
            s.execute(delete(Upvote))
            recompute_aggregates(s)
        start = time.perf_counter()
        with session_scope(url) as s:
            report = import_upvotes(s, body, actor="bench")
        import_ms = round((time.perf_counter() - start) * 1000, 1)
        assert report.imported == size, f"import wrote {report.imported} of {size}"
        return {"backend": make_url(url).get_backend_name(), "upvotes": size, "rank_ms_p50": rank_ms,
                "count_scan_ms_p50": count_ms, "pandas_ms_p50": pandas_ms, "import_ms": import_ms,
                "copy_ms": copy_ms, "seed_ms": seed_ms,
                "rank_over_count_scan": round(rank_ms / count_ms, 4) if count_ms else None,
                "pandas_over_rank": round(pandas_ms / rank_ms, 1) if rank_ms else None,
                "import_over_copy": round(import_ms / copy_ms, 2) if copy_ms else None}


@contextmanager
def sandbox_server() -> Iterator[str]:
    """The provider sandbox on a free loopback port, in a thread of this process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[sandbox.mount()]), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def http_bench_provider() -> str:
    """The sandbox provider the http benchmark calls: the first, by credential kind (``HTTP_AUTH_TYPES``) then
    slug, whose sandbox fixture is a static credential and whose catalog has a check call for it."""
    catalog = load_catalog()
    found = sorted((HTTP_AUTH_TYPES.index(f.auth_type), slug) for slug, f in fixtures().items()
                   if f.auth_type in HTTP_AUTH_TYPES and slug in sandbox.providers() and catalog.get(slug).base_url
                   and check_spec(catalog.get(slug), f.auth_type) is not None)
    if not found:
        raise RuntimeError("no sandbox provider has a static-credential fixture with a check call")
    return found[0][1]


def bench_http(base_url: str, calls: int = 400) -> dict:
    """One loopback sandbox call (the provider's credential check) through ProviderClient vs a bare httpx2
    client, interleaved."""
    os.environ["HUB_SANDBOX"] = "1"          # loopback URLs are allowed only with the sandbox on
    slug, account = http_bench_provider(), "bench"
    spec, auth_type = load_catalog().get(slug), fixtures()[slug].auth_type
    request = check_spec(spec, auth_type)
    assert request is not None and spec.base_url
    with scratch_database(base_url) as url, sandbox_server() as root:
        upgrade_database(url)
        with session_scope(url) as s:
            integration_id = s.scalar(select(Integration.id).where(Integration.slug == slug))
        config = connection_config(slug, root, account)
        site = sandbox.rewrite(slug, render(request.base_url or spec.base_url, config, slug), root).rstrip("/")
        path = render(request.path, config, f"{spec.name} check path")
        auth = static_auth(spec, auth_type, connection_secrets(slug, account), config)
        log = CallLog(url)
        ours = ProviderClient(spec=spec, base_url=site, auth=auth,
                              integration_id=integration_id, mode="live", action="check", log=log,
                              out=Outbound())
        bare = http.make_client(site, auth=auth)
        ours_ms, bare_ms = [], []
        for n in range(calls + 20):
            for target, times in ((ours, ours_ms), (bare, bare_ms)) if n % 2 else ((bare, bare_ms), (ours, ours_ms)):
                start = time.perf_counter()
                response = (target.request(request.method, path) if target is ours
                            else target.request(request.method, site + path))
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200
                if n >= 20:                      # warm-up excluded
                    times.append(elapsed)
        log.flush()
        ours.close()
        bare.close()
    ours_p50, bare_p50 = statistics.median(ours_ms), statistics.median(bare_ms)
    return {"calls": calls, "provider": slug, "ours_ms_p50": round(ours_p50, 3), "bare_ms_p50": round(bare_p50, 3),
            "overhead": round(ours_p50 / bare_p50, 3)}
