"""The webhook-bridge sandboxes behave like the tools where the Hub relies on them: n8n (Webhook node
auth and responses, executions through the public API), Make (custom webhooks: Accepted, API key,
5 MB) and Zapier (Catch Hooks: the fixed success body), each keeping what it received per account."""

from __future__ import annotations

import base64

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services import sandbox
from services.providers.make import sandbox as make
from services.providers.n8n import sandbox as n8n
from services.providers.zapier import sandbox as zapier
from services.sandbox import faults, limits, store
from tests.sandbox_support import examples

N8N = "/sandbox/n8n/instance"
ACME_KEY = {"X-N8N-API-KEY": "sbx_acme.n8n-api-key"}
BASE = "http://127.0.0.1:8501"


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    def reset() -> None:
        faults.clear()
        store.reset_all()
        limits.reset_all()
        n8n.reset_workflows()
        make.reset_hooks()
    reset()
    with TestClient(Starlette(routes=[sandbox.mount()])) as c:
        yield c
    reset()


SEEDED = [n8n.EXAMPLE_EXECUTION_ID]   # the execution every account starts with (the catalog's example)


def created(account: str) -> list[str]:
    """Ids of the executions recorded in an account beyond its seed."""
    return [i for i in n8n.state(account)["executions"] if i not in SEEDED]


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_make_and_zapier_are_registered_with_their_real_origins():
    assert {"make", "zapier"} <= set(sandbox.PROVIDERS)
    assert sandbox.rewrite("make", "https://hook.eu1.make.com/abc123", BASE) == f"{BASE}/sandbox/make/hook/eu1/abc123"
    assert sandbox.rewrite("zapier", "https://hooks.zapier.com/hooks/catch/123456/abcdef/", BASE) == \
        f"{BASE}/sandbox/zapier/hooks/catch/123456/abcdef/"
    assert sandbox.rewrite("n8n", "https://example.app.n8n.cloud/webhook/layers-lead", BASE) == \
        f"{BASE}/sandbox/n8n/instance/webhook/layers-lead"
    assert sandbox.default_config("zapier", BASE)["webhook_url"].startswith(f"{BASE}/sandbox/zapier/hooks/catch/")
    assert sandbox.default_config("make", BASE)["webhook_url"].startswith(f"{BASE}/sandbox/make/hook/eu1/")


# ---------------------------------------------------------------- n8n
def test_n8n_webhook_echoes_and_records_an_execution(client):
    response = client.post(f"{N8N}/webhook/layers-lead", json={"email": "jane.doe@example.com"},
                           headers={"X-Layers-Webhook-Secret": "sbx_acme.hook-secret"})
    assert response.status_code == 200
    body = response.json()
    assert body["received"] == {"email": "jane.doe@example.com"} and body["executionId"].isdigit()
    full = client.get(f"{N8N}/api/v1/executions/{body['executionId']}", params={"includeData": "true"},
                      headers=ACME_KEY)
    assert full.status_code == 200
    execution = full.json()
    assert {"id", "finished", "mode", "status", "startedAt", "stoppedAt", "workflowId", "data"} <= set(execution)
    assert (execution["id"], execution["finished"], execution["mode"], execution["status"]) == \
        (body["executionId"], True, "webhook", "success")
    assert execution["workflowId"] == body["workflowId"]
    [[item]] = execution["data"]["resultData"]["runData"]["Webhook"][0]["data"]["main"]
    assert item["json"]["body"] == {"email": "jane.doe@example.com"}
    assert "x-layers-webhook-secret" not in item["json"]["headers"]   # the secret is not kept
    light = client.get(f"{N8N}/api/v1/executions/{body['executionId']}", headers=ACME_KEY).json()
    assert "data" not in light and light["id"] == body["executionId"]
    assert list(n8n.state("acme")["executions"]) == [*SEEDED, body["executionId"]]


