"""Infobip, Chatwoot and PostHog quirks the contract suite cannot express: Infobip's error body and per-account
hosts, Chatwoot's created-contact envelope and 401, PostHog capture going to the region's ingestion host."""

from __future__ import annotations

import pytest

from services import sandbox
from services.providers.posthog.executors import ingestion_url
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs
from tests.sandbox_support import sandbox_client


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_infobip_answers_on_any_account_host_and_refuses_a_bad_key_with_its_error_body(client):
    url = sandbox.rewrite("infobip", "https://x1y2z3.api.infobip.com/account/1/balance", "http://testserver")
    assert url == "http://testserver/sandbox/infobip/api/account/1/balance"
    ok = client.get(url, headers={"Authorization": "App sbx_acme.key"})
    assert ok.status_code == 200 and set(ok.json()) == {"balance", "currency"}
    bad = client.get(url, headers={"Authorization": "App not-a-key"})
    assert bad.status_code == 401
    assert bad.json() == {"requestError": {"serviceException": {"messageId": "UNAUTHORIZED",
                                                                "text": "Invalid login details"}}}
    missing = client.post("/sandbox/infobip/api/sms/2/text/advanced", headers={"Authorization": "App sbx_acme.key"},
                          json={"messages": [{"text": "Hi"}]})            # destinations are required
    assert missing.status_code == 400
    assert missing.json()["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"


def test_chatwoot_answers_a_created_contact_inside_payload_and_a_bad_token_as_chatwoot_does(client):
    api = "/sandbox/chatwoot/api/api/v1/accounts/1"
    created = client.post(f"{api}/contacts", headers={"api_access_token": "sbx_acme.t"},
                          json={"inbox_id": 1, "name": "Jane Doe"})
    assert created.status_code == 200
    assert created.json()["payload"]["contact"]["name"] == "Jane Doe"
    assert set(created.json()["payload"]) == {"contact", "contact_inbox"}
    no_inbox = client.post(f"{api}/contacts", headers={"api_access_token": "sbx_acme.t"}, json={"name": "Jane"})
    assert no_inbox.status_code == 400                                   # inbox_id is required (definition)
    refused = client.get("/sandbox/chatwoot/api/api/v1/profile", headers={"api_access_token": "nope"})
    assert refused.status_code == 401 and refused.json() == {"error": "Invalid Access Token"}


def test_posthog_ingestion_hosts():
    assert ingestion_url("https://us.posthog.com") == "https://us.i.posthog.com"
    assert ingestion_url("https://eu.posthog.com/") == "https://eu.i.posthog.com"
    assert ingestion_url("https://posthog.example.com") == "https://posthog.example.com"   # self-hosted


def test_posthog_capture_is_built_for_the_ingestion_host_with_the_project_key(connect, creds_env, monkeypatch):
    seen: list[str] = []
    from services.runtime import provider_client
    original = provider_client.ProviderClient.url

    def spy(self, path_or_url):  # type: ignore[no-untyped-def,unused-ignore]
        seen.append(path_or_url)
        return original(self, path_or_url)
    monkeypatch.setattr(provider_client.ProviderClient, "url", spy)
    conn = connect("posthog")
    result = run_action(conn, "capture_event", sample_inputs("posthog", "capture_event"), mode="live")
    assert result.ok, result.error
    assert seen[-1] == "https://us.i.posthog.com/i/v0/e/"
    assert result.requests[-1]["request_body"]["api_key"].startswith("phc_")
