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
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import select, text

from db.base import utcnow
from db.models import Connection, Integration, Organization, Tier
from db.session import session_scope
from services import sandbox
from services.bench.scratch import restored_environment, scratch_database
from services.catalog import load_catalog
from services.connect.checks import check_spec
from services.connect.fields import render
from services.connect.store import write_secrets
from services.core.errors import InvalidInput
from services.jobs import dispatch, tasks
from services.jobs.registry import is_postgresql
from services.monitoring.sweep import run_sweep
from services.runtime.pacing import close_shared
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


def _stats(root: str, *, start: bool = False) -> dict[str, Any]:
    """The sandbox's counts; ``start``: a run begins (its event loop's lag is then measured afresh)."""
    with urllib.request.urlopen(f"{root}/_bench/stats{'?reset_lag=1' if start else ''}", timeout=10) as response:
        return json.loads(response.read())


SANDBOX_NICE = -10   # see _ahead_of_the_hub


def _ahead_of_the_hub() -> None:
    """In the sandbox process before it starts: run it ahead of the Hub's processes on the CPU. A provider answers
    from its own machines, but here it shares two cores with the workers and PostgreSQL; starved, its one event
    loop reads requests hundreds of ms late and in bursts, and counts its own lag as the client's breaches (with
    4 workers: 8 breaches and 162 ms lag at equal priority, 0 and 11 ms ahead). Raising a priority needs root
    (CAP_SYS_NICE); without it the sandbox runs at the Hub's and the run's ``sandbox_nice`` says 0."""
    with suppress(PermissionError):
        os.nice(SANDBOX_NICE)


