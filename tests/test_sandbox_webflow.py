"""The Webflow sandbox behaves like Data API v2 where the Hub relies on it: the catalog's requests on the
same paths, bodies checked against the official Fern definition (specs/webflow) with Webflow's
validation_error body, the collection schema, one successful site publish per minute, the per-minute
request limit, auth failures, fault switches and per-account state, and site webhooks (webhooks.yml) with
their deliveries (signed only for OAuth-app webhooks, only to the Hub's /hooks/ URLs)."""

from __future__ import annotations

import json
import re
import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services import sandbox
from services.catalog import load_catalog
from services.providers.webflow import sandbox as wf
from services.providers.webflow import sandbox_webhooks as webflow_webhooks
from services.providers.webflow.sandbox import check_response, definition, find_endpoint, validate_webflow_request
from services.runtime import http
from services.sandbox import deliveries, faults, limits, store
from services.sandbox.common import _Grant
from services.sandbox.fern import validate as fern_validate
from tests.sandbox_support import examples
from tests.webhooks_support import webflow as webflow_headers

V2 = "/sandbox/webflow/api/v2"
ITEMS = f"{V2}/collections/{wf.COLLECTION_ID}/items"
PUBLISH = f"{V2}/sites/{wf.SITE_ID}/publish"
ACME = {"Authorization": "Bearer sbx_acme.site-token"}
BETA = {"Authorization": "Bearer sbx_beta"}


class Clock:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    value = Clock()
    monkeypatch.setattr(wf.STORE, "clock", value)
    monkeypatch.setattr(wf.STANDARD, "now", value)
    monkeypatch.setattr(wf.STARTER, "now", value)
    return value


@pytest.fixture
def client(clock):  # type: ignore[no-untyped-def]
    faults.clear()
    store.reset_all()
    limits.reset_all()
    with TestClient(Starlette(routes=[sandbox.mount()])) as c:
        yield c
    faults.clear()
    store.reset_all()
    limits.reset_all()


def seed_items(account: str = "acme") -> dict:
    """The items a fresh account's "Blog Posts" collection starts with (the catalog's example item)."""
    return wf._seed(account)["collections"][wf.COLLECTION_ID]["items"]


def item(name: str = "Hello", slug: str = "hello", **fields) -> dict:  # type: ignore[no-untyped-def]
    return {"isArchived": False, "isDraft": False, "fieldData": {"name": name, "slug": slug, **fields}}


# --------------------------------------------------------------------------- the catalog's requests
@pytest.mark.parametrize("action, status", [("create_cms_item", 202), ("publish_site", 202)])
def test_the_catalogs_requests_match_the_definition_and_succeed(client, action, status):
    method, path, body = examples("webflow", action)
    assert validate_webflow_request(method, "https://api.webflow.com/v2" + path, body) == []
    url = sandbox.rewrite("webflow", "https://api.webflow.com/v2" + path, "http://testserver")
    assert url == f"http://testserver{V2}{path}"
    response = client.request(method, url, json=body, headers=ACME)
    assert response.status_code == status, response.text


def test_the_catalogs_update_request_matches_the_definition(client):
    method, path, body = examples("webflow", "update_cms_item")
    assert validate_webflow_request(method, path, body) == []
    created = client.post(ITEMS, json=item(), headers=ACME).json()
    response = client.patch(f"{ITEMS}/{created['id']}", json={**body, "fieldData": {"name": "Renamed"}},
                            headers=ACME)
    assert response.status_code == 200 and response.json()["fieldData"] == {"name": "Renamed", "slug": "hello"}


def test_every_webflow_catalog_path_is_in_the_definition():
    for key, action in load_catalog().get("webflow").actions.items():
        assert find_endpoint(action.method, re.sub(r"\{\w+\}", "x", action.path))[0] is not None, key


