"""`layers-hub bench sweep`: the health sweep against the sandbox vs the same checks one after another.

In a scratch database beside DATABASE_URL: ``connections`` sandbox connections (one sandbox account per
organization, like real customers), the sandbox in its own process answering after ``latency_ms``, then
in the same run: the checks one after another (``run_sweep`` with concurrency 1), then the sweep with
``concurrency`` workers. Both store their results the same way. The sandbox counts the 429s it answered
(its limiters': no fault switch is armed) as rate-limit breaches.

The sandbox process is services/bench/sandbox.py. The connections are the providers' sandbox fixtures
(services/sandbox/fixtures.py): every provider whose fixture's auth type has a credential check.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import select

from db.base import utcnow
from db.models import Connection, Integration, Organization, Tier
from db.session import session_scope
from services import sandbox
from services.bench.scratch import scratch_database
from services.catalog import load_catalog
from services.connect.checks import check_spec
from services.connect.fields import render
from services.connect.store import write_secrets
from services.monitoring.sweep import run_sweep
from services.sandbox.fixtures import SandboxFixture, connection_secrets, fixtures
from services.sandbox.fixtures import connection_config as sandbox_config
from services.setup import upgrade_database


@cache
def bench_fixtures() -> dict[str, SandboxFixture]:
    """The sandbox fixtures a benchmark connection can use, by slug: every sandbox provider whose fixture's
    auth type has a credential check (rate-limited ones included)."""
    catalog = load_catalog()
    return {slug: f for slug, f in sorted(fixtures().items())
            if slug in sandbox.providers() and check_spec(catalog.get(slug), f.auth_type) is not None}


def default_services() -> tuple[str, ...]:
    return tuple(bench_fixtures())


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_SERVICES":   # computed on first use: the provider folders are read at run time
        return default_services()
    raise AttributeError(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stats(root: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{root}/_bench/stats", timeout=10) as response:
        return json.loads(response.read())


@contextmanager
def sandbox_process(latency_ms: float) -> Iterator[str]:
    """The sandbox (with latency and a 429 counter) in a child process; yields its root URL."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "services.bench.sandbox", "--port", str(port),
                             "--latency-ms", str(latency_ms)], env={**os.environ, "HUB_SANDBOX": "1",
                                                                      "HUB_BASE_URL": root})
    try:
        for _ in range(300):
            try:
                _stats(root)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the benchmark sandbox exited") from None
                time.sleep(0.05)
        yield root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def create_connections(url: str, count: int, services: tuple[str, ...], root: str,
                       accounts: int | None = None) -> int:
    """``count`` sandbox connections, one per service per organization, each organization its own account
    (or, with ``accounts``, organizations sharing that many accounts round-robin)."""
    catalog = load_catalog()
    with session_scope(url) as s:
        tier_id = s.scalars(select(Tier.id).order_by(Tier.position).limit(1)).one()
        integrations = {i.slug: i.id for i in s.scalars(select(Integration))}
        made, org_n = 0, 0
        while made < count:
            org_n += 1
            org = Organization(name=f"Bench Agency {org_n}", tier_id=tier_id)
            s.add(org)
            s.flush()
            for slug in services[:count - made]:
                auth_type = bench_fixtures()[slug].auth_type
                account = f"bench{org_n if accounts is None else (org_n - 1) % accounts + 1}"
                spec, config = catalog.get(slug), sandbox_config(slug, root, account)
                base = sandbox.rewrite(slug, render(spec.base_url, config, slug), root) if spec.base_url else None
                conn = Connection(organization_id=org.id, integration_id=integrations[slug], auth_type=auth_type,
                                  config=config, base_url=base, sandbox=True, status="active", created_by="bench",
                                  expires_at=utcnow() + timedelta(hours=2) if auth_type == "oauth2" else None)
                s.add(conn)
                s.flush()
                write_secrets(conn, connection_secrets(slug, account))
                made += 1
    return made


def bench_sweep(base_url: str, *, connections: int = 1000, latency_ms: float = 50.0, concurrency: int = 48,
                services: tuple[str, ...] | None = None, accounts: int | None = None) -> dict[str, Any]:
    services = services or default_services()
    unknown = [s for s in services if s not in bench_fixtures()]
    if unknown:
        raise ValueError(f"no benchmark connection for {', '.join(unknown)}; "
                         f"choose from {', '.join(bench_fixtures())}")
    saved = {k: os.environ.get(k) for k in ("HUB_SANDBOX", "HUB_BASE_URL")}
    try:
        with scratch_database(base_url) as url, sandbox_process(latency_ms) as root:
            os.environ.update(HUB_SANDBOX="1", HUB_BASE_URL=root)
            upgrade_database(url)
            create_connections(url, connections, services, root, accounts)
            run_sweep(actor="bench", db_url=url, concurrency=4, evaluate_alerts=False,
                      service=services[0])                                      # warm-up (imports, pools)
            before = _stats(root)
            started = time.perf_counter()    # wall time of the whole run, storing the results included
            sequential = run_sweep(actor="bench", db_url=url, concurrency=1, evaluate_alerts=False)
            sequential_s = time.perf_counter() - started
            started = time.perf_counter()
            swept = run_sweep(actor="bench", db_url=url, concurrency=concurrency, evaluate_alerts=False)
            sweep_s = time.perf_counter() - started
            after = _stats(root)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"connections": swept.total, "sweep_s": round(sweep_s, 3), "sequential_s": round(sequential_s, 3),
            # A failed check (e.g. a pacing wait past the cap) is not a comparable result: no speedup then.
            "speedup": round(sequential_s / sweep_s, 1) if not (swept.failed or sequential.failed) else None,
            "rate_limit_breaches": after["rate_limit_breaches"] - before["rate_limit_breaches"],
            "latency_ms": latency_ms, "concurrency": concurrency, "services": list(services), "accounts": accounts,
            "sweep_failed": swept.failed, "sequential_failed": sequential.failed,
            "requests": after["requests"] - before["requests"]}