def test_n8n_executions_are_per_account_and_404_otherwise(client):
    mine = client.post(f"{N8N}/webhook/x", json={}, headers=basic("hub", "sbx_acme")).json()["executionId"]
    open_ = client.post(f"{N8N}/webhook/x", json={"a": 1}).json()["executionId"]   # unauthenticated workflow
    other = {"X-N8N-API-KEY": "sbx_beta"}
    missing = client.get(f"{N8N}/api/v1/executions/{mine}", headers=other)
    assert missing.status_code == 404 and set(missing.json()) == {"message"}
    assert client.get(f"{N8N}/api/v1/executions/{open_}", headers=other).status_code == 200
    listed = client.get(f"{N8N}/api/v1/executions", headers=ACME_KEY).json()
    assert [e["id"] for e in listed["data"]] == [open_, mine, *SEEDED] and listed["nextCursor"] is None
    paged = client.get(f"{N8N}/api/v1/executions", params={"limit": 1}, headers=ACME_KEY).json()
    assert len(paged["data"]) == 1 and paged["nextCursor"] == open_
    pages, cursor = [], paged["nextCursor"]
    while cursor is not None:
        page = client.get(f"{N8N}/api/v1/executions", params={"limit": 1, "cursor": cursor}, headers=ACME_KEY).json()
        pages, cursor = pages + [e["id"] for e in page["data"]], page["nextCursor"]
    assert pages == [mine, *SEEDED]
    assert [e["id"] for e in client.get(f"{N8N}/api/v1/executions", headers=other).json()["data"]] == \
        [open_, *SEEDED]
    assert client.get(f"{N8N}/api/v1/executions/999999", headers=ACME_KEY).status_code == 404


@pytest.mark.parametrize("headers", [{}, {"X-N8N-API-KEY": "live-looking-key"}])
def test_n8n_public_api_needs_a_sandbox_key(client, headers):
    response = client.get(f"{N8N}/api/v1/executions/1001", headers=headers)
    assert response.status_code == 401 and set(response.json()) == {"message"}


def test_n8n_header_and_basic_auth_like_the_webhook_node(client):
    n8n.register_workflow("secure", auth="header", header="X-Layers-Webhook-Secret")
    for headers in ({}, {"X-Layers-Webhook-Secret": "whsec_not-sandbox"}, {"X-Other": "sbx_acme"}):
        refused = client.post(f"{N8N}/webhook/secure", json={}, headers=headers)
        assert refused.status_code == 403 and refused.text == "Authorization data is wrong!"
    assert client.post(f"{N8N}/webhook/secure", json={}, headers={"X-Layers-Webhook-Secret": "sbx_acme"}).status_code \
        == 200
    n8n.register_workflow("fixed", auth="header", header="X-Key", value="whsec_exact-value-0001")
    assert client.post(f"{N8N}/webhook/fixed", json={}, headers={"X-Key": "whsec_exact-value-0001"}).status_code \
        == 200
    n8n.register_workflow("basic", auth="basic")
    missing = client.post(f"{N8N}/webhook/basic", json={})
    assert missing.status_code == 401 and missing.text == "Authorization is required!"
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    assert client.post(f"{N8N}/webhook/basic", json={}, headers=basic("u", "wrong")).status_code == 403
    assert client.post(f"{N8N}/webhook/basic", json={}, headers=basic("u", "sbx_acme")).status_code == 200
    # the echo workflow refuses a Basic password outside the sandbox rule
    assert client.post(f"{N8N}/webhook/echo", json={}, headers=basic("u", "real-password")).status_code == 403
    assert len(created("acme")) == 2


def test_n8n_test_urls_inactive_workflows_methods_and_response_modes(client):
    test = client.post(f"{N8N}/webhook-test/layers", json={"x": 1}, headers={"X-Layers-Webhook-Secret": "sbx_acme"})
    assert test.status_code == 200
    assert n8n.state("acme")["executions"][test.json()["executionId"]]["mode"] == "manual"
    n8n.set_listening(False)
    idle = client.post(f"{N8N}/webhook-test/layers", json={})
    assert idle.status_code == 404 and idle.json()["code"] == 404 and "Execute workflow" in idle.json()["hint"]
    n8n.register_workflow("off", active=False)
    inactive = client.post(f"{N8N}/webhook/off", json={})
    assert inactive.status_code == 404 and inactive.json()["message"] == 'The requested webhook "POST off" is not ' \
        "registered." and "must be active" in inactive.json()["hint"]
    wrong = client.get(f"{N8N}/webhook/layers")
    assert wrong.status_code == 404 and "not registered for GET requests" in wrong.json()["message"]
    n8n.register_workflow("fast", respond="immediately")
    assert client.post(f"{N8N}/webhook/fast", json={}).json() == {"message": "Workflow was started"}
    n8n.register_workflow("last", respond="last_node")
    assert client.post(f"{N8N}/webhook/last", json={"k": "v"}).json() == {"k": "v"}
    n8n.register_workflow("broken", status="error")
    failed = client.post(f"{N8N}/webhook/broken", json={}).json()["executionId"]
    execution = client.get(f"{N8N}/api/v1/executions/{failed}", headers=ACME_KEY).json()
    assert (execution["status"], execution["finished"]) == ("error", False)