# --------------------------------------------------------------------------- items
def test_create_item_answers_202_with_the_item(client):
    response = client.post(ITEMS, json=item(summary="Short"), headers=ACME)
    assert response.status_code == 202
    data = response.json()
    assert re.fullmatch(r"[0-9a-f]{24}", data["id"]) and data["isDraft"] is False and data["lastPublished"] is None
    assert data["fieldData"] == {"name": "Hello", "slug": "hello", "summary": "Short"}
    assert {"cmsLocaleId", "createdOn", "lastUpdated", "isArchived"} <= set(data)
    assert wf.state("acme")["collections"][wf.COLLECTION_ID]["items"][data["id"]]["fieldData"]["name"] == "Hello"
    assert wf.state("beta")["collections"][wf.COLLECTION_ID]["items"] == seed_items("beta")
    draft = client.post(ITEMS, json={"fieldData": {"name": "Draft", "slug": "draft"}}, headers=ACME).json()
    assert draft["isDraft"] is True                                        # the definition's default
    fetched = client.get(f"{ITEMS}/{data['id']}", headers=ACME)
    assert fetched.status_code == 200 and fetched.json() == data
    listed = client.get(f"{ITEMS}?limit=1&offset=1", headers=ACME).json()
    assert listed["pagination"] == {"limit": 1, "offset": 1, "total": len(seed_items()) + 2}
    assert [i["id"] for i in listed["items"]] == [data["id"]]               # after the seeded example item


def test_a_fresh_account_holds_the_catalogs_example_item(client):
    listed = client.get(ITEMS, headers=BETA).json()
    assert listed["pagination"]["total"] == 1 and [i["id"] for i in listed["items"]] == [wf.EXAMPLE_ITEM_ID]
    [example] = listed["items"]
    assert example["isDraft"] is False and example["isArchived"] is False and example["lastPublished"]
    assert example["fieldData"]["slug"] == "welcome-to-the-blog" and example["fieldData"]["name"]
    _, path, body = examples("webflow", "update_cms_item")
    assert wf.EXAMPLE_ITEM_ID in path and f"/collections/{wf.COLLECTION_ID}/" in path
    assert check_response("GET", f"{ITEMS}/{wf.EXAMPLE_ITEM_ID}", 200,
                          client.get(f"{ITEMS}/{wf.EXAMPLE_ITEM_ID}", headers=BETA).json()) == []
    updated = client.patch(f"{V2}{path}", json=body, headers=BETA)
    assert updated.status_code == 200, updated.text
    assert updated.json()["fieldData"]["name"] == body["fieldData"]["name"] == "Hello again"
    assert updated.json()["fieldData"]["slug"] == "welcome-to-the-blog"          # not given: unchanged
    assert wf.state("acme")["collections"][wf.COLLECTION_ID]["items"] == seed_items()   # per account


def test_create_several_items(client):
    response = client.post(ITEMS, json={"items": [item("A", "a"), item("B", "b")]}, headers=ACME)
    assert response.status_code == 202 and [i["fieldData"]["slug"] for i in response.json()["items"]] == ["a", "b"]


def test_item_bodies_are_checked_against_the_collection(client):
    cases = {
        "fieldData.name": {"isDraft": False, "fieldData": {"name": "", "slug": "x"}},
        "fieldData.colour": item(colour="red"),
        "fieldData.featured": item(featured="yes"),
        "fieldData.rating": item(rating="five"),
        "fieldData.contact-email": item(**{"contact-email": "nope"}),
        "fieldData.website": item(website="example.com"),
    }
    for param, body in cases.items():
        response = client.post(ITEMS, json=body, headers=ACME)
        assert response.status_code == 400, param
        data = response.json()
        assert data["code"] == "validation_error" and param in [d["param"] for d in data["details"]], data
    assert client.post(ITEMS, json=item(slug="Not A Slug"), headers=ACME).status_code == 400
    assert client.post(ITEMS, json=item(), headers=ACME).status_code == 202
    duplicate = client.post(ITEMS, json=item("Other", "hello"), headers=ACME)
    assert duplicate.status_code == 400 and "Unique value" in duplicate.json()["details"][0]["description"]
    assert len(wf.state("acme")["collections"][wf.COLLECTION_ID]["items"]) == len(seed_items()) + 1


def test_requests_that_violate_the_fern_definition_are_rejected(client):
    cases = [
        ("POST", ITEMS, {"isDraft": "no", "fieldData": {"name": "A", "slug": "a"}}),
        ("POST", ITEMS, {"isDraft": False, "fieldData": {"slug": "a"}}),          # name is required
        ("POST", ITEMS, {"id": "0123456789abcdef01234569", "fieldData": {"name": "A", "slug": "a"}}),  # read-only
        ("POST", PUBLISH, {"customDomains": wf.DOMAIN_ID}),
        ("POST", PUBLISH, {"publishToWebflowSubdomain": "yes"}),
        ("POST", PUBLISH, {"publishTo": True}),
    ]
    before = wf.state("acme")
    for method, path, body in cases:
        assert validate_webflow_request(method, path, body), body
        response = client.request(method, path, json=body, headers=ACME)
        assert response.status_code == 400, (body, response.text)
        data = response.json()
        assert data["code"] == "validation_error" and data["details"] and data["message"].startswith("Validation")
    assert wf.state("acme") == before


