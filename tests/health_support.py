"""Helpers for the credential-test and API-health tests: a clean sandbox, organizations of a tier,
sandbox connections for them, and API call log rows written directly (fixture rows with known values)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.models import ApiCall, Connection, Integration, Organization, Tier
from services.sandbox import faults, limits, store
from tests.executor_support import make_connection


@pytest.fixture
def clean_sandbox() -> Iterator[None]:
    """No fault switch, limiter count or account state leaks between tests."""
    faults.clear()
    limits.reset_all()
    store.reset_all()
    yield
    faults.clear()
    limits.reset_all()


def organization(session, name: str, tier: str = "free") -> int:  # type: ignore[no-untyped-def]
    tier_row = session.scalar(select(Tier).where(Tier.slug == tier))
    org = Organization(name=name, tier_id=tier_row.id)
    session.add(org)
    session.commit()
    return org.id


class _World:
    def __init__(self, org_id: int, org_name: str) -> None:
        self.org_id, self.org_name = org_id, org_name


def sandbox_connection(session, org_id: int, slug: str, account: str, **config) -> int:  # type: ignore[no-untyped-def]
    """A sandbox connection of ``slug`` for an organization (sealed secrets following the sbx_ rule)."""
    org = session.get(Organization, org_id)
    return make_connection(session, _World(org.id, org.name), slug, account, config=config or None)


def plain_connection(session, org_id: int, slug: str = "activecampaign") -> int:  # type: ignore[no-untyped-def]
    """A connection row without secrets (for call-log and alert tests that make no provider call)."""
    integration = session.scalar(select(Integration).where(Integration.slug == slug))
    conn = Connection(organization_id=org_id, integration_id=integration.id, auth_type="api_key", config={},
                      status="active", created_by="test")
    session.add(conn)
    session.commit()
    return conn.id


def add_calls(session, connection_id: int, outcomes: str, *, start: datetime, step: timedelta = timedelta(minutes=1),  # type: ignore[no-untyped-def]
              durations: list[float] | None = None, category: str = "provider") -> list[datetime]:
    """Log one call per character of ``outcomes`` ("." succeeded, "x" failed), oldest first."""
    conn = session.get(Connection, connection_id)
    stamps = []
    for n, mark in enumerate(outcomes):
        at = start + step * n
        failed = mark == "x"
        session.add(ApiCall(integration_id=conn.integration_id, connection_id=connection_id, action=None, mode="test",
                            method="GET", url="https://example.test/check", status_code=500 if failed else 200,
                            duration_ms=durations[n] if durations else 100.0, attempt=1,
                            error_category=category if failed else None, created_at=at))
        stamps.append(at)
    session.commit()
    return stamps


class WebhookSink:
    """A loopback HTTP server recording JSON POSTs (alert webhook deliveries); answers ``status``, after 500 to the
    first ``fail_first`` POSTs; with ``hold``, each answer waits until that event is set (a POST in flight)."""

    def __init__(self, status: int = 204, *, fail_first: int = 0, hold: threading.Event | None = None) -> None:
        self.status, self.received = status, []
        self.fail_first, self.hold = fail_first, hold

    def __enter__(self) -> WebhookSink:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                sink.received.append(json.loads(body))
                if sink.hold is not None:
                    sink.hold.wait(30)
                self.send_response(500 if len(sink.received) <= sink.fail_first else sink.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/alerts/secret-token-path"
