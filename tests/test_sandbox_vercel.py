"""Vercel where the contract suite cannot say it: a refused token is Vercel's 403 forbidden body, a 429 carries
``limit`` and epoch reset headers, and a team connection sends its teamId with every action."""

from __future__ import annotations

import time

import pytest

from services import sandbox
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs
from services.sandbox import faults
from tests.sandbox_support import sandbox_client

API = "/sandbox/vercel/api"


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_refused_token_and_rate_limit_answer_like_vercel(client):
    bad = client.get(f"{API}/v2/user", headers={"Authorization": "Bearer not-a-sandbox-token"})
    assert bad.status_code == 403
    assert bad.json()["error"]["code"] == "forbidden" and bad.json()["error"]["message"] == "Not authorized"
    ok = client.get(f"{API}/v10/projects", headers={"Authorization": "Bearer sbx_acme.vercel-token"})
    assert [p["name"] for p in ok.json()["projects"]] == ["example-site"]
    assert abs(int(ok.headers["x-ratelimit-reset"]) - (time.time() + 60)) < 5          # epoch seconds
    faults.arm(faults.Fault(provider="vercel", account="*", kind="rate_limit", times=1, retry_after=2.0))
    limited = client.get(f"{API}/v10/projects", headers={"Authorization": "Bearer sbx_acme.vercel-token"})
    error = limited.json()["error"]
    assert limited.status_code == 429 and error["code"] == "rate_limited" and error["limit"]["remaining"] == 0
    assert limited.headers["x-ratelimit-remaining"] == "0"


def test_a_team_connection_sends_its_team_id(connect):
    team = connect("vercel", "team-acme", config={"team_id": "team_xxxxxxxxxxxxxxxxxxxxxxxx"})
    personal = connect("vercel", "personal-acme")
    for action in ("list_projects", "redeploy"):
        result = run_action(team, action, sample_inputs("vercel", action), mode="live")
        assert result.ok, result.error
        assert "teamId=team_xxxxxxxxxxxxxxxxxxxxxxxx" in result.requests[-1]["url"]
    result = run_action(personal, "list_deployments", sample_inputs("vercel", "list_deployments"), mode="live")
    assert result.ok and "teamId" not in result.requests[-1]["url"]
