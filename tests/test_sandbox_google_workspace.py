"""The Google Workspace sandbox and the parts of the integration the contract suite cannot express: Google's
error bodies, Sheets' valueInputOption rule, the Gmail raw message the executor builds, Drive's query filter,
Calendar's time-range check, Google's OAuth refresh (no new refresh token) and the offline-access authorize
URL, and Google's 403 rate-limit answers read as rate limits."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services import sandbox
from services.catalog import load_catalog
from services.providers.google_workspace import sandbox as gw
from services.providers.google_workspace.executors import raw_message
from services.runtime import http
from services.runtime.provider_client import ProviderClient
from services.sandbox import faults, limits, store

ROOT = "/sandbox/google-workspace"
ACME = {"Authorization": "Bearer sbx_acme.gw-at"}
APPEND = f"{ROOT}/sheets/v4/spreadsheets/{gw.SPREADSHEET_ID}/values/Sheet1%21A1:append"
SEND = f"{ROOT}/gmail/gmail/v1/users/me/messages/send"
EVENTS = f"{ROOT}/www/calendar/v3/calendars/primary/events"
FILES = f"{ROOT}/www/drive/v3/files"


@pytest.fixture
def client() -> Iterator[TestClient]:
    store.reset_all()
    limits.reset_all()
    for window in gw.WINDOWS.values():
        window.reset()
    with TestClient(Starlette(routes=[sandbox.mount()])) as c:
        yield c
    faults.clear()
    store.reset_all()


def test_a_bad_token_gets_googles_401_body(client: TestClient) -> None:
    answer = client.get(f"{ROOT}/www/oauth2/v2/userinfo", headers={"Authorization": "Bearer ya29.not-sandbox"})
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["status"] == "UNAUTHENTICATED" and error["code"] == 401
    assert error["message"].startswith("Request had invalid authentication credentials.")
    assert error["errors"][0]["reason"] == "authError"
    me = client.get(f"{ROOT}/www/oauth2/v2/userinfo", headers=ACME).json()
    assert me["email"] == "acme@example.com" and me["verified_email"] is True


def test_a_request_outside_the_discovery_document_is_googles_400(client: TestClient) -> None:
    answer = client.post(APPEND + "?valueInputOption=RAW", headers=ACME, json={"rows": [["a"]]})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "Unknown name \"rows\"" in error["message"]
    assert client.post(f"{ROOT}/sheets/v4/nothing", headers=ACME, json={}).status_code == 404


def test_sheets_append_needs_value_input_option_and_appends_after_the_table(client: TestClient) -> None:
    row = {"majorDimension": "ROWS", "values": [["Jane Doe", "jane.doe@example.com", "Pro"]]}
    refused = client.post(APPEND, headers=ACME, json=row)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "'valueInputOption' is required but not specified"
    done = client.post(APPEND + "?valueInputOption=USER_ENTERED", headers=ACME, json=row).json()
    assert done["tableRange"] == "Sheet1!A1:C1"
    assert done["updates"]["updatedRange"] == "Sheet1!A2:C2" and done["updates"]["updatedRows"] == 1
    assert gw.state("acme")["spreadsheets"][gw.SPREADSHEET_ID]["sheets"]["Sheet1"][-1][0] == "Jane Doe"
    unknown = client.post(APPEND.replace("Sheet1", "Sheet9") + "?valueInputOption=RAW", headers=ACME, json=row)
    assert unknown.status_code == 400 and "Unable to parse range" in unknown.json()["error"]["message"]


def test_the_executor_builds_an_rfc2822_raw_message_gmail_accepts(client: TestClient) -> None:
    raw = raw_message({"to": "jane.doe@example.com", "subject": "Your order", "body": "Hi Jane",
                       "cc": "ops@example.com"})
    message = message_from_bytes(base64.urlsafe_b64decode(raw), policy=policy.default)
    assert (message["To"], message["Cc"], message["Subject"]) == ("jane.doe@example.com", "ops@example.com",
                                                                  "Your order")
    assert message.get_content().strip() == "Hi Jane"
    sent = client.post(SEND, headers=ACME, json={"raw": raw})
    assert sent.status_code == 200 and sent.json()["labelIds"] == ["SENT"]
    stored = gw.state("acme")["messages"][sent.json()["id"]]
    assert stored["to"] == ["jane.doe@example.com", "ops@example.com"]
    nobody = base64.urlsafe_b64encode(b"Subject: hi\r\n\r\nno recipient").decode()
    refused = client.post(SEND, headers=ACME, json={"raw": nobody})
    assert refused.status_code == 400 and refused.json()["error"]["message"] == "Recipient address required"


def test_drive_query_filters_and_a_malformed_query_is_invalid_value(client: TestClient) -> None:
    found = client.get(FILES, headers=ACME, params={"q": "name contains 'report' and trashed = false"}).json()
    assert [f["name"] for f in found["files"]] == ["Quarterly report"]
    paged = client.get(FILES, headers=ACME, params={"pageSize": 2}).json()
    assert len(paged["files"]) == 2 and paged["nextPageToken"] == "2"
    bad = client.get(FILES, headers=ACME, params={"q": "name ~ report"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["location"] == "q"


def test_calendar_refuses_an_empty_time_range_and_an_unknown_calendar(client: TestClient) -> None:
    event = {"summary": "x", "start": {"dateTime": "2026-02-02T11:00:00Z"}, "end": {"dateTime": "2026-02-02T10:00:00Z"}}
    refused = client.post(EVENTS, headers=ACME, json=event)
    assert refused.status_code == 400 and refused.json()["error"]["errors"][0]["reason"] == "timeRangeEmpty"
    other = client.post(EVENTS.replace("primary", "someone@example.com"), headers=ACME,
                        json={**event, "end": {"dateTime": "2026-02-02T12:00:00Z"}})
    assert other.status_code == 404 and other.json()["error"]["status"] == "NOT_FOUND"


def test_sheets_writes_past_the_per_user_minute_quota_are_429_resource_exhausted(client: TestClient) -> None:
    row = {"values": [["x"]]}
    answers = [client.post(APPEND + "?valueInputOption=RAW", headers=ACME, json=row).status_code for _ in range(61)]
    assert answers[:60] == [200] * 60 and answers[60] == 429
    last = client.post(APPEND + "?valueInputOption=RAW", headers=ACME, json=row).json()["error"]
    assert last["status"] == "RESOURCE_EXHAUSTED"
    assert client.get(FILES, headers=ACME).status_code == 200          # Drive has its own quota


def test_refresh_keeps_the_refresh_token_and_the_authorize_url_asks_for_offline_access(client: TestClient) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "sbx_acme.gw-rt", "client_id": "sbx_c",
            "client_secret": "sbx_s"}
    token = client.post(f"{ROOT}/oauth2/token", data=form).json()
    assert token["expires_in"] == 3599 and "refresh_token" not in token
    refused = client.post(f"{ROOT}/oauth2/token", data={**form, "refresh_token": "nope"})
    assert refused.json()["error"] == "invalid_grant"
    query = parse_qs(urlsplit(load_catalog().get("google-workspace").auth.authorize_url or "").query)
    assert query == {"access_type": ["offline"], "prompt": ["consent"]}


@pytest.mark.parametrize(("status", "reason", "category"), [
    (403, "userRateLimitExceeded", "rate_limit"), (403, "rateLimitExceeded", "rate_limit"),
    (403, "insufficientPermissions", "auth"), (429, "rateLimitExceeded", "rate_limit")])
def test_googles_403_rate_limit_reasons_are_rate_limits(status: int, reason: str, category: str) -> None:
    spec = load_catalog().get("google-workspace")
    client = ProviderClient(spec=spec, base_url="https://www.googleapis.com", auth=None, integration_id=1)
    body = {"error": {"code": status, "message": "m", "errors": [{"domain": "usageLimits", "reason": reason}]}}
    assert client._category(http.Response(status, json=body)) == category