def test_update_item(client):
    created = client.post(ITEMS, json=item(summary="One"), headers=ACME).json()
    clock_id = created["id"]
    patched = client.patch(f"{ITEMS}/{clock_id}", json={"isDraft": True, "fieldData": {"summary": "Two"}},
                           headers=ACME)
    assert patched.status_code == 200
    assert patched.json()["fieldData"] == {"name": "Hello", "slug": "hello", "summary": "Two"}
    assert patched.json()["isDraft"] is True
    assert client.patch(f"{ITEMS}/{clock_id}", json={"fieldData": {"name": ""}}, headers=ACME).status_code == 400
    typo = client.patch(f"{ITEMS}/{clock_id}", json={"isdraft": False}, headers=ACME)
    assert typo.status_code == 400 and typo.json()["details"][0]["param"] == "isdraft"
    missing = client.patch(f"{ITEMS}/0123456789abcdef0000ffff", json={"isDraft": False}, headers=ACME)
    assert missing.status_code == 404 and missing.json()["code"] == "resource_not_found"
    other = client.patch(f"{V2}/collections/ffffffffffffffffffffffff/items/{clock_id}", json={}, headers=ACME)
    assert other.status_code == 404


# --------------------------------------------------------------------------- publish
def test_one_successful_publish_per_minute(client, clock):
    first = client.post(PUBLISH, json={"customDomains": [wf.DOMAIN_ID], "publishToWebflowSubdomain": True},
                        headers=ACME)
    assert first.status_code == 202
    assert first.json()["customDomains"][0]["id"] == wf.DOMAIN_ID and first.json()["publishToWebflowSubdomain"]
    clock.value += 20
    second = client.post(PUBLISH, json={"publishToWebflowSubdomain": True}, headers=ACME)
    assert second.status_code == 429 and second.json()["code"] == "too_many_requests"
    assert second.headers["Retry-After"] == "40"
    assert client.post(PUBLISH, json={"publishToWebflowSubdomain": True}, headers=BETA).status_code == 202
    clock.value += 40
    assert client.post(PUBLISH, json={"publishToWebflowSubdomain": True}, headers=ACME).status_code == 202
    assert len(wf.state("acme")["publishes"]) == 2


def test_failed_publishes_do_not_count_and_publishing_marks_live_items(client, clock):
    live = client.post(ITEMS, json=item(), headers=ACME).json()
    draft = client.post(ITEMS, json={**item("D", "d"), "isDraft": True}, headers=ACME).json()
    bad_domain = client.post(PUBLISH, json={"customDomains": ["ffffffffffffffffffffffff"]}, headers=ACME)
    assert bad_domain.status_code == 400 and bad_domain.json()["message"] == "Validation Error: Provided ID is invalid"
    assert client.post(PUBLISH, json={}, headers=ACME).status_code == 400       # nowhere to publish
    unknown = client.post(f"{V2}/sites/ffffffffffffffffffffffff/publish", json={"publishToWebflowSubdomain": True},
                          headers=ACME)
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Requested resource not found: The site cannot be found"
    assert client.post(PUBLISH, json={"publishToWebflowSubdomain": True}, headers=ACME).status_code == 202
    items = wf.state("acme")["collections"][wf.COLLECTION_ID]["items"]
    assert items[live["id"]]["lastPublished"] is not None and items[draft["id"]]["lastPublished"] is None
    site = client.get(f"{V2}/sites/{wf.SITE_ID}", headers=ACME).json()
    assert site["lastPublished"] is not None


