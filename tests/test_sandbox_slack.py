"""Slack's rate limits are per method (docs.slack.dev/apis/web-api/rate-limits): the sandbox's Tier 2 limit (20 per
minute) counts conversations.list only; auth.test, the credential check, "allows hundreds of requests per minute"
(docs.slack.dev/reference/methods/auth.test), so a sweep's checks are not refused by a Tier 2 count."""

from __future__ import annotations

import pytest

from services import sandbox
from services.sandbox import limits
from tests.sandbox_support import sandbox_client

API = "/sandbox/slack/api"
TOKEN = {"Authorization": "Bearer sbx_tiers.slack-token"}


@pytest.fixture
def client():
    limits.reset_all()
    with sandbox_client(sandbox) as c:
        yield c
    limits.reset_all()


def test_auth_test_is_not_counted_against_the_tier_2_limit(client):
    answers = [client.get(f"{API}/auth.test", headers=TOKEN) for _ in range(25)]
    assert [a.status_code for a in answers] == [200] * 25
    assert all(a.json()["ok"] for a in answers)


def test_conversations_list_gets_429_with_retry_after_past_20_a_minute(client):
    answers = [client.get(f"{API}/conversations.list", headers=TOKEN) for _ in range(21)]
    assert [a.status_code for a in answers[:20]] == [200] * 20
    assert answers[20].status_code == 429
    assert answers[20].json() == {"ok": False, "error": "ratelimited"}
    assert 0 < int(answers[20].headers["retry-after"]) <= 60
    assert client.get(f"{API}/auth.test", headers=TOKEN).status_code == 200    # other methods still answer
