"""WhatsApp Business: Meta's verification GET and X-Hub-Signature-256 deliveries through the real inbound
endpoint (valid, tampered, wrong secret, replayed, wrong verify token / mode), the incoming-message mapping,
Graph's error bodies in the sandbox and the definition's message shapes as the stand-in checks them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from services import sandbox
from services.providers.whatsapp_business import sandbox as wa
from services.runtime import http
from services.webhooks import inbound
from tests.sandbox_support import sandbox_client
from tests.webhooks_support import counts, dumps, handled, post, with_secret

APP_SECRET = "0123456789abcdef0123456789abcdef"          # an App Secret's shape (32 hex), obviously fake
OTHER_SECRET = "fedcba9876543210fedcba9876543210"
BODY = {"object": "whatsapp_business_account", "entry": [{"id": "100000000000002", "changes": [{
    "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15555550199", "phone_number_id": "100000000000001"},
        "contacts": [{"profile": {"name": "Jane Doe"}, "wa_id": "15555550100"}],
        "messages": [{"from": "15555550100", "id": "wamid.SANDBOX1", "timestamp": "1767258000",
                      "type": "text", "text": {"body": "Hello"}}]}}]}]}


@pytest.fixture
def client_for_sandbox():
    with sandbox_client(sandbox) as c:
        yield c


def _signed(secret: str, body: bytes) -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={mac}", "content-type": "application/json"}


def _get(url: str, **params: str):  # type: ignore[no-untyped-def,unused-ignore]
    with http.make_client() as client:
        return client.get(url, params=params)


def test_verification_get_echoes_the_challenge_only_for_the_connections_verify_token(connect, creds_env):
    cid = connect("whatsapp-business")          # fixture verify_token: sbx_acme.verify-token
    url = inbound.inbound_url(creds_env, "whatsapp-business", cid)
    token = "sbx_acme.verify-token"
    ok = _get(url, **{"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = _get(url, **{"hub.mode": "subscribe", "hub.verify_token": "not-the-token", "hub.challenge": "1"})
    mode = _get(url, **{"hub.mode": "unsubscribe", "hub.verify_token": "sbx_acme.verify-token", "hub.challenge": "1"})
    missing = _get(url, **{"hub.mode": "subscribe", "hub.challenge": "1"})
    assert [r.status_code for r in (wrong, mode, missing)] == [403, 403, 403]
    assert "1" not in wrong.text.split('"message"')[0]             # the challenge is not echoed
    assert counts(cid) == (0, 3)


def test_a_get_to_a_provider_without_a_verification_hook_is_still_405(connect, creds_env):
    cid = connect("calendly")
    assert _get(inbound.inbound_url(creds_env, "calendly", cid), **{"hub.challenge": "1"}).status_code == 405


def test_signed_delivery_valid_tampered_wrong_secret_missing_and_replayed(connect, session, creds_env):
    cid = connect("whatsapp-business")
    with_secret(session, cid, APP_SECRET)
    url, body = inbound.inbound_url(creds_env, "whatsapp-business", cid), dumps(BODY)
    ok = post(url, body, _signed(APP_SECRET, body))
    assert ok.status_code == 200 and ok.json()["events"] == 1, ok.text
    event = handled(cid)[0]
    assert event["trigger"] == "message_received" and event["event_type"] == "messages"
    assert event["output"] == {"message_id": "wamid.SANDBOX1", "from": "15555550100", "name": "Jane Doe",
                               "type": "text", "text": "Hello", "timestamp": "1767258000",
                               "phone_number_id": "100000000000001"}
    tampered = post(url, body.replace(b"Hello", b"Hallo"), _signed(APP_SECRET, body))
    wrong = post(url, body, _signed(OTHER_SECRET, body))
    bare = post(url, body, {**_signed(APP_SECRET, body),
                            "X-Hub-Signature-256": _signed(APP_SECRET, body)["X-Hub-Signature-256"][7:]})
    missing = post(url, body, {"content-type": "application/json"})
    for response in (tampered, wrong, bare, missing):
        assert response.status_code == 401, response.text
    assert "does not match" in wrong.json()["message"]
    replay = post(url, body, _signed(APP_SECRET, body))   # Meta retries with the same message id
    assert replay.status_code == 200 and replay.json()["duplicates"] == 1 and replay.json()["events"] == 0
    assert counts(cid) == (1, 4)


def test_status_updates_are_stored_but_not_mapped(connect, session, creds_env):
    cid = connect("whatsapp-business")
    with_secret(session, cid, APP_SECRET)
    value = {"metadata": {"phone_number_id": "100000000000001"},
             "statuses": [{"id": "wamid.SENT1", "status": "delivered", "timestamp": "1767258000",
                           "recipient_id": "15555550100"}]}
    body = dumps({"object": "whatsapp_business_account",
                  "entry": [{"id": "100000000000002", "changes": [{"field": "messages", "value": value}]}]})
    assert post(inbound.inbound_url(creds_env, "whatsapp-business", cid), body,
                _signed(APP_SECRET, body)).status_code == 200
    assert handled(cid)[0]["status"] == "ignored"


def test_the_sandbox_refuses_a_bad_token_with_graphs_190(client_for_sandbox):
    r = client_for_sandbox.get("/sandbox/whatsapp-business/api/v23.0/100000000000001",
                               headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException" and error["fbtrace_id"]


def test_the_stand_in_checks_the_definitions_message_shapes(client_for_sandbox):
    path = "/sandbox/whatsapp-business/api/v23.0/100000000000001/messages"
    auth = {"Authorization": "Bearer sbx_acme.token"}
    good = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+15555550100",
            "type": "text", "text": {"body": "Hi"}}
    assert client_for_sandbox.post(path, json=good, headers=auth).status_code == 200
    no_recipient_type = {k: v for k, v in good.items() if k != "recipient_type"}
    bad = client_for_sandbox.post(path, json=no_recipient_type, headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 100
    stray = client_for_sandbox.post(path, json={**good, "body": "Hi"}, headers=auth)
    assert stray.status_code == 400
    assert wa.STANDIN.document["paths"].keys() == set(wa.SERVED)
