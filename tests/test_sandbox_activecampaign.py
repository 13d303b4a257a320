"""The ActiveCampaign sandbox behaves like API v3 (and the legacy v1 campaign_send) where the Hub relies
on it: Api-Token auth, request validation with AC's 422/404/403 bodies, the schedule quirk (200 with
succeeded 0), the real 5 requests/s account limiter, fault switches, and per-account state."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services import sandbox
from services.providers.activecampaign import sandbox as ac
from services.sandbox import faults, limits, store
from tests.sandbox_support import examples

V3 = "/sandbox/activecampaign/account/api/3"
V1 = "/sandbox/activecampaign/account/admin/api.php"
ACME = {"Api-Token": "sbx_acme.ac-key-0001"}
BETA = {"Api-Token": "sbx_beta"}


class Clock:
    def __init__(self, step: float) -> None:
        self.value, self.step = 1000.0, step

    def __call__(self) -> float:
        self.value += self.step
        return self.value


@pytest.fixture
def client(monkeypatch):  # type: ignore[no-untyped-def]
    faults.clear()
    store.reset_all()
    limits.reset_all()
    monkeypatch.setattr(ac.LIMITER, "now", Clock(0.3))   # paced like the Hub: never over 5 per second
    with TestClient(Starlette(routes=[sandbox.mount()])) as c:
        yield c
    faults.clear()
    store.reset_all()
    limits.reset_all()


def sync(client: TestClient, headers=ACME, **contact):  # type: ignore[no-untyped-def]
    return client.post(f"{V3}/contact/sync", json={"contact": contact}, headers=headers)


def test_users_me_and_the_seeded_examples(client):
    me = client.get(f"{V3}/users/me", headers=ACME)
    assert me.status_code == 200 and me.json()["user"]["username"] == "acme"
    seeded = ac.state("acme")
    assert seeded["contacts"]["51"]["email"] == "jane.doe@example.com"
    assert {"2", "20", "1"} <= set(seeded["lists"]) | set(seeded["tags"]) | set(seeded["fields"])
    assert seeded == ac.state("acme") and seeded["contacts"] == ac.state("beta")["contacts"]   # deterministic


@pytest.mark.parametrize("headers", [{}, {"Api-Token": "live-looking-but-fake"}, {"Api-Token": "SBX_acme"}])
def test_a_key_outside_the_sandbox_rule_gets_403_message(client, headers):
    response = client.post(f"{V3}/contact/sync", json={"contact": {"email": "a@example.com"}}, headers=headers)
    assert response.status_code == 403 and set(response.json()) == {"message"}
    assert ac.state("acme")["contacts"].keys() == {"51"}


def test_contact_sync_creates_then_updates_by_email(client):
    created = sync(client, email="Sam@Example.com", firstName="Sam", phone="+15555550101")
    assert created.status_code == 201
    contact = created.json()["contact"]
    assert contact["id"] == "52" and contact["firstName"] == "Sam" and contact["links"]["contactTags"].endswith(
        "/api/3/contacts/52/contactTags")
    updated = sync(client, email="sam@example.com", lastName="Stone")
    assert updated.status_code == 200 and updated.json()["contact"]["id"] == "52"
    stored = ac.state("acme")["contacts"]["52"]
    assert (stored["email"], stored["firstName"], stored["lastName"]) == ("Sam@Example.com", "Sam", "Stone")
    found = client.get(f"{V3}/contacts", params={"email": "SAM@example.com"}, headers=ACME).json()
    assert found["meta"]["total"] == "1" and found["contacts"][0]["id"] == "52"


def test_contact_sync_sets_custom_field_values(client):
    response = sync(client, email="jane.doe@example.com", fieldValues=[{"field": "1", "value": "Gold"}])
    assert response.status_code == 200
    written = response.json()["fieldValues"][0]
    assert (written["contact"], written["field"], written["value"]) == ("51", "1", "Gold")
    again = sync(client, email="jane.doe@example.com", fieldValues=[{"field": "1", "value": "Platinum"}])
    values = list(ac.state("acme")["fieldValues"].values())
    assert again.json()["fieldValues"][0]["id"] == values[0]["id"] and [v["value"] for v in values] == ["Platinum"]


@pytest.mark.parametrize("contact, code, pointer", [
    ({}, "field_missing", "/data/attributes/email"),
    ({"email": "not-an-email"}, "email_invalid", "/data/attributes/email"),
    ({"email": "a@example.com", "fieldValues": [{"field": "99", "value": "x"}]}, "related_missing",
     "/data/attributes/fieldValues/0/field"),
])
def test_contact_sync_validation_is_422_with_acs_error_body(client, contact, code, pointer):
    before = ac.state("acme")
    response = sync(client, **contact)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert set(error) == {"title", "detail", "code", "source"} and error["title"]
    assert error["code"] == code and error["source"] == {"pointer": pointer}
    assert ac.state("acme") == before   # a refused request writes nothing


def test_contact_lists_subscribe_and_validation(client):
    body = {"contactList": {"list": "2", "contact": "51", "status": "1"}}
    first = client.post(f"{V3}/contactLists", json=body, headers=ACME)
    assert first.status_code == 201
    assert first.json()["contactList"]["status"] == "1" and first.json()["contacts"][0]["id"] == "51"
    unsubscribe = client.post(f"{V3}/contactLists", json={"contactList": {**body["contactList"], "status": 2}},
                              headers=ACME)
    assert unsubscribe.status_code == 200 and unsubscribe.json()["contactList"]["status"] == "2"
    assert len(ac.state("acme")["contactLists"]) == 1
    missing = client.post(f"{V3}/contactLists", json={"contactList": {"contact": "51"}}, headers=ACME)
    assert missing.status_code == 422
    assert [e["source"]["pointer"] for e in missing.json()["errors"]] == ["/data/attributes/list",
                                                                          "/data/attributes/status"]
    for item, pointer in [({"list": "2", "contact": "999", "status": "1"}, "/data/attributes/contact"),
                          ({"list": "77", "contact": "51", "status": "1"}, "/data/attributes/list"),
                          ({"list": "2", "contact": "51", "status": "9"}, "/data/attributes/status")]:
        refused = client.post(f"{V3}/contactLists", json={"contactList": item}, headers=ACME)
        assert refused.status_code == 422 and refused.json()["errors"][0]["source"]["pointer"] == pointer


def test_contact_tags_answer_201_and_do_not_duplicate(client):
    body = {"contactTag": {"contact": "51", "tag": "20"}}
    first = client.post(f"{V3}/contactTags", json=body, headers=ACME)
    second = client.post(f"{V3}/contactTags", json=body, headers=ACME)
    assert first.status_code == second.status_code == 201
    assert first.json()["contactTag"]["id"] == second.json()["contactTag"]["id"]
    assert len(ac.state("acme")["contactTags"]) == 1
    unknown = client.post(f"{V3}/contactTags", json={"contactTag": {"contact": "51", "tag": "404"}}, headers=ACME)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["code"] == "related_missing"


def deal(**overrides):  # type: ignore[no-untyped-def]
    return {"deal": {"title": "Website redesign", "contact": "51", "value": 450000, "currency": "USD",
                     "group": "1", "stage": "1", "owner": "1", **overrides}}


def test_deals_take_the_value_in_cents(client):
    response = client.post(f"{V3}/deals", json=deal(), headers=ACME)
    assert response.status_code == 201
    created = response.json()["deal"]
    assert created["value"] == "450000" and created["currency"] == "usd" and created["status"] == "0"
    assert client.get(f"{V3}/deals/{created['id']}", headers=ACME).json()["deal"]["value"] == "450000"
    assert client.post(f"{V3}/deals", json=deal(value="1200"), headers=ACME).status_code == 201


@pytest.mark.parametrize("overrides, pointer", [
    ({"value": "4500.00"}, "/data/attributes/value"),
    ({"value": 4500.5}, "/data/attributes/value"),
    ({"value": -5}, "/data/attributes/value"),
    ({"currency": "dollars"}, "/data/attributes/currency"),
    ({"stage": "3"}, "/data/attributes/stage"),           # stage 3 belongs to pipeline 2
    ({"owner": "9"}, "/data/attributes/owner"),
    ({"contact": "404"}, "/data/attributes/contact"),
    ({"title": ""}, "/data/attributes/title"),
])
def test_deal_validation(client, overrides, pointer):
    response = client.post(f"{V3}/deals", json=deal(**overrides), headers=ACME)
    assert response.status_code == 422
    assert pointer in [e["source"]["pointer"] for e in response.json()["errors"]]
    assert ac.state("acme")["deals"] == {}


def test_field_values_create_update_and_404(client):
    created = client.post(f"{V3}/fieldValues", json={"fieldValue": {"contact": "51", "field": "2", "value": "10"},
                                                     "useDefaults": False}, headers=ACME)
    assert created.status_code == 201
    ident = created.json()["fieldValue"]["id"]
    updated = client.put(f"{V3}/fieldValues/{ident}", json={"fieldValue": {"value": "50"}}, headers=ACME)
    assert updated.status_code == 200 and updated.json()["fieldValue"]["value"] == "50"
    missing = client.put(f"{V3}/fieldValues/999", json={"fieldValue": {"value": "x"}}, headers=ACME)
    assert missing.status_code == 404 and missing.json() == {"errors": [
        {"detail": "No Result found for FieldValue with id 999"}]}
    contact = client.get(f"{V3}/contacts/999", headers=ACME)
    assert contact.status_code == 404 and set(contact.json()["errors"][0]) == {"detail"}


def test_schedule_answers_200_with_succeeded_0_when_the_campaign_is_not_ready(client):
    before = ac.state("acme")
    refused = client.put(f"{V3}/campaigns/8/schedule", json={"scheduledDate": "2026-02-01T10:00:00-06:00"},
                         headers=ACME)
    assert refused.status_code == 200 and refused.json()["succeeded"] == 0 and refused.json()["message"]
    assert ac.state("acme") == before
    ok = client.put(f"{V3}/campaigns/7/schedule", json={"scheduledDate": "2026-02-01T10:00:00-06:00"}, headers=ACME)
    assert ok.status_code == 200 and ok.json()["succeeded"] == 1
    assert client.get(f"{V3}/campaigns/7", headers=ACME).json()["campaign"]["status"] == "1"
    twice = client.put(f"{V3}/campaigns/7/schedule", json={"scheduledDate": "2026-02-02T10:00:00Z"}, headers=ACME)
    assert twice.status_code == 200 and twice.json()["succeeded"] == 0
    assert client.put(f"{V3}/campaigns/7/schedule", json={}, headers=ACME).status_code == 422
    assert client.put(f"{V3}/campaigns/7/schedule", json={"scheduledDate": "soon"}, headers=ACME).status_code == 422
    assert client.put(f"{V3}/campaigns/70/schedule", json={"scheduledDate": "2026-02-02T10:00:00Z"},
                      headers=ACME).status_code == 404


def v1_send(client: TestClient, key: str = "sbx_acme", **form):  # type: ignore[no-untyped-def]
    return client.post(V1, params={"api_action": "campaign_send", "api_output": "json", "api_key": key},
                       data={"email": "jane.doe@example.com", "campaignid": "7", "type": "mime", "action": "send",
                             **form})


def test_v1_campaign_send_reports_failure_with_http_200_and_result_code_0(client):
    sent = v1_send(client)
    assert sent.status_code == 200 and sent.json() == {"result_code": 1, "result_message": "Message sent",
                                                       "result_output": "json"}
    assert [s["email"] for s in ac.state("acme")["sends"]] == ["jane.doe@example.com"]
    before = ac.state("acme")
    for response in (v1_send(client, campaignid="404"), v1_send(client, email="nobody@example.com"),
                     v1_send(client, campaignid="8"), v1_send(client, key="live-looking-but-fake")):
        assert response.status_code == 200 and response.json()["result_code"] == 0
        assert response.json()["result_message"]
    assert ac.state("acme") == before


def test_the_account_limiter_allows_5_requests_per_second(client, monkeypatch):
    clock = Clock(0.0)
    monkeypatch.setattr(ac.LIMITER, "now", clock)
    statuses = [client.get(f"{V3}/users/me", headers=ACME).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = client.get(f"{V3}/users/me", headers={"Api-Token": "sbx_acme.another-key"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1   # shared by all keys
    assert set(limited.json()) == {"message"}
    assert client.get(f"{V3}/users/me", headers=BETA).status_code == 200           # per account
    clock.value += 1.01
    assert client.get(f"{V3}/users/me", headers=ACME).status_code == 200


def test_the_limiter_is_real_time_too(client, monkeypatch):
    monkeypatch.setattr(ac.LIMITER, "now", time.monotonic)
    statuses = [client.get(f"{V3}/users/me", headers=ACME).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def test_fault_switches_answer_like_activecampaign(client):
    armed = client.post("/sandbox/_faults", json={"provider": "activecampaign", "account": "acme",
                                                  "kind": "rate_limit", "times": 1, "retry_after": 7})
    assert armed.status_code == 201
    limited = sync(client, email="a@example.com")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7" and "message" in limited.json()
    assert sync(client, headers=BETA, email="a@example.com").status_code == 201   # other accounts unaffected
    for kind, status in [("expired_token", 403), ("server_error", 500), ("unavailable", 503)]:
        faults.arm(faults.Fault("activecampaign", "acme", kind, retry_after=3))
        response = client.get(f"{V3}/users/me", headers=ACME)
        assert response.status_code == status and "message" in response.json()
    assert response.headers["Retry-After"] == "3"                     # the 503
    assert client.get(f"{V3}/users/me", headers=ACME).status_code == 200   # each switch fired once
    faults.arm(faults.Fault("activecampaign", "*", "slow", delay_ms=300))
    started = time.monotonic()
    assert sync(client, email="slow@example.com").status_code == 201
    assert time.monotonic() - started >= 0.3
    assert "slow@example.com" in {c["email"] for c in ac.state("acme")["contacts"].values()}


def test_accounts_are_isolated(client):
    sync(client, email="only-acme@example.com")
    assert "only-acme@example.com" not in {c["email"] for c in ac.state("beta")["contacts"].values()}
    found = client.get(f"{V3}/contacts", params={"email": "only-acme@example.com"}, headers=BETA).json()
    assert found["contacts"] == []


@pytest.mark.parametrize("action, status, key", [
    ("sync_contact", 200, "contact"), ("add_contact_to_list", 201, "contactList"), ("apply_tag", 201, "contactTag"),
    ("create_deal", 201, "deal"), ("update_custom_field", 200, "fieldValues")])
def test_every_catalog_request_is_served_on_the_seeded_examples(client, action, status, key):
    """The exact request of each catalog action (real URL rewritten onto the sandbox) succeeds."""
    method, path, body = examples("activecampaign", action)
    url = sandbox.rewrite("activecampaign", f"https://example.api-us1.com/api/3{path}", "http://testserver")
    response = client.request(method, url, json=body, headers=ACME)
    assert response.status_code == status, response.text
    assert response.json()[key]


def test_the_v1_send_the_executor_builds_is_served(client):
    url = sandbox.rewrite("activecampaign", "https://example.api-us1.com/admin/api.php", "http://testserver")
    response = client.post(url, params={"api_action": "campaign_send", "api_output": "json",
                                        "api_key": "sbx_acme.ac-key-0001"},
                           data={"email": "jane.doe@example.com", "campaignid": "7", "type": "mime", "action": "send"})
    assert response.json()["result_code"] == 1
