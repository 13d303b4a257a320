"""The credential check of a stored connection through the provider HTTP layer (pacing, retries, typed
errors, the API call log), its plain-words diagnosis, and what a check records.

``probe`` touches no table of its own (the call log and a due token refresh aside), so the sweep can run
many at once and store their results together; ``check_connection`` is the page's single check: probe,
then store a test run, update the connection, audit, and evaluate the connection's alerts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Connection, TestRun
from db.session import session_scope
from services.catalog import load_catalog
from services.connect.checks import check_spec, check_url_for, fixed_headers
from services.connect.connections import ConnectionView, get_connection
from services.connect.oauth_hooks import get_hook
from services.connect.outbound import Outbound
from services.connect.refresh import token_auth
from services.core import audit
from services.core.errors import HubError, PermissionDenied
from services.monitoring import wire
from services.monitoring.alerts import Send, evaluate_and_deliver
from services.monitoring.diagnosis import Diagnosis, diagnose
from services.monitoring.runs import TEST_ROLES, clean_ticket
from services.runtime.executors.run import StoredConnection, connection_client
from services.runtime.provider_errors import IntegrationError


@dataclass(frozen=True)
class CheckResult:
    connection_id: int
    service: str
    service_name: str
    auth_type: str
    ok: bool
    summary: str                      # the plain-words outcome
    error: dict[str, Any] | None      # category, message, status, provider_message, request_id, retry_after
    diagnosis: Diagnosis | None
    status_code: int | None
    duration_ms: float
    requests: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False             # the integration has no check call for this kind of credential

    @property
    def category(self) -> str | None:
        return self.error.get("category") if self.error else None

    def as_record(self) -> dict[str, Any]:
        """What a test run stores (requests are already redacted by the HTTP layer)."""
        return {"kind": "check", "ok": self.ok, "summary": self.summary, "error": self.error,
                "advice": self.diagnosis.advice if self.diagnosis else None, "status": self.status_code,
                "duration_ms": self.duration_ms, "requests": self.requests, "skipped": self.skipped}


def _error(category: str, message: str) -> dict[str, Any]:
    return {"category": category, "message": message, "status": None, "provider_message": None,
            "request_id": None, "retry_after": None}


def probe(connection_id: int, *, db_url: str | None = None, out: Outbound | None = None,
          view: ConnectionView | None = None, flush: bool = True,
          stored: StoredConnection | None = None) -> CheckResult:
    """Run the integration's credential check with the stored credential; never raises for a provider error."""
    out, recorder = wire.recording(out)    # the token refresh and consumed 401s are listed too
    if view is None:
        with session_scope(db_url) as s:
            view = get_connection(s, connection_id)
    spec = load_catalog().get(view.integration_slug)
    started = time.perf_counter()
    client, error, status, skipped = None, None, None, False
    try:
        client, config, _ = connection_client(connection_id, mode="test", db_url=db_url, out=out, stored=stored)
        template = get_hook(spec.slug).check_template if view.auth_type == "oauth2" else None
        if template:   # e.g. Mailchimp's metadata call wants "OAuth <token>"
            client.auth = token_auth(connection_id, db_url=db_url, out=out, template=template)
        url = check_url_for(spec, view.auth_type, config, client.base_url or None,
                            sandbox_connection=view.sandbox, out=out)
        request = check_spec(spec, view.auth_type)
        if url is None or request is None:
            skipped = True
        else:
            response = client.request(request.method, url, idempotent=True, headers=fixed_headers(spec))
            status = response.status_code if response is not None else None
    except IntegrationError as exc:       # incl. a refresh refused (ReauthRequired: auth) or failing (network)
        error, status = exc.as_dict(), exc.status
    except HubError as exc:               # unusable settings: sandbox off, unsafe URL, missing field
        error = _error("validation", str(exc))
    finally:
        if client is not None:
            client.close()
            if flush and client.log is not None:
                client.log.flush()
        recorder.shutdown()
    requests = wire.merge([e.as_dict() for e in client.exchanges] if client else [], recorder.calls,
                          client.secrets if client else None)
    diagnosis = diagnose(error, service_name=spec.name, auth_type=view.auth_type, sent=bool(recorder.calls))
    if diagnosis is not None:
        summary = diagnosis.headline
    elif skipped:
        summary = f"{spec.name} has no credential check for this kind of connection: nothing was called"
    else:
        summary = f"{spec.name} accepted the credentials"
    return CheckResult(connection_id, spec.slug, spec.name, view.auth_type, error is None, summary, error, diagnosis,
                       status, round((time.perf_counter() - started) * 1000, 1), requests, skipped)


def next_status(current: str, result: CheckResult) -> str:
    """The connection's status after a check: active after a pass, error when the provider refused the
    credential; needs_reauth and revoked only change through Reconnect."""
    if current in ("needs_reauth", "revoked"):
        return current
    if result.ok:
        return "active"
    if result.category == "auth" and result.status_code in (401, 403):
        return "error"
    return current


def apply_to_connection(session: Session, result: CheckResult) -> tuple[str, str] | None:
    """Record the outcome on the connection (last check, status, last error); returns (before, after) status."""
    row = session.get(Connection, result.connection_id)
    if row is None:
        return None
    before = row.status
    row.last_checked_at = utcnow()
    if result.ok or before not in ("needs_reauth", "revoked"):   # else nothing was sent: keep the cause
        row.last_error = None if result.ok else result.summary
    row.status = next_status(row.status, result)
    return before, row.status


def record_check(session: Session, result: CheckResult, *, actor: str, ticket: str | None = None) -> int:
    """Store a person's check as a test run (the connection's history), update the connection, audit it."""
    run = TestRun(connection_id=result.connection_id, action=None, mode="test", input={}, result=result.as_record(),
                  ok=result.ok, staff_email=actor, ticket=ticket)
    session.add(run)
    change = apply_to_connection(session, result)
    session.flush()
    audit.record(session, actor=actor, action="connection.tested", entity_type="connection",
                 entity_id=result.connection_id,
                 before={"status": change[0]} if change else None,
                 after={"ok": result.ok, "message": result.summary, "category": result.category,
                        "status": change[1] if change else None, "test_run": run.id, "ticket": ticket})
    return run.id


def check_connection(connection_id: int, *, actor: str, ticket: str | None = None, db_url: str | None = None,
                     out: Outbound | None = None, role: str | None = None,
                     send: Send | None = None) -> tuple[CheckResult, int]:
    """Check one connection now (the page's "Check connection"): returns the result and the test run id.
    ``send``: how alert events leave (default inline; see ``alerts.evaluate_and_deliver``)."""
    if role is not None and role not in TEST_ROLES:
        raise PermissionDenied(f"{role} may not test customer connections")
    ticket = clean_ticket(ticket)

    result = probe(connection_id, db_url=db_url, out=out)
    with session_scope(db_url) as s:
        run_id = record_check(s, result, actor=actor, ticket=ticket)
    evaluate_and_deliver(connection_ids=[connection_id], actor=actor, db_url=db_url, out=out, send=send)
    return result, run_id
