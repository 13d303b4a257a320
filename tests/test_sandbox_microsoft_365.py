"""The Microsoft 365 sandbox answers like Graph where the contract suite cannot say it: the CSDL check with
Graph's error body, sendMail's empty 202 landing in Sent Items, $top paging, and the 401 body."""

from __future__ import annotations

import pytest

from services import sandbox
from tests.sandbox_support import sandbox_client

ME = "/sandbox/microsoft-365/api/v1.0/me"
AUTH = {"Authorization": "Bearer sbx_acme.ms-at"}
MAIL = {"Message": {"subject": "Hi", "body": {"contentType": "text", "content": "Hello"},
                    "toRecipients": [{"emailAddress": {"address": "jane.doe@example.com"}}]}}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_a_bad_token_is_graphs_401(client):
    r = client.get(ME, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["innerError"]["request-id"] == r.headers["request-id"]


def test_a_body_the_metadata_refuses_is_400_with_graphs_words(client):
    r = client.post(f"{ME}/sendMail", headers=AUTH, json={"Message": {**MAIL["Message"], "to": "x@example.com"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    assert "The property 'to' does not exist on type 'microsoft.graph.message'" in r.json()["error"]["message"]
    r = client.get(f"{ME}/mesages", headers=AUTH)
    assert r.status_code == 400 and "Resource not found for the segment 'mesages'" in r.json()["error"]["message"]


def test_send_mail_is_an_empty_202_and_lands_in_sent_items(client):
    r = client.post(f"{ME}/sendMail", headers=AUTH, json=MAIL)
    assert r.status_code == 202 and r.content == b"" and r.headers["request-id"]
    listed = client.get(f"{ME}/messages", headers=AUTH).json()["value"]
    assert any(m["subject"] == "Hi" and m["parentFolderId"] == "sentitems" for m in listed)
    client.post(f"{ME}/sendMail", headers=AUTH, json={**MAIL, "SaveToSentItems": False})
    assert len(client.get(f"{ME}/messages", headers=AUTH).json()["value"]) == len(listed)


def test_top_pages_with_a_next_link_and_select_projects(client):
    r = client.get(f"{ME}/messages", headers=AUTH, params={"$top": "1", "$select": "subject"}).json()
    assert len(r["value"]) == 1 and set(r["value"][0]) == {"id", "subject", "@odata.etag"}
    assert "%24skip=1" in r["@odata.nextLink"]
