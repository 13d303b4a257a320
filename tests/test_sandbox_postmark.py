"""The Postmark sandbox answers like the Server API where the contract suite cannot say it: a bad server token is
401 {ErrorCode: 10, Message}, a refused send is 422 {ErrorCode: 300, Message} (not 400), withTemplate needs
TemplateId or TemplateAlias, and a send answers {To, SubmittedAt, MessageID, ErrorCode: 0, Message: OK}."""

from __future__ import annotations

import pytest

from services import sandbox
from tests.sandbox_support import sandbox_client

API = "/sandbox/postmark/api"
TOKEN = {"X-Postmark-Server-Token": "sbx_acme.postmark-server-token", "Accept": "application/json"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_a_send_answers_its_message_id_and_error_code_zero(client):
    body = {"From": "hello@example.com", "To": "jane.doe@example.com", "Subject": "Hi", "TextBody": "Hello",
            "MessageStream": "outbound"}
    first = client.post(f"{API}/email", json=body, headers=TOKEN).json()
    second = client.post(f"{API}/email", json=body, headers=TOKEN).json()
    assert first["ErrorCode"] == 0 and first["Message"] == "OK" and first["To"] == "jane.doe@example.com"
    assert first["MessageID"] != second["MessageID"]


def test_with_template_needs_an_id_or_alias_and_is_refused_with_422(client):
    body = {"From": "hello@example.com", "To": "jane.doe@example.com", "TemplateModel": {"name": "Jane"}}
    refused = client.post(f"{API}/email/withTemplate", json=body, headers=TOKEN)
    assert refused.status_code == 422 and refused.json()["ErrorCode"] == 300
    sent = client.post(f"{API}/email/withTemplate", json={**body, "TemplateAlias": "welcome"}, headers=TOKEN)
    assert sent.status_code == 200 and sent.json()["ErrorCode"] == 0


def test_a_bad_token_is_401_error_code_10(client):
    response = client.get(f"{API}/server", headers={"X-Postmark-Server-Token": "not-a-sandbox-token"})
    assert response.status_code == 401
    body = response.json()
    assert body["ErrorCode"] == 10 and "X-Postmark-Server-Token" in body["Message"]