def test_n8n_faults(client):
    faults.arm(faults.Fault("n8n", "acme", "rate_limit", retry_after=9))
    limited = client.post(f"{N8N}/webhook/layers", json={}, headers={"X-Layers-Webhook-Secret": "sbx_acme"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "9"
    assert created("acme") == [] and list(n8n.state("acme")["executions"]) == SEEDED
    faults.arm(faults.Fault("n8n", "acme", "server_error"))
    assert client.get(f"{N8N}/api/v1/workflows", headers=ACME_KEY).status_code == 500


# ---------------------------------------------------------------- Make
MAKE = "/sandbox/make/hook/eu1"


def test_make_accepts_and_stores_payloads(client):
    response = client.post(f"{MAKE}/tok123", json={"email": "jane.doe@example.com"})
    assert response.status_code == 200 and response.text == "Accepted"
    assert response.headers["content-type"].startswith("text/plain")
    client.post(f"{MAKE}/tok123", data={"name": "Jane"})
    client.get(f"{MAKE}/tok123", params={"q": "1"})
    assert [d["payload"] for d in make.received("tok123")] == [{"email": "jane.doe@example.com"}, {"name": "Jane"},
                                                               {"q": "1"}]
    assert list(make.state("default")["hooks"]) == ["tok123"] and make.received("other") == []


def test_make_api_key_authentication(client):
    make.register_hook("secured", require_key=True)
    for headers in ({}, {"x-make-apikey": "not-a-sandbox-key"}):
        refused = client.post(f"{MAKE}/secured", json={"a": 1}, headers=headers)
        assert refused.status_code == 401
    ok = client.post(f"{MAKE}/secured", json={"a": 1}, headers={"x-make-apikey": "sbx_acme.make-key"})
    assert ok.status_code == 200 and [d["payload"] for d in make.state("acme")["hooks"]["secured"]] == [{"a": 1}]
    make.register_hook("exact", require_key=True, api_key="plain-keychain-value")
    assert client.post(f"{MAKE}/exact", json={}, headers={"x-make-apikey": "plain-keychain-value"}).status_code == 200
    assert client.post(f"{MAKE}/exact", json={}, headers={"x-make-apikey": "sbx_acme"}).status_code == 401


def test_make_payload_limit_gone_hooks_zones_and_response_module(client):
    too_big = client.post(f"{MAKE}/big", content=b"x" * (5 * 1024 * 1024 + 1), headers={"content-type": "text/plain"})
    assert too_big.status_code == 413 and make.received("big") == []
    assert client.post(f"{MAKE}/big", content=b"x" * (5 * 1024 * 1024), headers={"content-type": "text/plain"}
                       ).status_code == 200
    make.register_hook("deleted", gone=True)
    assert client.post(f"{MAKE}/deleted", json={}).status_code == 410
    assert client.post("/sandbox/make/hook/mars1/tok", json={}).status_code == 404
    make.register_hook("sync", echo=True)
    assert client.post(f"{MAKE}/sync", json={"a": 1}).json() == {"received": {"a": 1}}
    make.register_hook("custom", response=(202, {"queued": True}, {"X-Scenario": "1"}))
    custom = client.post(f"{MAKE}/custom", json={})
    assert custom.status_code == 202 and custom.json() == {"queued": True} and custom.headers["X-Scenario"] == "1"


def test_make_limits_each_webhook_to_30_per_second(client, monkeypatch):
    monkeypatch.setattr(make.LIMITER, "now", lambda: 100.0)
    statuses = [client.post(f"{MAKE}/busy", json={"i": i}).status_code for i in range(31)]
    assert statuses == [200] * 30 + [429] and len(make.received("busy")) == 30
    assert client.post(f"{MAKE}/quiet", json={}).status_code == 200


# ---------------------------------------------------------------- Zapier
ZAP = "/sandbox/zapier/hooks/catch/123456/abcdef"


def test_zapier_catch_hook_answers_the_fixed_success_body(client):
    response = client.post(f"{ZAP}/", json={"email": "jane.doe@example.com"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"attempt", "id", "request_id", "status"} and body["status"] == "success"
    [delivery] = zapier.received("abcdef")
    assert delivery["payload"] == {"email": "jane.doe@example.com"} and delivery["request_id"] == body["request_id"]
    assert list(zapier.state("123456")["hooks"]) == ["abcdef"] and zapier.state("999")["hooks"] == {}
    assert client.post(ZAP, data={"a": "1"}).status_code == 200                 # no trailing slash, form data
    silent = client.post(f"{ZAP}/silent/", json={"x": 1})
    assert silent.status_code == 200 and silent.content == b""
    assert [d["payload"] for d in zapier.received("abcdef")] == [{"email": "jane.doe@example.com"}, {"a": "1"},
                                                                 {"x": 1}]


def test_zapier_limits(client, monkeypatch):
    monkeypatch.setattr(zapier.LIMITER, "now", lambda: 100.0)
    statuses = [client.post(f"{ZAP}/", json={}).status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]
    assert client.post("/sandbox/zapier/hooks/catch/123456/other/", json={}).status_code == 200
    limits.reset_all()
    too_big = client.post(f"{ZAP}/", content=b"x" * (10 * 1024 * 1024 + 1), headers={"content-type": "text/plain"})
    assert too_big.status_code == 413 and len(zapier.received("abcdef")) == 30


def test_zapier_faults(client):
    faults.arm(faults.Fault("zapier", "123456", "rate_limit", retry_after=5))
    limited = client.post(f"{ZAP}/", json={})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "5" and zapier.received("abcdef") == []
    faults.arm(faults.Fault("zapier", "*", "unavailable"))
    assert client.post(f"{ZAP}/", json={}).status_code == 503


def test_the_catalog_requests_of_the_bridges_are_served(client):
    """trigger (POST to the connection's webhook URL) then get_execution, as the executors send them."""
    hook = sandbox.rewrite("n8n", "https://example.app.n8n.cloud/webhook/layers-lead", "http://testserver")
    execution_id = client.post(hook, json={"email": "jane.doe@example.com"},
                               headers={"X-Layers-Webhook-Secret": "sbx_acme"}).json()["executionId"]
    method, path, _ = examples("n8n", "get_execution")
    path = path.replace("1001", execution_id)
    url = sandbox.rewrite("n8n", f"https://example.app.n8n.cloud/api/v1{path}", "http://testserver")
    response = client.request(method, url, params={"includeData": "true"}, headers=ACME_KEY)
    assert response.status_code == 200 and response.json()["data"]["resultData"]["lastNodeExecuted"]
    assert int(execution_id) > int(n8n.EXAMPLE_EXECUTION_ID)                  # the counter starts after the seed
    _, example_path, _ = examples("n8n", "get_execution")                     # the example, on a fresh account
    assert example_path == f"/executions/{n8n.EXAMPLE_EXECUTION_ID}"
    example_url = sandbox.rewrite("n8n", f"https://example.app.n8n.cloud/api/v1{example_path}", "http://testserver")
    seeded = client.request(method, example_url, params={"includeData": "true"}, headers={"X-N8N-API-KEY": "sbx_fresh"})
    example = seeded.json()
    assert seeded.status_code == 200 and (example["id"], example["status"], example["finished"]) == \
        (n8n.EXAMPLE_EXECUTION_ID, "success", True)
    assert example["stoppedAt"] and example["data"]["resultData"]["lastNodeExecuted"] == "Respond to Webhook"
    for slug, real in [("make", "https://hook.eu1.make.com/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                       ("zapier", "https://hooks.zapier.com/hooks/catch/000000/xxxxxx/")]:
        assert client.post(sandbox.rewrite(slug, real, "http://testserver"), json={"a": 1}).status_code == 200
