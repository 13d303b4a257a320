"""`layers-hub bench http`: a loopback sandbox call through the Hub's HTTP layer vs a bare client.

The call log goes to a scratch database beside the configured one (services/bench/scratch.py).
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette

from db.models import Integration
from db.session import session_scope
from services import sandbox
from services.bench.scratch import scratch_database
from services.catalog import load_catalog
from services.catalog.spec import RateLimitSpec
from services.connect.checks import check_spec, static_auth
from services.connect.fields import render
from services.connect.outbound import Outbound
from services.runtime import http
from services.runtime.call_log import CallLog
from services.runtime.pacing import TRACKED, shared_pacer
from services.runtime.provider_client import ProviderClient
from services.sandbox.fixtures import connection_config, connection_secrets, fixtures
from services.setup import upgrade_database

# Credentials the http benchmark can use: static ones (no token refresh), Basic-style first.
HTTP_AUTH_TYPES = ("app_password", "basic", "api_key")


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
    previous = os.environ.get("HUB_SANDBOX")
    os.environ["HUB_SANDBOX"] = "1"          # loopback URLs are allowed only with the sandbox on
    try:
        return _bench_http(base_url, calls)
    finally:                                 # the caller's environment is theirs (tests run it in-process)
        if previous is None:
            os.environ.pop("HUB_SANDBOX", None)
        else:
            os.environ["HUB_SANDBOX"] = previous


def _bench_http(base_url: str, calls: int) -> dict:
    slug, account = http_bench_provider(), "bench"
    spec, auth_type = load_catalog().get(slug), fixtures()[slug].auth_type
    request = check_spec(spec, auth_type)
    assert request is not None and spec.base_url
    with scratch_database(base_url) as url, sandbox_server() as root:
        upgrade_database(url)
        with session_scope(url) as s:
            integration_id = s.scalars(select(Integration.id).where(Integration.slug == slug)).one()
        config = connection_config(slug, root, account)
        site = sandbox.rewrite(slug, render(request.base_url or spec.base_url, config, slug), root).rstrip("/")
        path = render(request.path, config, f"{spec.name} check path")
        auth = static_auth(spec, auth_type, connection_secrets(slug, account), config)
        log = CallLog(url)
        ours = ProviderClient(spec=spec, base_url=site, auth=auth,
                              integration_id=integration_id, mode="live", action="check", log=log,
                              out=Outbound())
        # The same call paced by a limit that never binds: what a reservation costs (on PostgreSQL the shared
        # budget, one statement per call; on SQLite the in-process windows).
        limited = spec.model_copy(update={"rate_limits": [RateLimitSpec(requests=TRACKED, per_seconds=0.001,
                                                                        scope="account")]})
        paced = ProviderClient(spec=limited, base_url=site, auth=auth, integration_id=integration_id, mode="live",
                               action="check", log=log, out=Outbound(), account_key=f"bench-{time.time_ns()}")
        bare = http.make_client(site, auth=auth)
        ours_ms: list[float] = []
        bare_ms: list[float] = []
        paced_ms: list[float] = []
        for n in range(calls + 20):
            order: list[tuple[Any, list[float]]] = [(ours, ours_ms), (bare, bare_ms), (paced, paced_ms)]
            for target, times in order[n % 3:] + order[:n % 3]:
                start = time.perf_counter()
                response = (target.request(request.method, path) if target is not bare
                            else target.request(request.method, site + path))
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200
                if n >= 20:                      # warm-up excluded
                    times.append(elapsed)
        log.flush()
        ours.close()
        paced.close()
        bare.close()
        pacer = "shared" if shared_pacer(url) is not None else "in-process"
    ours_p50, bare_p50, paced_p50 = (statistics.median(ours_ms), statistics.median(bare_ms),
                                     statistics.median(paced_ms))
    return {"calls": calls, "provider": slug, "ours_ms_p50": round(ours_p50, 3), "bare_ms_p50": round(bare_p50, 3),
            "overhead": round(ours_p50 / bare_p50, 3), "pacer": pacer, "paced_ms_p50": round(paced_p50, 3),
            "paced_overhead": round(paced_p50 / bare_p50, 3)}
