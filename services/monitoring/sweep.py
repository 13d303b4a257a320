"""The health sweep: every connection's credential check (all, or one integration's), run concurrently.

Concurrency is bounded by a thread pool of ``concurrency`` workers; below that, every call goes through
the provider HTTP layer, so the per-provider pacing (services/pacing.py) still holds across workers.
Checks only read while they run (a due OAuth refresh aside); the results are stored together at the
end: one ``health_sweeps`` row, one result per connection, each connection's last check and status, a
single audit entry, then the swept connections' alerts are evaluated. Revoked connections are skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Connection, Integration, Organization
from db.models.health import HealthSweep, SweepResult
from db.session import session_scope
from services.catalog import load_catalog
from services.connect.connections import ConnectionView, list_connections
from services.connect.outbound import Outbound
from services.core import audit
from services.core.errors import InvalidInput, PermissionDenied
from services.monitoring.alerts import AlertEvent, Send, evaluate_and_deliver
from services.monitoring.checks import CheckResult, next_status, probe
from services.runtime import http
from services.runtime.call_log import call_log
from services.runtime.executors.run import StoredConnection, load_connections

MAX_CONCURRENCY = 64
DEFAULT_CONCURRENCY = 8
SWEEP_ROLES = frozenset({"support", "engineer", "admin"})
Progress = Callable[[int, int, CheckResult], None]
RESULT_COLUMNS = ["connection", "organization", "integration", "outcome", "category", "result", "HTTP", "ms"]


@dataclass(frozen=True)
class SweepReport:
    sweep_id: int
    service: str | None
    concurrency: int
    total: int
    passed: int
    failed: int
    duration_s: float
    results: list[CheckResult] = field(default_factory=list)
    alerts: list[AlertEvent] = field(default_factory=list)


def targets(session: Session, service: str | None = None,
            connection_ids: list[int] | None = None) -> list[ConnectionView]:
    """The connections a sweep checks: every one not revoked (of one integration when ``service`` is given; of
    these ids only, when given: a shard reads its own rows, not every connection's)."""
    if service is not None and service not in load_catalog().integrations:
        raise InvalidInput(f"unknown integration {service!r}")
    return [c for c in list_connections(session, connection_ids=connection_ids) if c.status != "revoked"
            and (service is None or c.integration_slug == service)]


class PooledTransport(http.BaseTransport):
    """Connection pools for the checks of a sweep, one per worker thread, sharing one TLS context.

    Each check builds its own client; building a client's default transport costs ~15 ms of CPU (its TLS
    context), which would serialise the workers on the GIL. One pool shared by every worker serialised them on
    the pool's lock instead, whose bookkeeping scans all its connections on each request (seen in a profile of
    the sweep benchmark), so each worker keeps its own small pool. A check's client closing does not close it."""

    PER_WORKER = 4   # a check's requests run one after another; a few hosts (API, token endpoint) at most

    def __init__(self) -> None:
        self._tls = http.tls_context()
        self._local = threading.local()
        self._all: list[http.BaseTransport] = []
        self._lock = threading.Lock()

    def _mine(self) -> http.BaseTransport:
        transport = getattr(self._local, "transport", None)
        if transport is None:
            transport = self._local.transport = http.pooled_transport(self.PER_WORKER, self._tls)
            with self._lock:
                self._all.append(transport)
        return transport

    def handle_request(self, request: http.Request) -> http.Response:
        return self._mine().handle_request(request)

    def close(self) -> None:      # called by each check's client: the pools stay open
        pass

    def shutdown(self) -> None:
        with self._lock:
            transports, self._all = self._all, []
        for transport in transports:
            transport.close()


def _safe_probe(view: ConnectionView, db_url: str | None, out: Outbound | None,
                stored: StoredConnection | None = None) -> CheckResult:
    try:
        return probe(view.id, db_url=db_url, out=out, view=view, flush=False, stored=stored)
    except Exception as exc:   # one broken connection must not stop the sweep
        error = {"category": "provider", "message": f"the check could not run ({type(exc).__name__})",
                 "status": None, "provider_message": None, "request_id": None, "retry_after": None}
        return CheckResult(view.id, view.integration_slug, view.integration, view.auth_type, False,
                           f"The check could not run ({type(exc).__name__}); tell engineering", error, None, None, 0.0)


def run_sweep(*, actor: str, service: str | None = None, concurrency: int = DEFAULT_CONCURRENCY,
              db_url: str | None = None, out: Outbound | None = None, progress: Progress | None = None,
              evaluate_alerts: bool = True, role: str | None = None,
              connection_ids: list[int] | None = None, send: Send | None = None) -> SweepReport:
    """Check every connection concurrently; ``progress(done, total, result)`` is called as each finishes
    (in the caller's thread). ``role``: the signed-in staff member's role (pages); the CLI runs as HUB_ACTOR.
    ``connection_ids``: only these (a shard of a sweep split across job workers, services/jobs/tasks.py).
    ``evaluate_alerts``: evaluate the swept connections' alerts and deliver the events (once each), inline or by
    ``send`` (services.jobs.tasks.alert_sender); the shard jobs pass False, evaluate themselves and queue the
    deliveries as retried jobs."""
    if role is not None and role not in SWEEP_ROLES:
        raise PermissionDenied(f"{role} may not run health sweeps (read-only)")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
    with session_scope(db_url) as s:
        views = targets(s, service, connection_ids)
    stored = load_connections([v.id for v in views], db_url=db_url)   # a few queries, not one per check
    pooled = PooledTransport() if out is None else None
    outbound = out or Outbound(transport=pooled)
    started_at, started = utcnow(), time.perf_counter()
    results: list[CheckResult] = []
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sweep") as pool:
            futures = [pool.submit(_safe_probe, v, db_url, outbound, stored.get(v.id)) for v in views]
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                results.append(result)
                if progress is not None:
                    progress(done, len(views), result)
    finally:
        if pooled is not None:
            pooled.shutdown()
    call_log(db_url).flush()
    duration = time.perf_counter() - started
    results.sort(key=lambda r: r.connection_id)
    passed = sum(r.ok for r in results)
    with session_scope(db_url) as s:
        sweep = HealthSweep(actor=actor, service=service, concurrency=concurrency, total=len(results), passed=passed,
                            failed=len(results) - passed, duration_ms=round(duration * 1000, 1),
                            started_at=started_at, finished_at=utcnow())
        s.add(sweep)
        s.flush()
        # Bulk statements: one INSERT and one UPDATE (by primary key) for the whole sweep, on the statuses
        # read now (a check may have changed one, e.g. a refused refresh marks needs_reauth).
        ids, now = [r.connection_id for r in results], utcnow()
        current: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            current.update((i, st) for i, st in s.execute(select(Connection.id, Connection.status)
                                                          .where(Connection.id.in_(ids[start:start + 500]))))
        if results:
            s.execute(insert(SweepResult), [
                {"sweep_id": sweep.id, "connection_id": r.connection_id, "ok": r.ok, "category": r.category,
                 "diagnosis": r.summary, "status_code": r.status_code, "duration_ms": r.duration_ms,
                 "checked_at": now} for r in results])
        changes = [{"id": r.connection_id, "last_checked_at": now, "last_error": None if r.ok else r.summary,
                    "status": next_status(current[r.connection_id], r)} for r in results if r.connection_id in current]
        if changes:
            s.execute(update(Connection), changes)
        audit.record(s, actor=actor, action="health.sweep", entity_type="health_sweep", entity_id=sweep.id,
                     after={"service": service, "concurrency": concurrency, "total": len(results), "passed": passed,
                            "failed": len(results) - passed})
        sweep_id = sweep.id
    events = evaluate_and_deliver(connection_ids=[r.connection_id for r in results], actor=actor, db_url=db_url,
                                  out=out, send=send) if evaluate_alerts and results else []
    return SweepReport(sweep_id, service, concurrency, len(results), passed, len(results) - passed,
                       round(duration, 3), results, events)


def results_frame(results: list[CheckResult], views: dict[int, ConnectionView] | None = None) -> pd.DataFrame:
    """A sweep's results as a table (failures first)."""
    rows = [{"connection": r.connection_id, "organization": views[r.connection_id].organization
             if views and r.connection_id in views else None, "integration": r.service_name,
             "outcome": "passed" if r.ok else "FAILED", "category": r.category or "", "result": r.summary,
             "HTTP": "" if r.status_code is None else str(r.status_code), "ms": r.duration_ms} for r in results]
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return frame.sort_values(["outcome", "connection"], kind="stable").reset_index(drop=True)


def recent_sweeps(session: Session, *, limit: int = 10) -> pd.DataFrame:
    rows = session.execute(select(HealthSweep.id, HealthSweep.started_at, HealthSweep.actor, HealthSweep.service,
                                  HealthSweep.total, HealthSweep.passed, HealthSweep.failed, HealthSweep.concurrency,
                                  HealthSweep.duration_ms)
                           .order_by(HealthSweep.started_at.desc(), HealthSweep.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["sweep", "started", "by", "integration", "checked", "passed", "failed",
                                       "concurrency", "duration (ms)"])


def sweep_results(session: Session, sweep_id: int) -> pd.DataFrame:
    """A stored sweep's results (failures first)."""
    rows = session.execute(
        select(SweepResult.connection_id, Organization.name, Integration.name, SweepResult.ok, SweepResult.category,
               SweepResult.diagnosis, SweepResult.status_code, SweepResult.duration_ms)
        .join(Connection, Connection.id == SweepResult.connection_id)
        .join(Organization, Organization.id == Connection.organization_id)
        .join(Integration, Integration.id == Connection.integration_id)
        .where(SweepResult.sweep_id == sweep_id).order_by(SweepResult.ok, SweepResult.connection_id)).all()
    return pd.DataFrame([(c, o, i, "passed" if ok else "FAILED", cat or "", res, "" if st is None else str(st), ms)
                         for c, o, i, ok, cat, res, st, ms in rows], columns=RESULT_COLUMNS)
