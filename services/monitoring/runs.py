"""Test runs from the credential-test page: run an action in test (or live) mode and keep the history.

Every run is stored (who, when, connection, action, mode, input, result, ticket) and audited. Live mode
changes the customer's account, so only engineers and admins may use it, with a ticket and a
confirmation that names the customer account; these rules are enforced here, not only in the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import TestRun
from db.session import session_scope
from services.catalog import load_catalog
from services.connect.connections import get_connection
from services.connect.outbound import Outbound
from services.core import audit
from services.core.errors import InvalidInput, PermissionDenied
from services.monitoring import wire
from services.monitoring.alerts import Send, evaluate_and_deliver
from services.monitoring.diagnosis import Diagnosis, diagnose
from services.people.staff import Staff
from services.runtime.executors.context import RunResult
from services.runtime.executors.run import load_connections, run_action

TEST_ROLES = frozenset({"support", "engineer", "admin"})
LIVE_ROLES = frozenset({"engineer", "admin"})
TICKET = re.compile(r"^[\w.#:/ -]{1,64}$")


def clean_ticket(ticket: str | None, *, required: bool = False) -> str | None:
    """A ticket reference (e.g. SUP-1234): at most 64 letters, digits and . # : / - _ or spaces."""
    value = (ticket or "").strip()
    if not value:
        if required:
            raise InvalidInput("a ticket reference is required for live mode")
        return None
    if not TICKET.match(value):
        raise InvalidInput("ticket: use at most 64 letters, digits, spaces and . # : / - _")
    return value


def may_run_live(role: str) -> bool:
    return role in LIVE_ROLES


@dataclass(frozen=True)
class Outcome:
    result: RunResult
    diagnosis: Diagnosis | None
    test_run_id: int


def run_test(connection_id: int, action: str, inputs: dict[str, Any], *, staff: Staff, mode: str = "test",
             ticket: str | None = None, confirm_account: str | None = None, db_url: str | None = None,
             out: Outbound | None = None, send: Send | None = None) -> Outcome:
    """Run ``action`` on the connection, store the run, audit it and evaluate the connection's alerts (their
    events delivered inline, or by ``send``: see ``alerts.evaluate_and_deliver``)."""
    if staff.role not in TEST_ROLES:
        raise PermissionDenied(f"{staff.role} may not run actions on customer connections")
    if mode not in ("test", "live"):
        raise InvalidInput(f"mode must be test or live, not {mode!r}")
    ticket = clean_ticket(ticket, required=mode == "live")
    with session_scope(db_url) as s:
        view = get_connection(s, connection_id)
    if mode == "live":
        if not may_run_live(staff.role):
            raise PermissionDenied("live mode changes the customer's account: only engineers and admins may use it")
        if (confirm_account or "").strip().casefold() != view.organization.casefold():
            raise InvalidInput(f"live mode: type the customer account name ({view.organization}) to confirm")
    recorded, recorder = wire.recording(out)   # the token refresh and consumed 401s are listed too
    try:
        result = run_action(connection_id, action, inputs, mode=mode, db_url=db_url, out=recorded)
    finally:
        recorder.shutdown()
    result = replace(result, requests=wire.merge(result.requests, recorder.calls,
                                                  _secrets(connection_id, db_url) if recorder.calls else None))
    spec = load_catalog().get(view.integration_slug)
    diagnosis = diagnose(result.error, service_name=spec.name, auth_type=view.auth_type,
                         sent=bool(recorder.calls))
    record = {"kind": "action", **result.as_dict(), "summary": _summary(result, diagnosis, spec.name),
              "advice": diagnosis.advice if diagnosis else None}
    with session_scope(db_url) as s:
        run = TestRun(connection_id=connection_id, action=action, mode=mode, input=dict(inputs), result=record,
                      ok=result.ok, staff_email=staff.email, ticket=ticket)
        s.add(run)
        s.flush()
        audit.record(s, actor=staff.email, action="connection.test_run", entity_type="connection",
                     entity_id=connection_id,
                     after={"test_run": run.id, "action": action, "mode": mode, "ok": result.ok, "ticket": ticket,
                            "organization": view.organization if mode == "live" else None,
                            "category": result.error["category"] if result.error else None})
        run_id = run.id
    evaluate_and_deliver(connection_ids=[connection_id], actor=staff.email, db_url=db_url, out=out, send=send)
    return Outcome(result, diagnosis, run_id)


def _secrets(connection_id: int, db_url: str | None) -> dict[str, Any]:
    """The connection's secret values, to scrub from what the recorder saw below the client."""
    stored = load_connections([connection_id], db_url=db_url).get(connection_id)
    return dict(stored.secrets) if stored else {}


def _summary(result: RunResult, diagnosis: Diagnosis | None, name: str) -> str:
    if diagnosis is not None:
        return diagnosis.headline
    if result.preview:
        return f"{name} accepted the input: the request was built and not sent (test mode)"
    return f"{name} answered successfully" + (" (live: the customer's account was changed)"
                                              if result.mode == "live" else "")


@dataclass(frozen=True)
class HistoryRow:
    id: int
    created_at: datetime
    staff_email: str
    mode: str
    action: str | None
    ok: bool
    summary: str
    category: str | None
    ticket: str | None
    duration_ms: float | None
    input: dict[str, Any]
    result: dict[str, Any]

    @property
    def what(self) -> str:
        return "Credential check" if self.action is None else self.action


def history(session: Session, connection_id: int, *, limit: int = 50) -> list[HistoryRow]:
    """The connection's test runs and checks, newest first."""
    rows = session.scalars(select(TestRun).where(TestRun.connection_id == connection_id)
                           .order_by(TestRun.created_at.desc(), TestRun.id.desc()).limit(limit))
    out = []
    for r in rows:
        result = r.result or {}
        error = result.get("error") or {}
        out.append(HistoryRow(r.id, r.created_at, r.staff_email, r.mode, r.action, r.ok,
                              str(result.get("summary") or ("passed" if r.ok else "failed")), error.get("category"),
                              r.ticket, result.get("duration_ms"), dict(r.input or {}), result))
    return out
