"""The Notion sandbox answers like Notion where the contract suite cannot say it: Notion-Version is required,
validation errors in Notion's words, parents and blocks must exist (shared), and its error body."""

from __future__ import annotations

import pytest

from services import sandbox
from services.providers.notion import sandbox as notion
from tests.sandbox_support import sandbox_client

API = "/sandbox/notion/api/v1"
AUTH = {"Authorization": "Bearer sbx_acme.notion-secret", "Notion-Version": "2022-06-28"}
PARAGRAPH = {"object": "block", "type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": "Hi"}}]}}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_the_version_header_is_required(client):
    r = client.get(f"{API}/users/me", headers={"Authorization": AUTH["Authorization"]})
    assert r.status_code == 400 and r.json()["code"] == "missing_version"
    assert client.get(f"{API}/users/me", headers=AUTH).json()["type"] == "bot"


def test_a_bad_token_is_notions_401(client):
    r = client.get(f"{API}/users/me", headers={**AUTH, "Authorization": "Bearer secret_nope"})
    assert r.status_code == 401
    assert r.json() | {"request_id": None} == {"object": "error", "status": 401, "code": "unauthorized",
                                               "message": "API token is invalid.", "request_id": None}


def test_a_page_without_properties_fails_validation_in_notions_words(client):
    r = client.post(f"{API}/pages", headers=AUTH, json={"parent": {"database_id": notion.DATABASE_ID}})
    assert r.status_code == 400 and r.json()["code"] == "validation_error"
    assert r.json()["message"] == "body failed validation: body.properties should be defined, instead was `undefined`."


def test_parents_and_blocks_must_exist(client):
    r = client.post(f"{API}/pages", headers=AUTH, json={"parent": {"database_id": "0" * 32}, "properties": {}})
    assert r.status_code == 404 and r.json()["code"] == "object_not_found"
    r = client.patch(f"{API}/blocks/{'1' * 32}/children", headers=AUTH, json={"children": [PARAGRAPH]})
    assert r.status_code == 404
    beta = {**AUTH, "Authorization": "Bearer sbx_beta.notion-secret"}     # 3 requests a second per token
    page = client.post(f"{API}/pages", headers=beta, json={"parent": {"database_id": notion.DATABASE_ID.replace(
        "-", "")}, "properties": {"Name": {"title": [{"text": {"content": "New"}}]}}}).json()
    r = client.patch(f"{API}/blocks/{page['id']}/children", headers=beta, json={"children": [PARAGRAPH] * 2})
    assert r.status_code == 200 and r.json()["object"] == "list" and len(r.json()["results"]) == 2
    too_many = client.patch(f"{API}/blocks/{page['id']}/children", headers=beta, json={"children": [PARAGRAPH] * 101})
    assert too_many.status_code == 400
