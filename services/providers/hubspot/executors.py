"""HubSpot: notes and tasks have different bodies and association types, so they are code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import map_output, preview_output
from services.runtime.executors.registry import executor

# HUBSPOT_DEFINED association type ids: 202 note -> contact (V2), 204 task -> contact (B).
ASSOCIATION_TYPE = {"notes": 202, "tasks": 204}


def engagement_body(inputs: dict[str, Any]) -> dict[str, Any]:
    kind = inputs["object_type"]
    stamp = inputs.get("timestamp") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "notes":
        properties = {"hs_timestamp": stamp, "hs_note_body": inputs["text"]}
    else:
        properties = {"hs_timestamp": stamp, "hs_task_subject": inputs["text"],
                      "hs_task_status": inputs.get("task_status") or "NOT_STARTED"}
    return {"properties": properties,
            "associations": [{"to": {"id": str(inputs["contact_id"])},
                              "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                         "associationTypeId": ASSOCIATION_TYPE[kind]}]}]}


@executor("hubspot", "create_task_note", name="hubspot_create_engagement")
def create_task_note(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    """Create a note or a task associated with the contact (hs_timestamp is required by HubSpot)."""
    response = ctx.client.request("POST", f"/crm/v3/objects/{inputs['object_type']}", json=engagement_body(inputs),
                                  idempotent=False)
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    return ActionOutcome(map_output(ctx.action.outputs, response.json()))
