"""Plain-words diagnoses for every error category: as pure rules, and from real checks against the sandbox
(fault switches make it answer 429/401/5xx; a closed port and a wrong path give network and not-found)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import ApiCall, AuditEntry, Connection, TestRun
from services.monitoring.checks import check_connection, probe
from services.monitoring.diagnosis import diagnose, seconds
from services.sandbox import faults
from tests.health_support import clean_sandbox, sandbox_connection  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_sandbox")


def err(category: str, **kw) -> dict:  # type: ignore[no-untyped-def]
    return {"category": category, "message": kw.pop("message", "x"), "status": kw.pop("status", None),
            "provider_message": kw.pop("provider_message", None), "request_id": None,
            "retry_after": kw.pop("retry_after", None)}


@pytest.mark.parametrize(("error", "auth_type", "headline"), [
    (err("auth", status=403), "api_key", "The API key was rejected by ActiveCampaign"),
    (err("auth", status=401), "app_password", "The username or password was rejected by ActiveCampaign"),
    (err("auth", message="connection #3 needs to be reconnected: the provider refused the refresh token "
         "(invalid_grant)"), "oauth2", "The access token expired and refreshing it failed: ask the customer to "
     "reconnect"),
    (err("auth", message="the connection was revoked"), "oauth2", "The ActiveCampaign connection was revoked: ask "
     "the customer to reconnect"),
    (err("auth", status=403), "oauth2", "ActiveCampaign refused the request with this token (HTTP 403)"),
    (err("rate_limit", status=429, retry_after=40.0), "api_key", "ActiveCampaign rate limit: retry in 40 s"),
    (err("rate_limit", retry_after=12.2), "api_key", "The Hub is pacing its calls to ActiveCampaign for this "
     "account: retry in 13 s"),
    (err("validation", status=422, provider_message="email: is invalid"), "api_key",
     "ActiveCampaign refused the input (HTTP 422): email: is invalid"),
    (err("validation", message="invalid input: email: missing"), "api_key",
     "The input or the connection's settings are not valid: invalid input: email: missing"),
    (err("not_found", status=404), "api_key", "ActiveCampaign could not find what the request refers to (HTTP 404)"),
    (err("provider", status=502), "api_key", "ActiveCampaign had an internal error (HTTP 502): usually temporary"),
    (err("network"), "api_key", "ActiveCampaign could not be reached"),
])
def test_each_category_has_plain_words_and_advice(error, auth_type, headline):
    found = diagnose(error, service_name="ActiveCampaign", auth_type=auth_type)
    assert found is not None and found.headline.startswith(headline), found
    assert found.category == error["category"] and found.advice and found.label


def test_no_error_no_diagnosis_and_waits_are_rounded_up():
    assert diagnose(None, service_name="X") is None
    assert (seconds(40), seconds(39.2), seconds(95), seconds(120), seconds(0)) == ("40 s", "40 s", "1 min 35 s",
                                                                                   "2 min", "1 s")


def test_a_good_key_passes_and_the_call_is_logged(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    result = probe(conn_id)
    assert result.ok and result.summary == "ActiveCampaign accepted the credentials" and result.status_code == 200
    assert result.requests[0]["request_headers"]["api-token"] == "[redacted]"
    call = session.scalar(select(ApiCall).where(ApiCall.connection_id == conn_id))
    assert call.status_code == 200 and call.error_category is None and call.mode == "test"


def test_a_rejected_key_names_the_provider_and_keeps_its_message(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    from services.connect.store import write_secrets
    row = session.get(Connection, conn_id)
    write_secrets(row, {"api_key": "not-a-sandbox-key-123"})
    session.commit()
    result, run_id = check_connection(conn_id, actor="support@layers.example", ticket="SUP-77")
    assert not result.ok and result.category == "auth" and result.status_code == 403
    assert result.summary == "The API key was rejected by ActiveCampaign"
    assert result.error["provider_message"] == "No Result found for User with id 0"
    session.expire_all()
    row = session.get(Connection, conn_id)
    assert row.status == "error" and row.last_error == result.summary
    run = session.get(TestRun, run_id)
    assert (run.ticket, run.ok, run.action, run.staff_email) == ("SUP-77", False, None, "support@layers.example")
    assert run.result["error"]["category"] == "auth" and "not-a-sandbox-key" not in str(run.result)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.tested"))
    assert entry.after["ticket"] == "SUP-77" and entry.after["category"] == "auth"


def test_rate_limit_says_when_to_retry(session, world):
    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    faults.arm(faults.Fault("calendly", "acme", "rate_limit", times=1, retry_after=40))
    result = probe(conn_id)
    assert result.category == "rate_limit" and result.summary == "Calendly rate limit: retry in 40 s"
    assert "exceeded the rate limit" in result.error["provider_message"]
    assert len(result.requests) == 1, "a wait beyond the cap fails fast instead of sleeping 40 s"


def test_expired_token_whose_refresh_fails_says_reconnect(session, world):
    conn_id = sandbox_connection(session, world.org_id, "hubspot", "acme")
    from services.connect.store import read_secrets, write_secrets
    row = session.get(Connection, conn_id)
    write_secrets(row, {**read_secrets(row), "refresh_token": "revoked-refresh-token"})
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    result = probe(conn_id)
    assert result.category == "auth"
    assert result.summary == "The access token expired and refreshing it failed: ask the customer to reconnect"
    session.expire_all()
    assert session.get(Connection, conn_id).status == "needs_reauth"


def test_a_server_error_that_persists_after_retries_is_a_provider_error(session, world):
    conn_id = sandbox_connection(session, world.org_id, "wordpress", "acme")
    faults.arm(faults.Fault("wordpress", "*", "server_error", times=10))
    result = probe(conn_id)
    assert result.category == "provider" and result.status_code == 500
    assert result.summary.startswith("WordPress had an internal error (HTTP 500)")
    assert len(result.requests) == 4 and [r["attempt"] for r in result.requests] == [1, 2, 3, 4]


def test_a_closed_port_is_a_network_error(session, world):
    from tests.credentials_support import free_port
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    row = session.get(Connection, conn_id)
    row.sandbox, row.base_url = False, f"http://127.0.0.1:{free_port()}/api/3"
    session.commit()
    result = probe(conn_id)
    assert result.category == "network" and result.summary == "ActiveCampaign could not be reached"


def test_a_wrong_account_url_is_not_found(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    row = session.get(Connection, conn_id)
    row.base_url = row.base_url.replace("/account/api/3", "/nowhere/api/3")
    session.commit()
    result = probe(conn_id)
    assert result.category == "not_found" and "could not find" in result.summary


def test_unusable_settings_are_reported_without_a_call(session, world, monkeypatch):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    monkeypatch.setenv("HUB_SANDBOX", "0")
    result = probe(conn_id)
    assert result.category == "validation" and "sandbox is off" in result.summary and result.requests == []
