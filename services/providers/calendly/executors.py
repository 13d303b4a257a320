"""Calendly: listing scheduled events needs a user or organization URI; without one, use the
connected user's (GET /users/me)."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import build_request, map_output
from services.runtime.executors.registry import executor


@executor("calendly", "get_scheduled_events")
def get_scheduled_events(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    if not inputs.get("user") and not inputs.get("organization"):
        me = ctx.client.request("GET", "/users/me").json()["resource"]
        inputs = {**inputs, "user": me["uri"]}
    request = build_request(ctx.action, inputs, ctx.config)
    response = ctx.client.request("GET", request["path"], params=request["params"])
    return ActionOutcome(map_output(ctx.action.outputs, response.json()))
