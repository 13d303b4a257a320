"""The Calendly sandbox behaves like API v2 where the Hub relies on it: Bearer auth (issued tokens expire),
scheduled events with user/organization filters and page_token pagination, cancellation (201), webhook
subscriptions, X-RateLimit-* on every response and the real per-user minute limit, Calendly's
{title, message, details} errors, fault switches and deterministic per-account events."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from services import sandbox
from services.providers.calendly import sandbox as cal
from services.sandbox import faults
from tests.sandbox_support import examples, sandbox_client

API = "/sandbox/calendly/api"
ACME = {"Authorization": "Bearer sbx_acme.personal-access-token"}
BETA = {"Authorization": "Bearer sbx_beta"}
EXAMPLE = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def me(client: TestClient, headers=ACME) -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"{API}/users/me", headers=headers).json()["resource"]


def events(client: TestClient, headers=ACME, **params):  # type: ignore[no-untyped-def]
    return client.get(f"{API}/scheduled_events", params=params, headers=headers)


def assert_error(response, status: int, title: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    body = response.json()
    assert body["title"] == title and body["message"]
    return body


def test_users_me_and_rate_limit_headers_on_every_response(client):
    response = client.get(f"{API}/users/me", headers=ACME)
    resource = response.json()["resource"]
    assert resource["uri"] == cal.user_uri("acme") and resource["current_organization"] == cal.organization_uri("acme")
    assert response.headers["X-RateLimit-Limit"] == "500" and response.headers["X-RateLimit-Remaining"] == "499"
    assert 1 <= int(response.headers["X-RateLimit-Reset"]) <= 60
    missing = client.get(f"{API}/scheduled_events/nope", headers=ACME)
    assert missing.status_code == 404 and missing.headers["X-RateLimit-Remaining"] == "498"


def test_events_are_seeded_deterministically_per_account(client):
    acme = cal.state("acme")["events"]
    assert acme == cal.state("acme")["events"] and len(acme) == 6 and EXAMPLE in acme
    assert set(acme) != set(cal.state("beta")["events"]) and EXAMPLE in cal.state("beta")["events"]
    assert sum(e["status"] == "canceled" for e in acme.values()) == 1


def test_list_by_user_pages_with_next_page_token(client):
    user = me(client)["uri"]
    seen, token, pages = [], None, 0
    while True:
        params = {"user": user, "count": 2, **({"page_token": token} if token else {})}
        body = events(client, **params).json()
        seen += [e["uri"] for e in body["collection"]]
        pages += 1
        pagination = body["pagination"]
        assert pagination["count"] == len(body["collection"])
        token = pagination["next_page_token"]
        if token is None:
            assert pagination["next_page"] is None
            break
        assert pagination["next_page"].startswith("https://api.calendly.com/scheduled_events?")
        assert parse_qs(urlsplit(pagination["next_page"]).query)["page_token"] == [token]
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    starts = [e["start_time"] for e in events(client, user=user, count=100).json()["collection"]]
    assert starts == sorted(starts)
    assert events(client, user=user, sort="start_time:desc").json()["collection"][0]["start_time"] == max(starts)
    first = events(client, user=user, count=2).json()["pagination"]
    assert first["previous_page_token"] is None
    second = events(client, user=user, count=2, page_token=first["next_page_token"]).json()["pagination"]
    back = events(client, user=user, count=2, page_token=second["previous_page_token"]).json()
    assert back["pagination"]["next_page_token"] == first["next_page_token"]


def test_filters_status_time_range_organization_and_invitee(client):
    org = me(client)["current_organization"]
    assert len(events(client, organization=org, status="active").json()["collection"]) == 5
    [canceled] = events(client, organization=org, status="canceled").json()["collection"]
    assert canceled["cancellation"]["canceler_type"] == "invitee"
    january = events(client, organization=org, min_start_time="2026-01-01T00:00:00Z",
                     max_start_time="2026-01-31T23:59:59Z").json()["collection"]
    assert {e["start_time"][:7] for e in january} == {"2026-01"} and len(january) == 4
    only = events(client, organization=org, invitee_email="invitee3@example.com").json()["collection"]
    assert len(only) == 1 and "invitee_email" not in only[0]
    assert set(only[0]) >= {"uri", "name", "status", "start_time", "end_time", "event_type", "location",
                            "invitees_counter", "created_at", "updated_at", "event_memberships"}


@pytest.mark.parametrize("params, parameter", [
    ({}, "user"),
    ({"count": "0"}, "count"),
    ({"count": "101"}, "count"),
    ({"status": "done"}, "status"),
    ({"min_start_time": "yesterday"}, "min_start_time"),
    ({"sort": "name:asc"}, "sort"),
    ({"page_token": "garbage"}, "page_token"),
])
def test_invalid_list_parameters_are_400_with_details(client, params, parameter):
    if parameter != "user":
        params = {"user": cal.user_uri("acme"), **params}
    body = assert_error(events(client, **params), 400, "Invalid Argument")
    assert parameter in [d["parameter"] for d in body["details"]]
    assert all(set(d) == {"parameter", "message"} for d in body["details"])


def test_a_page_token_is_bound_to_its_query(client):
    token = events(client, user=cal.user_uri("acme"), count=2).json()["pagination"]["next_page_token"]
    reused = events(client, user=cal.user_uri("acme"), count=2, status="active", page_token=token)
    assert_error(reused, 400, "Invalid Argument")


def test_someone_elses_user_or_organization_is_forbidden(client):
    assert_error(events(client, user=cal.user_uri("beta")), 403, "Permission Denied")
    assert_error(events(client, organization=cal.organization_uri("beta")), 403, "Permission Denied")


def test_cancel_answers_201_once(client):
    before = cal.state("beta")
    response = client.post(f"{API}/scheduled_events/{EXAMPLE}/cancellation", json={"reason": "Double booked"},
                           headers=ACME)
    assert response.status_code == 201
    assert response.json()["resource"] | {"created_at": None} == {
        "canceled_by": "Acme", "reason": "Double booked", "canceler_type": "host", "created_at": None}
    event = client.get(f"{API}/scheduled_events/{EXAMPLE}", headers=ACME).json()["resource"]
    assert event["status"] == "canceled" and event["cancellation"]["reason"] == "Double booked"
    assert_error(client.post(f"{API}/scheduled_events/{EXAMPLE}/cancellation", json={}, headers=ACME), 403,
                 "Permission Denied")
    assert cal.state("beta") == before   # the same uuid in another account is untouched
    assert_error(client.post(f"{API}/scheduled_events/00000000-0000-4000-8000-000000000000/cancellation",
                             json={}, headers=ACME), 404, "Resource Not Found")
    active = [u for u, e in cal.state("acme")["events"].items() if e["status"] == "active"][0]
    too_long = client.post(f"{API}/scheduled_events/{active}/cancellation", json={"reason": "x" * 10001},
                           headers=ACME)
    assert [d["parameter"] for d in assert_error(too_long, 400, "Invalid Argument")["details"]] == ["reason"]
    assert cal.state("acme")["events"][active]["status"] == "active"
    no_body = client.post(f"{API}/scheduled_events/{active}/cancellation", headers=ACME)
    assert no_body.status_code == 201 and no_body.json()["resource"]["reason"] is None


def test_webhook_subscriptions(client):
    user, org = cal.user_uri("acme"), cal.organization_uri("acme")
    body = {"url": "https://hub.example.com/hooks/calendly", "events": ["invitee.created", "invitee.canceled"],
            "organization": org, "user": user, "scope": "user", "signing_key": "sbx-signing-key"}
    created = client.post(f"{API}/webhook_subscriptions", json=body, headers=ACME)
    assert created.status_code == 201
    resource = created.json()["resource"]
    assert resource["state"] == "active" and resource["callback_url"] == body["url"] and "signing_key" not in resource
    assert_error(client.post(f"{API}/webhook_subscriptions", json=body, headers=ACME), 409, "Already Exists")
    bad = client.post(f"{API}/webhook_subscriptions", json={**body, "events": ["nope"], "scope": "planet"},
                      headers=ACME)
    assert {d["parameter"] for d in assert_error(bad, 400, "Invalid Argument")["details"]} == {"events", "scope"}
    listed = client.get(f"{API}/webhook_subscriptions", params={"organization": org, "scope": "user", "user": user},
                        headers=ACME)
    assert [h["uri"] for h in listed.json()["collection"]] == [resource["uri"]]
    no_user = client.get(f"{API}/webhook_subscriptions", params={"organization": org, "scope": "user"}, headers=ACME)
    assert [d["parameter"] for d in assert_error(no_user, 400, "Invalid Argument")["details"]] == ["user"]
    other = client.get(f"{API}/webhook_subscriptions", headers=ACME,
                       params={"organization": org, "scope": "user", "user": cal.user_uri("someone-else")})
    assert other.json()["collection"] == []
    ident = resource["uri"].rsplit("/", 1)[1]
    assert client.delete(f"{API}/webhook_subscriptions/{ident}", headers=ACME).status_code == 204
    assert client.delete(f"{API}/webhook_subscriptions/{ident}", headers=ACME).status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer live-looking-token"},
                                     {"Authorization": "Basic c2J4X2FjbWU6eA=="}])
def test_bad_tokens_are_401_unauthenticated(client, headers):
    assert_error(client.get(f"{API}/users/me", headers=headers), 401, "Unauthenticated")


def test_an_issued_token_works_until_it_expires(client):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:9/cb"
    approved = client.post("/sandbox/calendly/auth/oauth/authorize", data={
        "response_type": "code", "client_id": "sbx_client_calendly", "redirect_uri": redirect,
        "code_challenge": challenge, "code_challenge_method": "S256", "decision": "approve", "account": "delta"},
        follow_redirects=False)
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    tokens = client.post("/sandbox/calendly/auth/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": verifier},
        auth=("sbx_client_calendly", "sbx_secret_calendly")).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert me(client, bearer)["uri"] == cal.user_uri("delta") == tokens["owner"]
    cal.OAUTH.expire_all()
    assert_error(client.get(f"{API}/users/me", headers=bearer), 401, "Unauthenticated")


def test_the_per_user_minute_limit_is_real(client, monkeypatch):
    monkeypatch.setattr(cal.LIMITER, "limit", 3)
    clock = [5000.0]
    monkeypatch.setattr(cal.LIMITER, "now", lambda: clock[0])
    assert [client.get(f"{API}/users/me", headers=ACME).status_code for _ in range(3)] == [200] * 3
    limited = client.get(f"{API}/users/me", headers=ACME)
    assert_error(limited, 429, "Too Many Requests")
    assert limited.headers["X-RateLimit-Limit"] == "3" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"] == "60"
    assert client.get(f"{API}/users/me", headers=BETA).status_code == 200   # per user
    clock[0] += 45
    assert client.get(f"{API}/users/me", headers=ACME).headers["X-RateLimit-Reset"] == "15"
    clock[0] += 15
    response = client.get(f"{API}/users/me", headers=ACME)
    assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == "2"


def test_fault_switches_answer_like_calendly(client):
    faults.arm(faults.Fault("calendly", "acme", "rate_limit", retry_after=42))
    limited = client.get(f"{API}/users/me", headers=ACME)
    assert_error(limited, 429, "Too Many Requests")
    assert limited.headers["X-RateLimit-Reset"] == "42" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Limit" in limited.headers
    faults.arm(faults.Fault("calendly", "acme", "expired_token"))
    assert_error(client.post(f"{API}/scheduled_events/{EXAMPLE}/cancellation", json={}, headers=ACME), 401,
                 "Unauthenticated")
    assert cal.state("acme")["events"][EXAMPLE]["status"] == "active"
    for kind, status in [("server_error", 500), ("unavailable", 503)]:
        faults.arm(faults.Fault("calendly", "*", kind))
        assert client.get(f"{API}/users/me", headers=BETA).status_code == status
    faults.arm(faults.Fault("calendly", "acme", "slow", delay_ms=250))
    started = time.monotonic()
    assert client.get(f"{API}/users/me", headers=ACME).status_code == 200 and time.monotonic() - started >= 0.25


def test_every_catalog_request_is_served(client):
    """The exact requests of the catalog's actions (real URLs rewritten onto the sandbox) succeed."""
    method, path, body = examples("calendly", "cancel_event")
    url = sandbox.rewrite("calendly", f"https://api.calendly.com{path}", "http://testserver")
    assert client.request(method, url, json=body, headers=ACME).status_code == 201
    method, path, _ = examples("calendly", "get_scheduled_events")
    url = sandbox.rewrite("calendly", f"https://api.calendly.com{path}", "http://testserver")
    listed = client.request(method, url, params={"user": me(client)["uri"], "status": "active",
                                                 "min_start_time": "2026-01-01T00:00:00Z",
                                                 "max_start_time": "2026-01-31T23:59:59Z", "count": 20}, headers=ACME)
    assert listed.status_code == 200 and set(listed.json()) == {"collection", "pagination"}
