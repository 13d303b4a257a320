"""n8n: trigger a workflow through its Webhook node; the node's Header Auth carries the webhook secret."""

from __future__ import annotations

from services.runtime.executors import bridge
from services.runtime.executors.context import ActionContext
from services.runtime.executors.registry import executor

DEFAULT_HEADER = "X-Layers-Webhook-Secret"   # the name staff set in the Webhook node's Header Auth

executor("n8n", "trigger_workflow", name="webhook_bridge")(bridge.trigger)


def bridge_headers(ctx: ActionContext) -> dict[str, str]:
    secret = ctx.client.secrets.get("webhook_secret")
    return {str(ctx.config.get("webhook_header") or DEFAULT_HEADER): secret} if secret else {}
