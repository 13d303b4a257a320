"""Make: trigger a scenario or send data to its custom webhook; an API key goes in ``x-make-apikey``."""

from __future__ import annotations

from services.runtime.executors import bridge
from services.runtime.executors.context import ActionContext
from services.runtime.executors.registry import executor

executor("make", "trigger_scenario")(bridge.trigger)
executor("make", "send_data")(bridge.send_data)


def bridge_headers(ctx: ActionContext) -> dict[str, str]:
    key = ctx.client.secrets.get("api_key")
    return {"x-make-apikey": key} if key else {}