# --------------------------------------------------------------------------- limits, auth, faults
def test_the_per_minute_request_limit(client, clock):
    statuses = []
    for _ in range(121):
        response = client.get(f"{V2}/token/introspect", headers=ACME)
        statuses.append(response.status_code)
    assert statuses[:120] == [200] * 120 and statuses[120] == 429
    assert response.headers["Retry-After"] == "60" and response.headers["X-RateLimit-Remaining"] == "0"
    assert client.get(f"{V2}/token/introspect", headers=BETA).headers["X-RateLimit-Remaining"] == "119"
    clock.value += 60
    assert client.get(f"{V2}/token/introspect", headers=ACME).status_code == 200
    starter = {"Authorization": "Bearer sbx_starter-site"}
    codes = [client.get(f"{V2}/token/introspect", headers=starter).status_code for _ in range(61)]
    assert codes.count(200) == 60 and codes[-1] == 429


def test_auth_failures(client):
    for headers in ({}, {"Authorization": "Bearer live-looking-token"}, {"Authorization": "Basic c2J4X2FjbWU6"}):
        response = client.post(ITEMS, json=item(), headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": "not_authorized", "message": "Request not authorized"}
    introspect = client.get(f"{V2}/token/introspect", headers=ACME).json()
    assert introspect["authorization"]["authorizedTo"]["siteIds"] == [wf.SITE_ID]


def test_fault_switches_look_like_webflow(client):
    faults.arm(faults.Fault("webflow", "acme", "rate_limit", retry_after=60))
    limited = client.post(ITEMS, json=item(), headers=ACME)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert limited.json()["code"] == "too_many_requests"
    assert wf.state("acme")["collections"][wf.COLLECTION_ID]["items"] == seed_items()
    faults.arm(faults.Fault("webflow", "acme", "expired_token"))
    assert client.post(ITEMS, json=item(), headers=ACME).json()["code"] == "not_authorized"
    faults.arm(faults.Fault("webflow", "acme", "server_error"))
    assert client.post(ITEMS, json=item(), headers=ACME).json()["code"] == "internal_error"
    faults.arm(faults.Fault("webflow", "acme", "unavailable", retry_after=5))
    assert client.post(ITEMS, json=item(), headers=ACME).status_code == 503
    faults.arm(faults.Fault("webflow", "acme", "slow", delay_ms=150))
    started = time.monotonic()
    assert client.post(ITEMS, json=item(), headers=ACME).status_code == 202
    assert time.monotonic() - started >= 0.15


# --------------------------------------------------------------------------- the contract check function
def test_the_contract_check_function():
    assert validate_webflow_request("GET", "https://api.webflow.com/v2/token/introspect") == []
    assert validate_webflow_request("POST", "/v2/collections/c/items",
                                    {"items": [{"fieldData": {"name": "a", "slug": "a"}}]}) == []
    assert validate_webflow_request("POST", "http://127.0.0.1:8501/sandbox/webflow/api/v2/sites/s/publish",
                                    {"publishToWebflowSubdomain": True}) == []
    assert validate_webflow_request("POST", "/v2/sites/s/publish") == []           # the body is optional
    assert validate_webflow_request("GET", "/v2/token/introspect", {"a": 1}) == ["$: this endpoint takes no "
                                                                                 "request body"]
    assert "no endpoint" in validate_webflow_request("POST", "/v2/sites/s/explode", {})[0]
    assert validate_webflow_request("POST", "/v2/collections/c/items", None) == ["$: the request body is required"]
    webhook = validate_webflow_request("POST", "/v2/sites/s/webhooks", {"triggerType": "nope", "url": "x"})
    assert any("triggerType" in p and "not one of" in p for p in webhook)
    assert validate_webflow_request("PATCH", "/v2/collections/c/items/i", {"fieldData": {"name": 1}}) == [
        "$.fieldData.name: expected string, got integer"]


def test_success_bodies_match_the_declared_response_types(client, clock):
    created = client.post(ITEMS, json=item(summary="S"), headers=ACME)
    calls = [("POST", ITEMS, created),
             ("PATCH", f"{ITEMS}/{created.json()['id']}",
              client.patch(f"{ITEMS}/{created.json()['id']}", json={"isDraft": True}, headers=ACME)),
             ("GET", f"{ITEMS}/{created.json()['id']}", client.get(f"{ITEMS}/{created.json()['id']}", headers=ACME)),
             ("GET", ITEMS, client.get(ITEMS, headers=ACME)),
             ("POST", PUBLISH, client.post(PUBLISH, json={"customDomains": [wf.DOMAIN_ID]}, headers=ACME)),
             ("GET", f"{V2}/sites/{wf.SITE_ID}", client.get(f"{V2}/sites/{wf.SITE_ID}", headers=ACME)),
             ("GET", f"{V2}/token/introspect", client.get(f"{V2}/token/introspect", headers=ACME))]
    for method, path, response in calls:
        assert check_response(method, path, response.status_code, response.json()) == [], path


# --------------------------------------------------------------------------- site webhooks (webhooks.yml)
HOOKS = f"{V2}/sites/{wf.SITE_ID}/webhooks"
HUB_HOOK = "http://127.0.0.1:8501/hooks/webflow/7"


@pytest.fixture
def received(monkeypatch):  # type: ignore[no-untyped-def]
    """Deliveries the sandbox sends, caught by a MockTransport: (url, headers, body)."""
    caught: list[tuple[str, dict, bytes]] = []

    def handler(request):  # type: ignore[no-untyped-def]
        caught.append((str(request.url), dict(request.headers), request.content))
        return http.Response(200, json={"ok": True})

    monkeypatch.setattr(deliveries, "TRANSPORT", http.MockTransport(handler))
    return caught


def oauth_headers(account: str = "acme") -> dict[str, str]:
    """A token issued by the sandbox OAuth server to the public test client (an "OAuth app" token)."""
    token = f"sbx_{account}.issued-oauth"
    wf.OAUTH._access[token] = _Grant(account, "sbx_client_webflow", "sites:write", None)
    return {"Authorization": f"Bearer {token}"}


def test_webhook_endpoints_follow_the_definition(client, clock):
    body = {"triggerType": "form_submission", "url": HUB_HOOK, "filter": {"name": "Contact Us"}}
    assert validate_webflow_request("POST", HOOKS, body) == []
    created = client.post(HOOKS, json=body, headers=ACME)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert {k: hook[k] for k in ("triggerType", "url", "filter", "siteId")} == {**body, "siteId": wf.SITE_ID}
    assert hook["workspaceId"] == wf.state("acme")["sites"][wf.SITE_ID]["workspaceId"] and "_secret" not in hook
    listed = client.get(HOOKS, headers=ACME)
    one = client.get(f"{V2}/webhooks/{hook['id']}", headers=ACME)
    for method, path, response in [("POST", HOOKS, created), ("GET", HOOKS, listed),
                                   ("GET", f"{V2}/webhooks/{hook['id']}", one)]:
        assert check_response(method, path, response.status_code, response.json()) == [], path
    assert listed.json()["webhooks"] == [hook] and listed.json()["pagination"]["total"] == 1
    assert client.get(HOOKS, headers=BETA).json()["webhooks"] == []             # per account
    assert client.get(f"{V2}/webhooks/{hook['id']}", headers=BETA).status_code == 404
    assert client.delete(f"{V2}/webhooks/{hook['id']}", headers=ACME).status_code == 204
    gone = client.get(f"{V2}/webhooks/{hook['id']}", headers=ACME)
    assert gone.status_code == 404 and gone.json()["code"] == "resource_not_found"
    assert client.delete(f"{V2}/webhooks/{hook['id']}", headers=ACME).status_code == 404
    missing_site = client.post(f"{V2}/sites/ffffffffffffffffffffffff/webhooks", json=body, headers=ACME)
    assert missing_site.status_code == 404 and "site cannot be found" in missing_site.json()["message"]
    assert client.get(HOOKS).status_code == 401


def test_invalid_webhook_requests_are_refused_with_webflows_errors(client, clock):
    spec_cases = [
        {"triggerType": "form_submitted", "url": HUB_HOOK},                    # not a TriggerType
        {"triggerType": "form_submission", "url": 42},
        {"triggerType": "form_submission", "url": HUB_HOOK, "id": "0123456789abcdef01234599"},   # read-only
        {"triggerType": "form_submission", "url": HUB_HOOK, "filter": {"form": "x"}},
        {"triggerType": "form_submission", "url": HUB_HOOK, "secret": "x"},   # not a field of Webhook
    ]
    before = wf.state("acme")
    for body in spec_cases:
        assert validate_webflow_request("POST", HOOKS, body), body
        response = client.post(HOOKS, json=body, headers=ACME)
        assert response.status_code == 400 and response.json()["code"] == "validation_error", (body, response.text)
    assert client.post(HOOKS, headers=ACME).json()["message"].startswith("Validation Error: $: the request body")
    for body, param in [({"url": HUB_HOOK}, "triggerType"), ({"triggerType": "site_publish"}, "url"),
                        ({"triggerType": "site_publish", "url": "not a url"}, "url")]:
        assert validate_webflow_request("POST", HOOKS, body) == []             # optional in the definition
        refused = client.post(HOOKS, json=body, headers=ACME)
        assert refused.status_code == 400 and refused.json()["details"][0]["param"] == param
    wrong_filter = client.post(HOOKS, json={"triggerType": "site_publish", "url": HUB_HOOK,
                                            "filter": {"name": "Contact"}}, headers=ACME)
    assert wrong_filter.status_code == 400 and wrong_filter.json()["code"] == "incompatible_webhook_filter"
    assert wf.state("acme") == before


def test_at_most_75_webhooks_per_trigger_type_per_site(client, clock):
    for n in range(webflow_webhooks.LIMIT_PER_TRIGGER):
        body = {"triggerType": "collection_item_created", "url": f"https://hooks.example.com/{n}"}
        assert client.post(HOOKS, json=body, headers=ACME).status_code == 201
    over = client.post(HOOKS, json={"triggerType": "collection_item_created", "url": "https://hooks.example.com/x"},
                       headers=ACME)
    assert over.status_code == 400 and "limit of 75" in over.json()["message"]
    other = client.post(HOOKS, json={"triggerType": "site_publish", "url": "https://hooks.example.com/x"},
                        headers=ACME)
    assert other.status_code == 201                                            # per trigger type
    assert len(wf.state("acme")["webhooks"]) == 76


def test_deliveries_are_signed_only_for_oauth_app_webhooks(client, clock, received):
    app = client.post(HOOKS, json={"triggerType": "form_submission", "url": HUB_HOOK, "filter": {"name": "Contact"}},
                      headers=oauth_headers())
    site = client.post(HOOKS, json={"triggerType": "form_submission", "url": HUB_HOOK + "?site"}, headers=ACME)
    outside = client.post(HOOKS, json={"triggerType": "form_submission", "url": "https://internal.example.com/x"},
                          headers=ACME)
    assert {app.status_code, site.status_code, outside.status_code} == {201}
    done = client.post("/sandbox/webflow/_forms/submit", json={"account": "acme", "siteId": wf.SITE_ID,
                                                               "name": "Contact", "data": {"email": "a@example.com"}})
    results = {r["webhookId"]: r for r in done.json()["deliveries"]}
    assert results[app.json()["id"]]["signed"] and results[app.json()["id"]]["status"] == 200
    assert not results[site.json()["id"]]["signed"]
    assert results[outside.json()["id"]]["skipped"] and results[outside.json()["id"]]["status"] is None
    [(url, headers, body), (url2, headers2, _)] = received                    # nothing sent outside the Hub
    assert url == HUB_HOOK and url2 == HUB_HOOK + "?site" and "x-webflow-signature" not in headers2
    expected = webflow_headers("sbx_secret_webflow", body, int(headers["x-webflow-timestamp"]))
    assert headers["x-webflow-signature"] == expected["x-webflow-signature"]   # the documented recipe
    problems: list = []   # the delivered body has the definition's FormSubmissionTrigger shape
    fern_validate(definition(), definition().parse("FormSubmissionTrigger", "__package__.yml"), json.loads(body),
                  "$", problems, request=False)
    assert problems == []
    # filter.name: another form reaches only the unfiltered webhooks
    assert len(webflow_webhooks.submit_form("acme", wf.SITE_ID, "Newsletter", {})) == 2
    assert len(wf.state("acme")["deliveries"]) == 5


def test_creating_a_cms_item_delivers_collection_item_created(client, clock, received):
    client.post(HOOKS, json={"triggerType": "collection_item_created", "url": HUB_HOOK}, headers=oauth_headers())
    created = client.post(ITEMS, json=item(), headers=ACME).json()
    [(url, headers, body)] = received
    event = json.loads(body)
    assert event["triggerType"] == "collection_item_created" and event["payload"]["id"] == created["id"]
    assert event["payload"]["collectionId"] == wf.COLLECTION_ID and event["payload"]["fieldData"]["slug"] == "hello"
