"""The Klaviyo sandbox answers like the JSON:API revisions where the contract suite cannot say it: a missing
revision header or a body that is not application/vnd.api+json is refused, the profile is the record at data,
events and list membership answer with no body, errors are {errors: [{id, status, code, title, detail, source}]}
and a 429 carries Retry-After (and no RateLimit-* headers)."""

from __future__ import annotations

import pytest

from services import sandbox
from services.sandbox import faults
from tests.sandbox_support import sandbox_client

API = "/sandbox/klaviyo/api/api"
JSON_API = "application/vnd.api+json"
HEADERS = {"Authorization": "Klaviyo-API-Key sbx_acme.klaviyo-key", "revision": "2026-07-15",
           "Content-Type": JSON_API}
PROFILE = {"data": {"type": "profile", "attributes": {"email": "jane.doe@example.com", "first_name": "Jane"}}}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert error["code"] == code and error["status"] == status
    assert {"id", "title", "detail", "source"} <= set(error)
    return error


def test_a_profile_is_created_from_the_json_api_record(client):
    response = client.post(f"{API}/profiles", json=PROFILE, headers=HEADERS)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["type"] == "profile" and data["id"]
    assert data["attributes"]["email"] == "jane.doe@example.com" and "data" not in data


def test_the_revision_header_is_required(client):
    headers = {k: v for k, v in HEADERS.items() if k != "revision"}
    error = _error(client.get(f"{API}/accounts", headers=headers), 400, "invalid")
    assert "revision" in error["detail"]


def test_a_plain_json_body_is_refused(client):
    _error(client.post(f"{API}/profiles", json=PROFILE, headers={**HEADERS, "Content-Type": "application/json"}),
           415, "unsupported_media_type")


def test_events_and_list_membership_answer_with_no_body(client):
    event = {"data": {"type": "event", "attributes": {
        "properties": {"plan": "pro"}, "metric": {"data": {"type": "metric", "attributes": {"name": "Signed Up"}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": "jane.doe@example.com"}}}}}}
    response = client.post(f"{API}/events", json=event, headers=HEADERS)
    assert response.status_code == 202 and response.content == b""
    members = {"data": [{"type": "profile", "id": "01JSBX1"}]}
    response = client.post(f"{API}/lists/Y6nRLr/relationships/profiles", json=members, headers=HEADERS)
    assert response.status_code == 204 and response.content == b""


def test_a_bad_key_is_401_not_authenticated(client):
    headers = {**HEADERS, "Authorization": "Klaviyo-API-Key pk_not-a-sandbox-key"}
    _error(client.get(f"{API}/accounts", headers=headers), 401, "not_authenticated")


def test_a_429_carries_retry_after_and_no_ratelimit_headers(client):
    faults.arm(faults.Fault(provider="klaviyo", account="acme", kind="rate_limit", times=1, retry_after=3.0))
    response = client.get(f"{API}/accounts", headers=HEADERS)
    _error(response, 429, "throttled")
    assert response.headers["Retry-After"] == "3"
    assert not any(h.lower().startswith("ratelimit-") for h in response.headers)
