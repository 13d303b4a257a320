"""The Mailchimp sandbox behaves like Marketing API 3.0 where the Hub relies on it: Basic (key ending
-usNN) or Bearer auth, the member upsert by hash or raw email, PATCH, tags and campaign send (204),
problem+json errors, 10 connections per user, fault switches and per-account state."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from services import sandbox
from services.providers.mailchimp import sandbox as mc
from services.sandbox import faults
from tests.sandbox_support import examples, sandbox_client

API = "/sandbox/mailchimp/api/us21/3.0"
LIST = f"{API}/lists/a1b2c3d4e5"


def key_auth(key: str, user: str = "anystring") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


ACME = key_auth("sbx_acme.mc-key-0001-us21")
BETA = {"Authorization": "Bearer sbx_beta.oauth-token"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def md5(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()  # noqa: S324


def assert_problem(response, status: int, title: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body) and body["status"] == status
    if title:
        assert body["title"] == title
    return body


def subscribe(client: TestClient, email: str, headers=ACME, segment: str | None = None, **extra):  # type: ignore[no-untyped-def]
    body = {"email_address": email, "status_if_new": "subscribed", "merge_fields": {"FNAME": "Sam", "LNAME": "Lee"},
            **extra}
    return client.put(f"{LIST}/members/{segment or email}", json=body, headers=headers)


def test_put_member_takes_the_raw_email_or_its_hash(client):
    created = subscribe(client, "Sam.Lee@Example.com")
    assert created.status_code == 200
    member = created.json()
    assert member["id"] == md5("sam.lee@example.com") and member["status"] == "subscribed"
    assert member["merge_fields"] == {"FNAME": "Sam", "LNAME": "Lee"} and member["full_name"] == "Sam Lee"
    again = subscribe(client, "sam.lee@example.com", segment=md5("sam.lee@example.com"),
                      merge_fields={"FNAME": "Samuel"}, status_if_new="pending")
    assert again.status_code == 200 and again.json()["status"] == "subscribed"   # status_if_new: new members only
    members = mc.state("acme")["lists"]["a1b2c3d4e5"]["members"]
    assert len(members) == 2 and members[md5("sam.lee@example.com")]["merge_fields"]["FNAME"] == "Samuel"
    by_contact_id = client.get(f"{LIST}/members/{member['contact_id']}", headers=ACME)
    assert by_contact_id.status_code == 200 and by_contact_id.json()["id"] == member["id"]


@pytest.mark.parametrize("segment, body, field", [
    ("new@example.com", {"email_address": "new@example.com"}, "status_if_new"),
    ("x", {"status_if_new": "subscribed"}, "email_address"),
    ("new@example.com", {"email_address": "new@example.com", "status_if_new": "maybe"}, "status_if_new"),
])
def test_put_member_schema_errors_list_the_fields(client, segment, body, field):
    before = mc.state("acme")
    response = client.put(f"{LIST}/members/{segment}", json=body, headers=ACME)
    problem = assert_problem(response, 400, "Invalid Resource")
    assert field in [e["field"] for e in problem["errors"]] and all("message" in e for e in problem["errors"])
    assert mc.state("acme") == before


def test_put_member_rejects_fake_emails_and_a_mismatched_hash(client):
    fake = assert_problem(subscribe(client, "not-an-email", segment="x@example.com"), 400, "Invalid Resource")
    assert "looks fake or invalid" in fake["detail"]
    assert_problem(subscribe(client, "a@example.com", segment=md5("b@example.com")), 400, "Invalid Resource")
    assert_problem(client.put(f"{LIST}/members/x@example.com", content=b"{not json", headers=ACME), 400)
    assert len(mc.state("acme")["lists"]["a1b2c3d4e5"]["members"]) == 1


def test_unknown_list_and_member_are_404(client):
    assert_problem(client.put(f"{API}/lists/ffffffffff/members/a@example.com",
                              json={"email_address": "a@example.com", "status_if_new": "subscribed"},
                              headers=ACME), 404, "Resource Not Found")
    assert_problem(client.patch(f"{LIST}/members/nobody@example.com", json={"status": "unsubscribed"},
                                headers=ACME), 404, "Resource Not Found")
    assert_problem(client.get(f"{API}/lists/ffffffffff", headers=ACME), 404)


def test_patch_updates_status_and_merge_fields(client):
    response = client.patch(f"{LIST}/members/jane.doe@example.com",
                            json={"status": "unsubscribed", "merge_fields": {"LNAME": "Roe"}}, headers=ACME)
    assert response.status_code == 200
    assert response.json()["status"] == "unsubscribed" and response.json()["merge_fields"]["LNAME"] == "Roe"
    assert_problem(client.patch(f"{LIST}/members/jane.doe@example.com", json={"status": "gone"}, headers=ACME),
                   400, "Invalid Resource")
    assert client.get(LIST, headers=ACME).json()["stats"]["unsubscribe_count"] == 1


def test_tags_answer_204_and_can_be_removed(client):
    url = f"{LIST}/members/{md5('jane.doe@example.com')}/tags"
    added = client.post(url, json={"tags": [{"name": "vip", "status": "active"}], "is_syncing": False}, headers=ACME)
    assert added.status_code == 204 and added.content == b""
    again = client.post(url, json={"tags": [{"name": "vip", "status": "active"}]}, headers=ACME)
    assert again.status_code == 204
    member = client.get(f"{LIST}/members/jane.doe@example.com", headers=ACME).json()
    assert [t["name"] for t in member["tags"]] == ["vip"] and member["tags_count"] == 1
    client.post(url, json={"tags": [{"name": "vip", "status": "inactive"}]}, headers=ACME)
    assert mc.state("acme")["lists"]["a1b2c3d4e5"]["members"][md5("jane.doe@example.com")]["tags"] == []
    assert_problem(client.post(url, json={"tags": [{"name": "", "status": "active"}]}, headers=ACME), 400)
    assert_problem(client.post(url, json={}, headers=ACME), 400)
    assert_problem(client.post(f"{LIST}/members/nobody@example.com/tags",
                               json={"tags": [{"name": "vip", "status": "active"}]}, headers=ACME), 404)


def test_campaign_send_is_204_once_and_checks_readiness(client):
    sent = client.post(f"{API}/campaigns/42694e9e57/actions/send", headers=ACME)
    assert sent.status_code == 204 and sent.content == b""
    campaign = client.get(f"{API}/campaigns/42694e9e57", headers=ACME).json()
    assert campaign["status"] == "sent" and campaign["emails_sent"] == 1
    assert_problem(client.post(f"{API}/campaigns/42694e9e57/actions/send", headers=ACME), 400, "Bad Request")
    not_ready = assert_problem(client.post(f"{API}/campaigns/5d0c1b2a39/actions/send", headers=ACME), 400)
    assert "not ready" in not_ready["detail"]
    assert_problem(client.post(f"{API}/campaigns/0000000000/actions/send", headers=ACME), 404)
    assert mc.state("beta")["campaigns"]["42694e9e57"]["status"] == "save"   # per account


@pytest.mark.parametrize("headers, status, title", [
    ({}, 401, "API Key Missing"),
    (key_auth("live-looking-but-fake-key-0000-us21"), 401, "API Key Invalid"),
    (key_auth("sbx_acme.no-suffix"), 401, "API Key Invalid"),
    (key_auth("sbx_acme.key-us7"), 403, "Wrong Datacenter"),
    ({"Authorization": "Bearer not-a-sandbox-token"}, 401, "API Key Invalid"),
])
def test_auth_failures_are_problem_json(client, headers, status, title):
    assert_problem(subscribe(client, "a@example.com", headers=headers), status, title)
    assert len(mc.state("acme")["lists"]["a1b2c3d4e5"]["members"]) == 1


def test_bearer_tokens_and_ping_and_oauth_metadata(client):
    assert subscribe(client, "b@example.com", headers=BETA).status_code == 200
    assert md5("b@example.com") in mc.state("beta")["lists"]["a1b2c3d4e5"]["members"]
    assert md5("b@example.com") not in mc.state("acme")["lists"]["a1b2c3d4e5"]["members"]
    assert client.get(f"{API}/ping", headers=ACME).json() == {"health_status": "Everything's Chimpy!"}
    assert_problem(client.get("/sandbox/mailchimp/api/us5/3.0/ping", headers=BETA), 401)   # OAuth tokens live in us21
    metadata = client.get("/sandbox/mailchimp/login/oauth2/metadata", headers={"Authorization": "OAuth sbx_beta"})
    assert metadata.status_code == 200 and metadata.json()["dc"] == "us21"


def test_an_issued_oauth_token_works_on_the_api(client):
    redirect = "http://127.0.0.1:9/cb"
    approved = client.post("/sandbox/mailchimp/login/oauth2/authorize", data={
        "response_type": "code", "client_id": "sbx_client_mailchimp", "redirect_uri": redirect, "state": "s",
        "decision": "approve", "account": "gamma"}, follow_redirects=False)
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    token = client.post("/sandbox/mailchimp/login/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": "sbx_client_mailchimp", "client_secret": "sbx_secret_mailchimp"}).json()["access_token"]
    response = subscribe(client, "g@example.com", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and md5("g@example.com") in mc.state("gamma")["lists"]["a1b2c3d4e5"]["members"]


def test_more_than_10_connections_per_user_get_429(client):
    for _ in range(10):
        assert mc.CONNECTIONS.acquire("acme")
    try:
        limited = assert_problem(client.get(f"{API}/ping", headers=ACME), 429, "Too Many Requests")
        assert "10 simultaneous" in limited["detail"]
        assert "Retry-After" not in client.get(f"{API}/ping", headers=ACME).headers   # V2: no rate-limit headers
        assert client.get(f"{API}/ping", headers=BETA).status_code == 200               # per user
    finally:
        for _ in range(10):
            mc.CONNECTIONS.release("acme")
    assert client.get(f"{API}/ping", headers=ACME).status_code == 200


def test_concurrent_requests_beyond_10_are_refused(client):
    faults.arm(faults.Fault("mailchimp", "acme", "slow", times=10, delay_ms=1000))
    barrier = threading.Barrier(11)
    statuses: list[int] = []

    def call() -> None:
        barrier.wait()
        statuses.append(client.get(f"{API}/ping", headers=ACME).status_code)
    threads = [threading.Thread(target=call) for _ in range(11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 10 + [429]
    assert mc.CONNECTIONS.peak["acme"] == 10 and mc.CONNECTIONS.active("acme") == 0


def test_fault_switches_answer_like_mailchimp(client):
    faults.arm(faults.Fault("mailchimp", "acme", "rate_limit", retry_after=12))
    limited = subscribe(client, "a@example.com")
    assert_problem(limited, 429, "Too Many Requests")
    assert limited.headers["Retry-After"] == "12"
    assert client.get(f"{API}/ping", headers=ACME).status_code == 200   # the switch fired once
    faults.arm(faults.Fault("mailchimp", "acme", "rate_limit"))
    assert "Retry-After" not in subscribe(client, "a@example.com").headers
    for kind, status in [("expired_token", 401), ("server_error", 500), ("unavailable", 503)]:
        faults.arm(faults.Fault("mailchimp", "*", kind))
        assert_problem(client.get(f"{API}/ping", headers=BETA), status)
    assert md5("a@example.com") not in mc.state("acme")["lists"]["a1b2c3d4e5"]["members"]
    faults.arm(faults.Fault("mailchimp", "acme", "slow", delay_ms=250))
    started = time.monotonic()
    assert subscribe(client, "a@example.com").status_code == 200 and time.monotonic() - started >= 0.25


@pytest.mark.parametrize("action, status", [("add_subscriber", 200), ("update_subscriber", 200),
                                            ("send_campaign", 204), ("add_tag", 204)])
def test_every_catalog_request_is_served_on_the_seeded_examples(client, action, status):
    """The exact request of each catalog action (real URL rewritten onto the sandbox) succeeds."""
    method, path, body = examples("mailchimp", action)
    url = sandbox.rewrite("mailchimp", f"https://us21.api.mailchimp.com/3.0{path}", "http://testserver")
    response = client.request(method, url, json=body, headers=ACME)
    assert response.status_code == status, response.text
