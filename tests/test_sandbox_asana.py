"""The Asana sandbox answers like Asana where the contract suite cannot tell: bodies inside {data}, a task needs a
workspace, projects or a parent, comments need an existing task, and errors are {errors: [{message, help}]}."""

from __future__ import annotations

import pytest

from services import sandbox
from services.catalog import load_catalog
from services.providers.asana import sandbox as asana
from services.runtime.executors.declarative import build_request
from services.sandbox import faults
from tests.sandbox_support import sandbox_client

API = "/sandbox/asana/api/api/1.0"
ACME = {"Authorization": "Bearer sbx_acme.asana-pat"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_the_hub_wraps_the_task_in_data_and_the_answer_is_the_created_task(client):
    spec = load_catalog().get("asana")
    request = build_request(spec.actions["create_task"], {"name": "Call back", "workspace": "1"}, {}, spec)
    assert request["json"] == {"data": {"name": "Call back", "workspace": "1"}}
    answer = client.post(f"{API}/tasks", json=request["json"], headers=ACME)
    assert answer.status_code == 201
    task = answer.json()["data"]
    assert task["name"] == "Call back" and task["workspace"] == "1" and task["gid"].startswith("12")
    assert "data" not in task


def test_a_task_without_workspace_projects_or_parent_is_refused_as_asana_does(client):
    answer = client.post(f"{API}/tasks", json={"data": {"name": "Orphan"}}, headers=ACME)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["message"] == "workspace: Missing input" and error["help"].startswith("For more information")


def test_a_comment_needs_an_existing_task_and_is_a_comment_story(client):
    ok = client.post(f"{API}/tasks/{asana.TASK_GID}/stories", json={"data": {"text": "Hello"}}, headers=ACME)
    assert ok.status_code == 201
    assert ok.json()["data"]["text"] == "Hello" and ok.json()["data"]["resource_subtype"] == "comment_added"
    missing = client.post(f"{API}/tasks/999/stories", json={"data": {"text": "Hello"}}, headers=ACME)
    assert missing.status_code == 404 and "Unknown object" in missing.json()["errors"][0]["message"]


def test_a_bad_token_is_asanas_401_and_the_rate_limit_carries_retry_after(client):
    refused = client.get(f"{API}/users/me", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["errors"][0]["message"] == "Not Authorized"
    assert client.get(f"{API}/users/me", headers=ACME).json()["data"]["resource_type"] == "user"
    faults.arm(faults.Fault(provider="asana", account="acme", kind="rate_limit", times=1, retry_after=30.0))
    limited = client.get(f"{API}/users/me", headers=ACME)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    assert "rate limit" in limited.json()["errors"][0]["message"]
