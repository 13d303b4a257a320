"""The Mailgun sandbox answers like the v3 messages API where the contract suite cannot say it: both regional
hosts, HTTP Basic with the key as password, form fields checked against the definition ({message} errors), and a
send answering {id, message: "Queued. Thank you."} rather than the stored message."""

from __future__ import annotations

import base64

import pytest

from services import sandbox
from services.sandbox.standin import real_url
from tests.sandbox_support import sandbox_client

API = "/sandbox/mailgun/api"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"api:sbx_acme.mailgun-key").decode()}
FORM = {"from": "Acme <hello@mg.example.com>", "to": "jane.doe@example.com", "subject": "Hi", "text": "Hello"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_a_form_send_is_queued_with_a_message_id(client):
    response = client.post(f"{API}/v3/mg.example.com/messages", data=FORM, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Queued. Thank you." and body["id"].endswith("@mg.example.com>")
    assert set(body) == {"id", "message"}


def test_a_send_without_to_is_400_with_a_message(client):
    response = client.post(f"{API}/v3/mg.example.com/messages", data={k: v for k, v in FORM.items() if k != "to"},
                           headers=AUTH)
    assert response.status_code == 400 and "to" in response.json()["message"]


def test_a_bad_key_is_401_invalid_private_key(client):
    bad = {"Authorization": "Basic " + base64.b64encode(b"api:key-not-a-sandbox-key").decode()}
    response = client.get(f"{API}/v4/domains", headers=bad)
    assert response.status_code == 401 and response.json() == {"message": "Invalid private key"}


def test_both_regions_are_served_by_the_sandbox():
    providers = sandbox.providers()["mailgun"]
    assert set(providers.origins) == {"https://api.mailgun.net", "https://api.eu.mailgun.net"}
    assert real_url("mailgun", "http://127.0.0.1:8501/sandbox/mailgun/api/v4/domains").endswith(".mailgun.net/v4/domains")
