"""Every catalog action of the top 10 runs in live mode against the sandbox with its sample inputs."""

import pytest

from services.catalog import load_catalog
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs

ACTIONS = [(s.slug, a) for s in load_catalog().top10() for a in s.actions]
ACCOUNT = {("hubspot", "send_email"): "acme-enterprise"}     # single-send needs Marketing Hub Enterprise


def live_inputs(connection: int, slug: str, action: str) -> dict:
    values = sample_inputs(slug, action)
    if (slug, action) == ("calendly", "get_scheduled_events"):
        values.pop("user", None), values.pop("organization", None)   # the connected user's own events
    if (slug, action) == ("webflow", "update_cms_item"):          # update an item that exists
        created = run_action(connection, "create_cms_item", sample_inputs("webflow", "create_cms_item"), mode="live")
        values["item_id"] = created.output["id"]
    if (slug, action) == ("n8n", "get_execution"):              # read the execution a trigger started
        started = run_action(connection, "trigger_workflow", sample_inputs("n8n", "trigger_workflow"), mode="live")
        values["execution_id"] = str(started.output["response"]["executionId"])
    if (slug, action) == ("webflow", "publish_site"):
        values.pop("custom_domain_ids", None)                     # the sandbox site has no custom domains
    return values


@pytest.mark.parametrize("slug, action", ACTIONS, ids=[f"{s}.{a}" for s, a in ACTIONS])
def test_action_runs_live_against_the_sandbox(connect, slug, action):
    conn = connect(slug, ACCOUNT.get((slug, action), f"smoke-{slug}-{action}".replace("_", "-")))
    result = run_action(conn, action, live_inputs(conn, slug, action), mode="live")
    assert result.ok, (result.error, result.requests)
    assert result.requests and all(r["sent"] for r in result.requests)
    assert set(result.output) <= set(load_catalog().get(slug).actions[action].outputs)
