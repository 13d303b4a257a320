"""Issue 14, pages 7: what a check or run shows is what happened on the wire, and its time adds up.

A connection already marked Needs reconnect is not called at all: the page says so, instead of claiming a
refresh was refused just now next to "No HTTP request was made". A refresh refused during the check *is* an
HTTP exchange (the token request): it is listed, with its time. The total time is broken down into what is
listed (API calls, token refresh) and the Hub's own work, so the parts add up to the total.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from db.base import utcnow
from db.models import Connection
from services.connect.store import read_secrets, write_secrets
from services.monitoring.checks import check_connection, probe
from services.monitoring.runs import run_test
from services.people.staff import Staff
from tests.health_support import clean_sandbox, sandbox_connection  # noqa: F401
from tests.test_credential_test_page import open_page

pytestmark = pytest.mark.usefixtures("clean_sandbox")

SUPPORT = Staff(id=0, email="support@layers.example", name="Support", role="support", active=True)


def _expire(session, conn_id: int, *, refresh_token: str | None = None) -> None:  # type: ignore[no-untyped-def]
    row = session.get(Connection, conn_id)
    if refresh_token is not None:
        write_secrets(row, {**read_secrets(row), "refresh_token": refresh_token})
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()


def test_a_connection_marked_needs_reconnect_says_nothing_was_sent(session, world):
    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    session.get(Connection, conn_id).status = "needs_reauth"
    session.commit()
    result = probe(conn_id)
    assert not result.ok and result.requests == []
    assert result.summary.startswith("Nothing was sent: the Calendly connection is marked Needs reconnect"), result
    assert "refreshing it failed" not in result.summary
    assert "earlier" in result.diagnosis.advice and "Reconnect" in result.diagnosis.advice


def test_a_refresh_refused_during_the_check_lists_the_token_request(session, world):
    conn_id = sandbox_connection(session, world.org_id, "hubspot", "acme")
    _expire(session, conn_id, refresh_token="revoked-refresh-token")
    result = probe(conn_id)
    assert result.category == "auth" and "refresh" in result.summary
    assert [(r["purpose"], r["method"], r["status"]) for r in result.requests] == [("token refresh", "POST", 400)]
    token = result.requests[0]
    assert token["request_body"]["grant_type"] == "refresh_token"
    assert token["request_body"]["refresh_token"] == "[redacted]"
    assert token["response_body"]["status"] == "BAD_REFRESH_TOKEN", "HubSpot's own refusal, as it answered"
    assert "revoked-refresh-token" not in str(result.requests) and "sbx_secret" not in str(result.requests)
    assert 0 < token["duration_ms"] <= result.duration_ms


def test_a_refreshed_token_shows_both_requests_and_the_time_adds_up(session, world):
    conn_id = sandbox_connection(session, world.org_id, "hubspot", "acme")
    _expire(session, conn_id)
    result = probe(conn_id)
    assert result.ok, result
    assert [(r["purpose"], r["status"]) for r in result.requests] == [("token refresh", 200), ("API call", 200)]
    assert "access_token" not in str(result.requests[0]["response_body"]), "a token response is never kept"
    from services.monitoring.wire import breakdown
    parts = dict(breakdown(result.requests, result.duration_ms))
    assert set(parts) == {"API calls", "token refresh", "the Hub's own work"}
    assert abs(sum(parts.values()) - result.duration_ms) < 0.5
    assert parts["API calls"] == pytest.approx(result.requests[1]["duration_ms"], abs=0.05)


def test_a_run_whose_refresh_is_refused_lists_the_token_request_and_stores_it(session, world):
    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    _expire(session, conn_id, refresh_token="revoked-refresh-token")
    done = run_test(conn_id, "get_scheduled_events", {}, staff=SUPPORT)
    assert not done.result.ok
    assert [r["purpose"] for r in done.result.requests] == ["token refresh"]
    from db.models import TestRun
    stored = session.get(TestRun, done.test_run_id)
    assert [r["purpose"] for r in stored.result["requests"]] == ["token refresh"]


def test_the_page_explains_a_needs_reconnect_connection_without_contradiction(session, world):
    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    row = session.get(Connection, conn_id)
    row.status, row.last_error = "needs_reauth", "the provider refused the refresh token (invalid_grant)"
    session.commit()
    at = open_page(query=f"#{conn_id}")
    at.button(key="ct_check").click().run()
    assert not at.exception, at.exception
    shown = " ".join([e.value for e in at.error] + [m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [w.value for w in at.warning])
    assert "Nothing was sent" in shown and "No HTTP request was sent" in shown
    assert "refreshing it failed" not in shown
    warning = next(w.value for w in at.warning if "Needs reconnect" in w.value)
    assert "(last error: the provider refused the refresh token (invalid_grant))" in warning, warning
    session.expire_all()
    assert session.get(Connection, conn_id).last_error.startswith("the provider refused"), "the cause is kept"


def test_the_page_breaks_the_total_time_down(session, world):
    conn_id = sandbox_connection(session, world.org_id, "hubspot", "acme")
    _expire(session, conn_id)
    at = open_page(query=f"#{conn_id}")
    at.button(key="ct_check").click().run()
    assert not at.exception, at.exception
    caption = next(c.value for c in at.caption if "in total" in c.value)
    assert caption.startswith("2 HTTP exchanges"), caption
    numbers = [float(n) for n in re.findall(r"(\d+) ms", caption)]
    total, parts = numbers[0], numbers[1:]
    assert len(parts) == 3 and abs(sum(parts) - total) <= 2, caption   # each part is rounded to whole ms


def test_check_connection_keeps_the_token_request_in_the_history(session, world):
    conn_id = sandbox_connection(session, world.org_id, "hubspot", "acme")
    _expire(session, conn_id, refresh_token="revoked-refresh-token")
    result, run_id = check_connection(conn_id, actor="support@layers.example")
    from db.models import TestRun
    assert [r["purpose"] for r in session.get(TestRun, run_id).result["requests"]] == ["token refresh"]
    assert result.requests[0]["purpose"] == "token refresh"
