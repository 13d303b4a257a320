"""Cal.com where the contract suite cannot tell: the bookings calls carry cal-api-version 2024-08-13, cancelling
sets the booking's status (once), and the limit headers report the reset as a unix time."""

from __future__ import annotations

import time

import pytest

from services import sandbox
from services.catalog import load_catalog
from services.providers.cal_com import sandbox as cal
from services.runtime.executors.declarative import build_request
from tests.sandbox_support import sandbox_client

API = "/sandbox/cal-com/api/v2"
ACME = {"Authorization": "Bearer sbx_acme.cal-key", "cal-api-version": "2024-08-13"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_the_bookings_actions_send_the_api_version_the_definition_requires():
    spec = load_catalog().get("cal-com")
    for key in ("list_bookings", "cancel_booking"):
        request = build_request(spec.actions[key], {"booking_uid": "x"}, {}, spec)
        assert request["headers"]["cal-api-version"] == "2024-08-13", key


def test_cancel_sets_the_status_and_reason_once_and_an_unknown_uid_is_404(client):
    url = f"{API}/bookings/{cal.BOOKING_UID}/cancel"
    done = client.post(url, json={"cancellationReason": "Asked to"}, headers=ACME)
    assert done.status_code == 200 and done.json()["status"] == "success"
    assert done.json()["data"]["status"] == "cancelled" and done.json()["data"]["cancellationReason"] == "Asked to"
    listed = client.get(f"{API}/bookings", headers=ACME).json()["data"]
    assert [b["status"] for b in listed if b["uid"] == cal.BOOKING_UID] == ["cancelled"]
    again = client.post(url, json={}, headers=ACME)
    assert again.status_code == 400 and again.json()["status"] == "error"
    missing = client.post(f"{API}/bookings/nope/cancel", json={}, headers=ACME)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFoundException"


def test_me_is_the_keys_user_and_limit_headers_reset_at_a_unix_time(client):
    answer = client.get(f"{API}/me", headers={"Authorization": "Bearer sbx_acme.cal-key"})
    assert answer.json()["data"]["username"] == "acme"
    assert answer.headers["x-ratelimit-limit-default"] == "120"
    assert int(answer.headers["x-ratelimit-reset-default"]) > time.time()
    refused = client.get(f"{API}/me", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "UnauthorizedException"
