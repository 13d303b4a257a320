"""GitHub where the contract suite cannot say it: the X-Hub-Signature-256 scheme through the real inbound endpoint
(valid, tampered, wrong secret, missing; no timestamp in GitHub's scheme, so a replay is caught only by the
X-GitHub-Delivery GUID), the issue_opened mapping, and the sandbox answering like GitHub (204 dispatch, Bad
credentials, epoch x-ratelimit-reset waited out for the seconds it names)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from services import sandbox
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs
from services.sandbox import faults
from services.webhooks import inbound
from tests.sandbox_support import sandbox_client
from tests.webhooks_support import OTHER, SECRET, counts, dumps, handled, post, with_secret

API = "/sandbox/github/api"
TOKEN = {"Authorization": "Bearer sbx_acme.github-token"}
ISSUE = {"action": "opened",
         "issue": {"number": 7, "title": "Website form is broken", "body": "It answers 500.", "state": "open",
                   "html_url": "https://github.com/example-org/example-repo/issues/7",
                   "user": {"login": "example-user"}, "labels": [{"name": "bug"}],
                   "created_at": "2026-01-01T09:00:00Z"},
         "repository": {"full_name": "example-org/example-repo"}, "sender": {"login": "example-user"}}


def signed(secret: str, body: bytes, event: str = "issues", delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958",
           ) -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={mac}", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
            "content-type": "application/json"}


def test_signature_valid_tampered_wrong_missing_and_replayed(connect, session, creds_env):
    cid = connect("github")
    with_secret(session, cid)
    url, body = inbound.inbound_url(creds_env, "github", cid), dumps(ISSUE)
    ok = post(url, body, signed(SECRET, body))
    assert ok.status_code == 200 and ok.json()["events"] == 1, ok.text
    event = handled(cid)[0]
    assert event["event_type"] == "issues" and event["trigger"] == "issue_opened"
    assert event["output"] == {"number": 7, "title": "Website form is broken", "body": "It answers 500.",
                               "html_url": "https://github.com/example-org/example-repo/issues/7", "state": "open",
                               "user": "example-user", "labels": ["bug"], "repository": "example-org/example-repo",
                               "created_at": "2026-01-01T09:00:00Z"}
    tampered = post(url, body.replace(b"500", b"502"), signed(SECRET, body))
    wrong = post(url, body, signed(OTHER, body))
    bare = {**signed(SECRET, body), "X-Hub-Signature-256": signed(SECRET, body)["X-Hub-Signature-256"][7:]}
    unprefixed = post(url, body, bare)
    missing = post(url, body, {"X-GitHub-Event": "issues", "content-type": "application/json"})
    for response in (tampered, wrong, unprefixed, missing):
        assert response.status_code == 401, response.text
    assert "does not match" in wrong.json()["message"] and "sha256=" in unprefixed.json()["message"]
    # No timestamp: the captured delivery still verifies; its delivery GUID makes it a duplicate.
    replay = post(url, body, signed(SECRET, body))
    assert replay.status_code == 200 and replay.json()["duplicates"] == 1 and replay.json()["events"] == 0
    assert counts(cid) == (1, 4)


def test_other_actions_and_the_ping_are_stored_as_ignored(connect, session, creds_env):
    cid = connect("github")
    with_secret(session, cid)
    url = inbound.inbound_url(creds_env, "github", cid)
    closed = dumps({**ISSUE, "action": "closed"})
    ping = dumps({"zen": "Keep it logically awesome.", "hook_id": 1})
    assert post(url, closed, signed(SECRET, closed, delivery="d-1")).json()["events"] == 1
    assert post(url, ping, signed(SECRET, ping, event="ping", delivery="d-2")).json()["events"] == 1
    assert [(e["event_type"], e["status"]) for e in handled(cid, 2)] == [("issues", "ignored"), ("ping", "ignored")]


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_sandbox_answers_like_github(client):
    me = client.get(f"{API}/user", headers=TOKEN)
    assert me.status_code == 200 and me.json()["login"]
    assert me.headers["x-ratelimit-limit"] == "5000" and me.headers["x-ratelimit-remaining"] == "4999"
    assert abs(int(me.headers["x-ratelimit-reset"]) - (time.time() + 3600)) < 5        # epoch seconds
    bad = client.get(f"{API}/user", headers={"Authorization": "Bearer ghp_not-a-sandbox-token"})
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials" and bad.json()["documentation_url"]
    dispatch = client.post(f"{API}/repos/example-org/example-repo/dispatches", headers=TOKEN,
                           json={"event_type": "deploy-site"})
    assert dispatch.status_code == 204 and dispatch.content == b""
    missing = client.post(f"{API}/repos/example-org/example-repo/issues", headers=TOKEN, json={"body": "no title"})
    assert missing.status_code == 400 and "title" in missing.json()["message"]


def test_an_epoch_reset_is_waited_out_for_the_seconds_it_names(connect):
    conn = connect("github", "rl-epoch")
    faults.arm(faults.Fault(provider="github", account="*", kind="rate_limit", times=1, retry_after=5.0))
    slept: list[float] = []
    try:
        result = run_action(conn, "list_issues", sample_inputs("github", "list_issues"), mode="live",
                            sleep=slept.append)
    finally:
        faults.clear()
    assert result.ok and result.retries == 1, result.error
    assert result.requests[0]["status"] == 429
    assert len(slept) == 1 and 3.0 <= slept[0] <= 6.0, slept     # not 1.7e9 seconds, not the 0.25 s backoff
    sent = {k.lower(): v for k, v in result.requests[-1]["request_headers"].items()}
    assert sent["accept"] == "application/vnd.github+json" and sent["x-github-api-version"] == "2022-11-28"