@contextmanager
def sandbox_process(latency_ms: float) -> Iterator[str]:
    """The sandbox (with latency and a 429 counter) in a child process; yields its root URL."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "services.bench.sandbox", "--port", str(port),
                             "--latency-ms", str(latency_ms)], env={**os.environ, "HUB_SANDBOX": "1",
                                                                      "HUB_BASE_URL": root},
                            preexec_fn=_ahead_of_the_hub)
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
                       accounts: int | None = None, *, name: str = "Bench Agency") -> list[int]:
    """``count`` sandbox connections, one per service per organization, each organization its own account
    (or, with ``accounts``, organizations sharing that many accounts round-robin); their ids. ``name``: the
    organizations' (numbered) and, lower-cased, their accounts': connections of another ``name`` never share
    an account with these."""
    catalog = load_catalog()
    with session_scope(url) as s:
        tier_id = s.scalars(select(Tier.id).order_by(Tier.position).limit(1)).one()
        integrations = {i.slug: i.id for i in s.scalars(select(Integration))}
        made, org_n, ids = 0, 0, []
        prefix = name.lower().replace(" ", "-")
        while made < count:
            org_n += 1
            org = Organization(name=f"{name} {org_n}", tier_id=tier_id)
            s.add(org)
            s.flush()
            for slug in services[:count - made]:
                auth_type = bench_fixtures()[slug].auth_type
                account = f"{prefix}{org_n if accounts is None else (org_n - 1) % accounts + 1}"
                spec, config = catalog.get(slug), sandbox_config(slug, root, account)
                base = sandbox.rewrite(slug, render(spec.base_url, config, slug), root) if spec.base_url else None
                conn = Connection(organization_id=org.id, integration_id=integrations[slug], auth_type=auth_type,
                                  config=config, base_url=base, sandbox=True, status="active", created_by="bench",
                                  expires_at=utcnow() + timedelta(hours=2) if auth_type == "oauth2" else None)
                s.add(conn)
                s.flush()
                write_secrets(conn, connection_secrets(slug, account))
                ids.append(conn.id)
                made += 1
    return ids


def bench_sweep(base_url: str, *, connections: int = 1000, latency_ms: float = 50.0, concurrency: int = 48,
                services: tuple[str, ...] | None = None, accounts: int | None = None) -> dict[str, Any]:
    services = services or default_services()
    unknown = [s for s in services if s not in bench_fixtures()]
    if unknown:
        raise ValueError(f"no benchmark connection for {', '.join(unknown)}; "
                         f"choose from {', '.join(bench_fixtures())}")
    with restored_environment("HUB_SANDBOX", "HUB_BASE_URL", "DATABASE_URL"), \
            scratch_database(base_url) as url, sandbox_process(latency_ms) as root:
        os.environ.update(HUB_SANDBOX="1", HUB_BASE_URL=root, DATABASE_URL=url)   # the pacer's budget: the scratch's
        upgrade_database(url)
        create_connections(url, connections, services, root, accounts)
        run_sweep(actor="bench", db_url=url, concurrency=4, evaluate_alerts=False,
                  service=services[0])                                      # warm-up (imports, pools)
        before = _stats(root, start=True)
        started = time.perf_counter()    # wall time of the whole run, storing the results included
        sequential = run_sweep(actor="bench", db_url=url, concurrency=1, evaluate_alerts=False)
        sequential_s = time.perf_counter() - started
        started = time.perf_counter()
        swept = run_sweep(actor="bench", db_url=url, concurrency=concurrency, evaluate_alerts=False)
        sweep_s = time.perf_counter() - started
        after = _stats(root)
    return {"connections": swept.total, "sweep_s": round(sweep_s, 3), "sequential_s": round(sequential_s, 3),
            # A failed check (e.g. a pacing wait past the cap) is not a comparable result: no speedup then.
            "speedup": round(sequential_s / sweep_s, 1) if not (swept.failed or sequential.failed) else None,
            "rate_limit_breaches": after["rate_limit_breaches"] - before["rate_limit_breaches"],
            "breaches_by_service": _breaches_by_service(before, after), "sandbox_lag_ms_max": after["max_lag_ms"],
            "sandbox_nice": after["nice"], "latency_ms": latency_ms, "concurrency": concurrency,
            "services": list(services), "accounts": accounts,
            "sweep_failed": swept.failed, "sequential_failed": sequential.failed,
            "requests": after["requests"] - before["requests"]}


# --- `bench sweep --workers 1,2,4`: the sweep as jobs, run by worker processes (issue 16) -----------------------

def _breaches_by_service(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    was = before.get("breaches_by_service", {})
    return {slug: n - was.get(slug, 0) for slug, n in after.get("breaches_by_service", {}).items()
            if n > was.get(slug, 0)}


def _failures(url: str, after_sweep: int) -> dict[str, int]:
    """Failed checks of the sweeps after ``after_sweep`` by category and the diagnosis's first words: a run with
    failures says why."""
    with session_scope(url) as s:
        rows = s.execute(text("SELECT coalesce(category, '-') || ': ' || left(diagnosis, 60) AS why, count(*) "
                              "FROM health_sweep_results WHERE NOT ok AND sweep_id > :after GROUP BY why "
                              "ORDER BY count(*) DESC LIMIT 10"), {"after": after_sweep}).all()
    return {str(why): int(n) for why, n in rows}


def _count(url: str, sql: str) -> int:
    with session_scope(url) as s:
        return int(s.execute(text(sql)).scalar() or 0)


def at_the_databases_priority(who: int = 0) -> None:
    """In a worker process before it starts: never ahead of PostgreSQL on the CPU (nice 0, the priority a system
    service such as the database runs at). A benchmark started from a shell with a raised priority (nice -10 on the
    development machine) would otherwise run its workers ahead of the database they wait for: with the CPU
    saturated, the database's answers, and so every worker, come late. ``who``: a process or, on Linux, a thread
    id (0: this process)."""
    os.setpriority(os.PRIO_PROCESS, who, max(0, os.getpriority(os.PRIO_PROCESS, who)))


def start_workers(url: str, count: int, root: str, *, queues: str, concurrency: int) -> list[subprocess.Popen[bytes]]:
    """``count`` `layers-hub worker` processes on the scratch database (no periodic jobs: only what we queue)."""
    env = {**os.environ, "DATABASE_URL": url, "HUB_SANDBOX": "1", "HUB_BASE_URL": root, "HUB_JOBS": "queue",
           "HUB_WORKER_STALLED_S": "3"}
    return [subprocess.Popen([sys.executable, "-m", "services.cli", "worker", "--queues", queues, "--concurrency",
                              str(concurrency), "--no-periodic", "--name", f"bench-{n}"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=at_the_databases_priority) for n in range(count)]


def wait_workers(url: str, count: int, procs: list[subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while _count(url, "SELECT count(*) FROM procrastinate_workers "
                      "WHERE last_heartbeat > now() - interval '3 seconds'") < count:
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            raise RuntimeError("a benchmark worker did not start")
        time.sleep(0.1)


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bench_sweep_workers(base_url: str, *, workers: list[int], connections: int = 2000, latency_ms: float = 50.0,
                        services: tuple[str, ...] | None = None, accounts: int | None = None,
                        jobs_per_worker: int = 4, kill_after_s: float | None = None) -> Iterator[dict[str, Any]]:
    """Per worker count: the sweep split into shard jobs (services/jobs/tasks.sweep_shard), run by that many worker
    processes against the sandbox process, paced by the shared budget. ``kill_after_s``: kill -9 one worker that
    long into each run and start another (the fault run); every connection must still be checked exactly once."""
    if not is_postgresql(base_url):
        raise InvalidInput("bench sweep --workers needs DATABASE_URL on PostgreSQL: the workers share its job queue "
                           "and pacing budget (with SQLite there are no workers)")
    services = services or default_services()
    with restored_environment("HUB_SANDBOX", "HUB_BASE_URL", "HUB_JOBS", "DATABASE_URL"), \
            scratch_database(base_url) as url, sandbox_process(latency_ms) as root:
        os.environ.update(HUB_SANDBOX="1", HUB_BASE_URL=root, HUB_JOBS="queue", DATABASE_URL=url)
        upgrade_database(url)
        ids = create_connections(url, connections, services, root, accounts)
        # The warm-ups below check connections of their own, on accounts of their own: a warm-up check of a
        # timed connection would open a pacing window (Klaviyo's check: 1 a second per account) that its timed
        # check then waits out, and that shard would finish a second or two after every other.
        warm_ids = create_connections(url, len(services), services, root, name="Bench Warm-up")
        # Steady state, as in a fleet that sweeps every 15 minutes: every account has been paced before (its
        # pacing rows exist) and the sandbox has read every definition. One untimed sweep in this process, so the
        # first worker count timed does not pay for creating what the others then find.
        run_sweep(actor="bench", db_url=url, concurrency=48, evaluate_alerts=False)
        close_shared()
        shards = [{"connection_ids": ids[i:i + tasks.SHARD]} for i in range(0, len(ids), tasks.SHARD)]
        for count in workers:
            procs = start_workers(url, count, root, queues="maintenance", concurrency=jobs_per_worker)
            try:
                wait_workers(url, count, procs)
                workers_nice = os.getpriority(os.PRIO_PROCESS, procs[0].pid)
                # Warm-up: one shard checking a connection of every provider (the sandbox reads each provider's
                # definition on its first request, which holds its event loop for seconds), then a one-connection
                # shard per job slot, so each worker has loaded what a check needs.
                warm = _count(url, "SELECT count(*) FROM health_sweeps") + 1 + count * jobs_per_worker
                dispatch.defer("sweep_shard", [{"connection_ids": warm_ids}]
                               + [{"connection_ids": warm_ids[:1]}] * (count * jobs_per_worker), url=url)
                while _count(url, "SELECT count(*) FROM health_sweeps") < warm:
                    time.sleep(0.05)
                sweeps_before = _count(url, "SELECT count(*) FROM health_sweeps")
                last_sweep = _count(url, "SELECT coalesce(max(id), 0) FROM health_sweeps")
                results_before = _count(url, "SELECT count(*) FROM health_sweep_results")
                before = _stats(root, start=True)
                started = time.perf_counter()
                dispatch.defer("sweep_shard", shards, url=url)
                killed = False
                while _count(url, "SELECT count(*) FROM health_sweeps") < sweeps_before + len(shards):
                    if kill_after_s is not None and not killed and time.perf_counter() - started > kill_after_s:
                        procs[0].send_signal(signal.SIGKILL)     # mid-sweep: its shards' jobs are retried
                        procs += start_workers(url, 1, root, queues="maintenance", concurrency=jobs_per_worker)
                        killed = True
                    if time.perf_counter() - started > 1800:
                        raise RuntimeError("the sweep jobs did not finish in 30 minutes")
                    time.sleep(0.05)
                sweep_s = time.perf_counter() - started
                after = _stats(root)
                checked = _count(url, "SELECT count(*) FROM health_sweep_results") - results_before
                failed = _count(url, f"SELECT coalesce(sum(failed), 0) FROM health_sweeps WHERE id > {last_sweep}")
                failures = _failures(url, last_sweep)
            finally:
                stop_workers(procs)
            yield {"workers": count, "connections": len(ids), "accounts": accounts, "sweep_s": round(sweep_s, 3),
                   "rate_limit_breaches": after["rate_limit_breaches"] - before["rate_limit_breaches"],
                   "breaches_by_service": _breaches_by_service(before, after),
                   "sandbox_lag_ms_max": after["max_lag_ms"], "sandbox_nice": after["nice"],
                   "workers_nice": workers_nice, "checked": checked, "failed": failed,
                   "failures": failures, "shards": len(shards),
                   "jobs_per_worker": jobs_per_worker, "latency_ms": latency_ms, "killed_worker": killed,
                   "requests": after["requests"] - before["requests"]}
