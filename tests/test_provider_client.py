"""The HTTP layer: retries and caps, typed errors with the provider's message, pacing, test mode,
redaction and the call log. Providers are faked with MockTransport following their documented bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from db.models import ApiCall, Integration
from services.catalog import load_catalog
from services.connect.outbound import Outbound
from services.core.config import load_settings
from services.runtime import http
from services.runtime.call_log import CallLog
from services.runtime.pacing import Pacer
from services.runtime.provider_client import ProviderClient, redact_url
from services.runtime.provider_errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    ProviderError,
    RateLimited,
    ValidationFailed,
)


def public_dns(host: str) -> list[str]:
    return ["93.184.216.34"]


class Script:
    """Answers requests with a scripted list of responses and records what was sent."""

    def __init__(self, *responses: http.Response | Exception) -> None:
        self.responses = list(responses)
        self.sent: list[http.Request] = []

    def __call__(self, request: http.Request) -> http.Response:
        self.sent.append(request)
        nxt = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(nxt, Exception):
            raise nxt
        return nxt


def client(slug: str, script: Script, *, mode: str = "live", log: CallLog | None = None, max_wait: float = 30.0,
           secrets: dict | None = None, auth: http.Auth | None = None) -> tuple[ProviderClient, list[float]]:
    slept: list[float] = []
    spec = load_catalog().get(slug)
    out = Outbound(load_settings(), transport=http.MockTransport(script), resolver=public_dns)
    c = ProviderClient(spec=spec, base_url="https://api.example.com/v3", auth=auth, integration_id=1,
                       connection_id=None, mode=mode, action="x", secrets=secrets or {}, out=out, log=log,
                       pacer=Pacer(sleep=slept.append), max_wait=max_wait, sleep=slept.append)
    return c, slept


def resp(status: int, body: object = None, headers: dict | None = None) -> http.Response:
    return http.Response(status, json=body if body is not None else {}, headers=headers or {})


def test_429_waits_retry_after_seconds_then_succeeds():
    script = Script(resp(429, {"message": "slow down"}, {"Retry-After": "2"}), resp(200, {"ok": 1}))
    c, slept = client("calendly", script)
    assert c.request("POST", "/things", json={"a": 1}).json() == {"ok": 1}
    assert slept == [2.0] and len(script.sent) == 2          # a 429 was not processed: safe to resend a write


def test_retry_after_as_http_date():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    script = Script(resp(429, {}, {"Retry-After": when}), resp(200, {}))
    c, slept = client("webflow", script)
    c.request("GET", "/sites")
    assert 3.0 <= slept[0] <= 5.0


def test_calendly_reset_header_is_a_retry_after_source():
    script = Script(resp(429, {"title": "Too Many Requests", "message": "limit"}, {"X-RateLimit-Reset": "7"}),
                    resp(200, {}))
    c, slept = client("calendly", script)
    c.request("GET", "/users/me")
    assert slept == [7.0]


def test_wait_past_the_cap_fails_fast_with_the_time_to_retry():
    script = Script(resp(429, {"title": "Too Many Requests", "message": "Rate limit exceeded"},
                         {"Retry-After": "40"}))
    c, slept = client("calendly", script, max_wait=30)
    with pytest.raises(RateLimited) as info:
        c.request("GET", "/users/me")
    assert slept == [] and info.value.retry_after == 40.0
    assert "retry in 40 s" in str(info.value) and "Rate limit exceeded" in str(info.value)


def test_hubspot_429_names_its_policy():
    body = {"status": "error", "message": "You have reached your secondly limit.", "correlationId": "c-1",
            "category": "RATE_LIMITS", "policyName": "SECONDLY"}
    c, _ = client("hubspot", Script(resp(429, body, {"Retry-After": "60"})), max_wait=1)
    with pytest.raises(RateLimited) as info:
        c.request("GET", "/crm/v3/objects/contacts")
    assert "(SECONDLY)" in str(info.value) and info.value.request_id == "c-1"


def test_salesforce_403_request_limit_exceeded_is_a_rate_limit():
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    c, _ = client("salesforce", Script(resp(403, body)), max_wait=0)
    with pytest.raises(RateLimited, match="TotalRequests Limit exceeded"):
        c.request("GET", "/sobjects/Lead/00Q1")
    other = [{"message": "Insufficient access", "errorCode": "INSUFFICIENT_ACCESS"}]
    c, _ = client("salesforce", Script(resp(403, other)))
    with pytest.raises(AuthError):
        c.request("GET", "/sobjects/Lead/00Q1")


def test_5xx_is_retried_for_idempotent_requests_only():
    script = Script(resp(500, {"message": "boom"}), resp(200, {"id": 1}))
    c, slept = client("webflow", script)
    assert c.request("GET", "/sites").status_code == 200 and len(slept) == 1
    script = Script(resp(500, {"message": "boom"}), resp(200, {"id": 1}))
    c, _ = client("webflow", script)
    with pytest.raises(ProviderError, match="boom"):
        c.request("POST", "/collections/c/items", json={"fieldData": {}})
    assert len(script.sent) == 1                                # a write is never sent twice


def test_503_write_not_repeated_but_idempotency_key_allows_it():
    c, _ = client("webflow", Script(resp(503, {"message": "down"})))
    with pytest.raises(RateLimited):
        c.request("POST", "/x", json={})
    script = Script(resp(503, {"message": "down"}), resp(201, {"id": 2}))
    c, _ = client("webflow", script)
    assert c.request("POST", "/x", json={}, idempotency_key="k-1").status_code == 201
    assert [r.headers["Idempotency-Key"] for r in script.sent] == ["k-1", "k-1"]


def test_connection_errors_retried_for_reads_and_become_network_errors():
    script = Script(http.TransportError("reset"), resp(200, {}))
    c, _ = client("webflow", script)
    assert c.request("GET", "/sites").status_code == 200
    c, _ = client("webflow", Script(http.TransportError("reset")))
    with pytest.raises(NetworkError):
        c.request("POST", "/x", json={})


@pytest.mark.parametrize("status, body, error, words", [
    (401, {"message": "Invalid token"}, AuthError, "Invalid token"),
    (404, {"errors": [{"detail": "No Result found for Contact with id 9"}]}, NotFoundError, "No Result found"),
    (422, {"errors": [{"title": "Email address is invalid", "detail": "bad", "code": "invalid"}]}, ValidationFailed,
     "Email address is invalid"),
    (400, {"type": "https://mailchimp.com/developer/", "title": "Invalid Resource", "status": 400,
           "detail": "The resource submitted could not be validated.", "errors": [{"field": "email_address",
                                                                                 "message": "Invalid email"}]},
     ValidationFailed, "Invalid Resource"),
    (400, [{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING"}],
     ValidationFailed, "REQUIRED_FIELD_MISSING"),
])
def test_errors_are_typed_and_carry_the_providers_message(status, body, error, words):
    c, _ = client("activecampaign", Script(resp(status, body, {"x-request-id": "req-9"})))
    with pytest.raises(error) as info:
        c.request("POST", "/contacts", json={})
    assert words in str(info.value) and info.value.status == status and info.value.request_id == "req-9"


def test_activecampaign_200_with_succeeded_0_is_an_error():
    body = {"succeeded": 0, "message": "Campaign is not ready to be scheduled"}
    c, _ = client("activecampaign", Script(resp(200, body)))
    with pytest.raises(ValidationFailed, match="not ready"):
        c.request("PUT", "/campaigns/7/schedule", json={})


def test_test_mode_sends_reads_but_not_writes():
    script = Script(resp(200, {"users": []}))
    c, _ = client("activecampaign", script, mode="test")
    assert c.request("GET", "/users/me").status_code == 200
    assert c.request("POST", "/contacts", json={"contact": {"email": "a@example.com"}}) is None
    assert [r.method for r in script.sent] == ["GET"]
    assert [(e.method, e.sent) for e in c.exchanges] == [("GET", True), ("POST", False)]
    assert c.exchanges[1].as_dict()["request_body"] == {"contact": {"email": "a@example.com"}}


def test_secrets_are_redacted_from_exchanges_errors_and_urls():
    secret = "sbx_acme.super-secret-key-1234"
    script = Script(resp(401, {"message": f"Key {secret} is not valid"}))
    c, _ = client("activecampaign", script, secrets={"api_key": secret},
                  auth=http.HeaderAuth("Api-Token", secret))
    with pytest.raises(AuthError) as info:
        c.request("GET", "/users/me", params={"api_key": secret})
    assert secret not in str(info.value) and secret not in json.dumps([e.as_dict() for e in c.exchanges])
    assert c.exchanges[0].as_dict()["request_headers"]["api-token"] == "[redacted]"
    assert redact_url("https://u:p@x.example.com/a?access_token=abc&page=2") == \
        "https://x.example.com/a?access_token=%5Bredacted%5D&page=2"


@pytest.mark.parametrize(("name", "secret"), [
    ("access_token", True), ("api_key", True), ("apiKey", True), ("hapikey", True), ("X-Amz-Signature", True),
    ("hub.verify_token", True), ("code", True), ("client_secret", True), ("sig", True), ("accessToken", True),
    ("assignee_type", False), ("author", False), ("keyword", False), ("page", False), ("hub.challenge", False)])
def test_query_redaction_goes_by_the_words_of_a_name_not_substrings(name, secret):
    redacted = "%5Bredacted%5D" in redact_url(f"https://x.example.com/a?{name}=value-1")
    assert redacted is secret


def test_pacing_spaces_calls_to_the_catalog_limit():
    script = Script(resp(200, {}))
    c, slept = client("activecampaign", script)      # 5 requests per second per account
    for _ in range(7):
        c.request("GET", "/users/me")
    assert len(slept) >= 1 and sum(slept) > 0.2


def test_every_call_goes_to_the_call_log(session, db_url):
    hubspot = session.scalar(select(Integration).where(Integration.slug == "hubspot"))
    log = CallLog(db_url)
    script = Script(resp(500, {"message": "x"}), resp(200, {}))
    c, _ = client("hubspot", script, log=log, secrets={"api_key": "sbx_secret-value-1"})
    c.integration_id = hubspot.id
    c.request("GET", "/crm/v3/objects/contacts", params={"hapikey": "sbx_secret-value-1", "limit": 1})
    log.flush()
    rows = session.scalars(select(ApiCall).order_by(ApiCall.id)).all()
    assert [(r.status_code, r.attempt, r.error_category) for r in rows] == [(500, 1, "provider"), (200, 2, None)]
    assert all("sbx_secret-value-1" not in r.url and "hapikey=%5Bredacted%5D" in r.url for r in rows)
    assert rows[0].mode == "live" and rows[0].action == "x"
