"""Layers → n8n: trigger a workflow through its webhook (Header Auth) and read the execution result
through the public API (X-N8N-API-KEY), against the sandbox n8n instance."""

from __future__ import annotations

import pytest

from services.providers.n8n import sandbox as n8n
from services.webhooks import bridge


@pytest.fixture(autouse=True)
def _clean_n8n():
    n8n.reset_workflows()
    yield
    n8n.reset_workflows()


def test_n8n_trigger_then_execution_result(connect, creds_env):
    cid = connect("n8n", "acme")
    n8n.register_workflow("layers", auth="header", header="X-Layers-Webhook-Secret")
    result = bridge.trigger("n8n", cid, {"email": "jane.doe@example.com"})
    trig, execution = result["trigger"], result["execution"]
    assert trig["ok"], trig
    assert trig["requests"][0]["method"] == "POST"
    assert "sbx_acme.n8n-hook" not in str(result) and "sbx_acme.n8n-key" not in str(result)   # secrets redacted
    execution_id = trig["output"]["response"]["executionId"]
    assert execution_id in n8n.state("acme")["executions"]
    assert execution and execution["ok"], execution
    assert execution["output"]["id"] == execution_id
    assert execution["output"]["status"] == "success" and execution["output"]["finished"] is True


def test_n8n_failed_workflow_status_is_reported(connect, creds_env):
    cid = connect("n8n", "acme")
    n8n.register_workflow("layers", status="error")
    result = bridge.trigger("n8n", cid, {"email": "x@example.com"})
    assert result["execution"]["output"]["status"] == "error"


def test_wrong_header_secret_is_refused_and_no_execution_fetched(connect, creds_env):
    cid = connect("n8n", "acme")
    n8n.register_workflow("layers", auth="header", header="X-Layers-Webhook-Secret", value="sbx_other-value")
    result = bridge.trigger("n8n", cid, {"email": "x@example.com"})
    assert not result["trigger"]["ok"] and result["execution"] is None
    assert result["trigger"]["error"]["status"] == 403


def test_make_trigger_has_no_execution_step(connect, creds_env):
    cid = connect("make", "acme")
    result = bridge.trigger("make", cid, {"email": "x@example.com"})
    assert result["trigger"]["ok"], result
    assert result["execution"] is None
    with pytest.raises(ValueError):
        bridge.trigger("hubspot", cid, {})
