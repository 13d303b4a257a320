"""`layers-hub bench webhooks`: signed inbound webhooks at a fixed rate to several server processes, handled by
job workers (issue 16). PostgreSQL only (the servers and workers share its job queue).

In a scratch database: one webhook connection (``bench_slug``) with a webhook secret; ``servers`` processes
serving the Hub's HTTP routes (services/server/standalone.py) and ``workers`` `layers-hub worker --queues webhooks`
processes. The sender
posts ``rate`` deliveries a second for ``seconds`` (open loop: each at its scheduled time, round robin over the
servers), each with a unique sequence number, then waits until every stored event left ``received``. It prints
what was sent and stored, duplicates (a sequence number stored twice) and losses (acknowledged, never stored), the
acknowledgement latency and the time from receipt to handled (``handled_at - received_at`` of each event).
``kill_after_s``: kill -9 one worker that long into the run and start another (the fault run).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select, text

from db.models import Connection, Integration, Organization, Tier
from db.session import session_scope
from services.bench.scratch import restored_environment, scratch_database
from services.bench.sweep import _free_port, at_the_databases_priority, start_workers, stop_workers, wait_workers
from services.catalog import load_catalog
from services.connect.webhook_secrets import rotate_webhook_secret
from services.core.errors import InvalidInput
from services.jobs.registry import is_postgresql
from services.runtime import http
from services.setup import upgrade_database

SENDERS = 48   # sending threads (each its own keep-alive client)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 2)


def bench_slug() -> str:
    """The integration the deliveries go to: the first whose webhook connections take the shared-header secret
    (the cheapest verification, so the figures measure the Hub rather than HMAC)."""
    found = sorted(spec.slug for spec in load_catalog()
                   if spec.auth.method == "webhook" and spec.auth.signature == "shared_header")
    if not found:
        raise RuntimeError("no webhook integration with a shared_header signature in the catalog")
    return found[0]


def _setup(url: str) -> tuple[int, str]:
    secret = secrets.token_urlsafe(24)
    with session_scope(url) as s:
        tier_id = s.scalars(select(Tier.id).order_by(Tier.position).limit(1)).one()
        org = Organization(name="Bench webhooks", tier_id=tier_id)
        s.add(org)
        s.flush()
        integration = s.scalars(select(Integration).where(Integration.slug == bench_slug())).one()
        conn = Connection(organization_id=org.id, integration_id=integration.id, auth_type="webhook", config={},
                          sandbox=True, status="active", created_by="bench")
        s.add(conn)
        s.flush()
        rotate_webhook_secret(s, actor="bench", connection_id=conn.id, secret=secret)
        return conn.id, secret


def _servers(url: str, count: int, env: dict[str, str]) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    ports = [_free_port() for _ in range(count)]
    procs = [subprocess.Popen([sys.executable, "-m", "services.server.standalone", "--port", str(p)],
                              env={**env, "DATABASE_URL": url}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=at_the_databases_priority)
             for p in ports]
    roots = [f"http://127.0.0.1:{p}" for p in ports]
    for root, proc in zip(roots, procs, strict=True):
        for _ in range(1200):
            try:
                with http.make_client() as client:
                    if client.get(f"{root}/api/health").status_code in (200, 503):
                        break
            except http.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("a benchmark server exited")
            time.sleep(0.1)
    return procs, roots


def bench_webhooks(base_url: str, *, rate: int = 500, seconds: float = 20.0, servers: int = 2, workers: int = 2,
                   jobs_per_worker: int = 4, kill_after_s: float | None = None) -> dict[str, Any]:
    if not is_postgresql(base_url):
        raise InvalidInput("bench webhooks needs DATABASE_URL on PostgreSQL: its servers and workers share the job "
                           "queue (with SQLite one server handles webhooks itself)")
    keys = os.environ.get("HUB_ENCRYPTION_KEYS") or base64.b64encode(secrets.token_bytes(32)).decode()
    run = uuid.uuid4().hex[:8]
    with restored_environment("HUB_ENCRYPTION_KEYS", "HUB_JOBS"):
        os.environ.update(HUB_ENCRYPTION_KEYS=keys, HUB_JOBS="queue")
        with scratch_database(base_url) as url:
            upgrade_database(url)
            cid, secret = _setup(url)
            env = {**os.environ, "HUB_JOBS": "queue", "HUB_ENCRYPTION_KEYS": keys}
            server_procs, roots = _servers(url, servers, env)
            worker_procs = start_workers(url, workers, roots[0], queues="webhooks", concurrency=jobs_per_worker)
            try:
                wait_workers(url, workers, worker_procs)
                result = _drive(url, cid, secret, roots, rate, seconds, run, worker_procs, kill_after_s,
                                lambda: start_workers(url, 1, roots[0], queues="webhooks",
                                                      concurrency=jobs_per_worker))
            finally:
                stop_workers(worker_procs)
                stop_workers(server_procs)
    return {**result, "rate": rate, "seconds": seconds, "servers": servers, "workers": workers}


def _drive(url: str, cid: int, secret: str, roots: list[str], rate: int, seconds: float, run: str,
           worker_procs: list[subprocess.Popen[bytes]], kill_after_s: float | None,
           replacement: Any) -> dict[str, Any]:
    total = int(rate * seconds)
    headers = {"X-Layers-Webhook-Secret": secret, "content-type": "application/json"}
    slug = bench_slug()
    local = threading.local()
    acks: list[float] = []
    refused: list[int] = []
    lock = threading.Lock()
    start = 0.0

    def send(seq: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = http.make_client(timeout=30.0)
            # The senders stand for the outside world, not the Hub: never ahead of the servers and workers (at the
            # database's priority) on the CPU; on Linux a thread's priority is its own.
            at_the_databases_priority(threading.get_native_id())
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        try:
            answer = client.post(f"{roots[seq % len(roots)]}/hooks/{slug}/{cid}", headers=headers,
                                 content=json.dumps({"run": run, "seq": seq}).encode())
            status = answer.status_code
        except http.TransportError:
            status = 0
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            if status == 200:
                acks.append(elapsed)
            else:
                refused.append(status)

    with http.make_client(timeout=30.0) as warm:   # warm-up, not counted: imports, pools, the job deferrer
        for n in range(10 * len(roots)):
            warm.post(f"{roots[n % len(roots)]}/hooks/{slug}/{cid}", headers=headers,
                      content=json.dumps({"run": "warm-up", "seq": n}).encode())
    start = time.perf_counter() + 0.5
    killed = False
    with ThreadPoolExecutor(SENDERS) as pool:
        futures = [pool.submit(send, seq) for seq in range(total)]
        while kill_after_s is not None and not killed:
            if time.perf_counter() - start > kill_after_s:
                worker_procs[0].kill()         # SIGKILL mid-run: its jobs are retried, the pending pass covers
                worker_procs += replacement()
                killed = True
            time.sleep(0.05)
        for f in futures:
            f.result()
    sent_s = time.perf_counter() - start
    deadline = time.monotonic() + 300
    with session_scope(url) as s:
        while s.execute(text("SELECT count(*) FROM webhook_events WHERE connection_id = :c AND status = 'received'"),
                        {"c": cid}).scalar() and time.monotonic() < deadline:
            s.rollback()
            time.sleep(0.2)
        row = s.execute(text("""
            SELECT count(*) AS stored, count(DISTINCT payload->>'seq') AS distinct_seq,
                   count(*) FILTER (WHERE status = 'handled') AS handled,
                   count(*) FILTER (WHERE attempts <> 1) AS not_once,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handled_at - received_at)) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM handled_at - received_at)) AS p99
              FROM webhook_events WHERE connection_id = :c AND payload->>'run' = :run"""),
                        {"c": cid, "run": run}).one()
    acked = len(acks)
    return {"sent": total, "acknowledged": acked, "refused": len(refused), "stored": int(row.stored),
            "duplicated": int(row.stored) - int(row.distinct_seq), "lost": acked - int(row.distinct_seq),
            "handled": int(row.handled), "handled_not_once": int(row.not_once),
            "ack_ms_p50": _percentile(acks, 50), "ack_ms_p99": _percentile(acks, 99),
            "handled_ms_p50": round(float(row.p50) * 1000, 1) if row.p50 is not None else None,
            "handled_ms_p99": round(float(row.p99) * 1000, 1) if row.p99 is not None else None,
            "send_s": round(sent_s, 2), "killed_worker": killed}
