"""The SendGrid sandbox answers like v3 where the contract suite cannot say it: mail send is 202 with no body and
the id in X-Message-Id, contacts upsert is 202 {job_id}, errors are {errors: [{field, message}]} ("authorization
required" on 401) and X-RateLimit-Reset is a unix time."""

from __future__ import annotations

import time

import pytest

from services import sandbox
from tests.sandbox_support import sandbox_client

API = "/sandbox/sendgrid/api"
KEY = {"Authorization": "Bearer sbx_acme.sendgrid-key"}
MAIL = {"personalizations": [{"to": [{"email": "jane.doe@example.com"}]}], "from": {"email": "hello@example.com"},
        "subject": "Hi", "content": [{"type": "text/plain", "value": "Hello"}]}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_mail_send_is_202_with_no_body_and_the_message_id_header(client):
    response = client.post(f"{API}/v3/mail/send", json=MAIL, headers=KEY)
    assert response.status_code == 202 and response.content == b""
    assert response.headers["X-Message-Id"]


def test_mail_send_is_checked_against_the_definition_in_sendgrids_error_body(client):
    response = client.post(f"{API}/v3/mail/send", json={"subject": "no envelope"}, headers=KEY)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert "personalizations" in error["message"] and set(error) == {"field", "message"}


def test_contacts_upsert_answers_a_job_id(client):
    response = client.put(f"{API}/v3/marketing/contacts", json={"contacts": [{"email": "jane.doe@example.com"}]},
                          headers=KEY)
    assert response.status_code == 202 and set(response.json()) == {"job_id"}


def test_a_bad_key_is_401_authorization_required(client):
    response = client.get(f"{API}/v3/scopes", headers={"Authorization": "Bearer SG.not-a-sandbox-key"})
    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": None, "message": "authorization required"}]}


def test_rate_limit_reset_is_a_unix_time(client):
    response = client.get(f"{API}/v3/scopes", headers=KEY)
    assert response.json()["scopes"]
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert response.headers["X-RateLimit-Limit"] == "600"
