"""The webhook bridge (seed "Option A"): Layers triggers n8n workflows, Make scenarios and Zaps by
POSTing JSON to the connection's webhook URL with that tool's own authentication."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import preview_output
from services.runtime.executors.registry import executor
from services.runtime.provider_errors import ValidationFailed

N8N_DEFAULT_HEADER = "X-Layers-Webhook-Secret"   # the name staff set in the Webhook node's Header Auth


def _headers(ctx: ActionContext) -> dict[str, str]:
    secrets = ctx.client.secrets
    if ctx.spec.slug == "n8n" and secrets.get("webhook_secret"):
        return {str(ctx.config.get("webhook_header") or N8N_DEFAULT_HEADER): secrets["webhook_secret"]}
    if ctx.spec.slug == "make" and secrets.get("api_key"):
        return {"x-make-apikey": secrets["api_key"]}
    return {}


def _post(ctx: ActionContext, payload: Any) -> Any:
    url = ctx.config.get("webhook_url")
    if not url:
        raise ValidationFailed(f"the {ctx.spec.name} connection has no webhook URL")
    return ctx.client.request("POST", str(url), json=payload, headers=_headers(ctx), idempotent=False)


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


@executor("n8n", "trigger_workflow", name="webhook_bridge")
@executor("make", "trigger_scenario")
def trigger(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs.get("payload") or {})
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = _body(response)
    return ActionOutcome({"response": body if isinstance(body, dict) else {"message": body}})


@executor("make", "send_data")
def send_data(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs["data"])
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    return ActionOutcome({"accepted": 200 <= response.status_code < 300})


@executor("zapier", "trigger_zap")
def trigger_zap(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs["payload"])
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = _body(response)
    body = body if isinstance(body, dict) else {}
    return ActionOutcome({"status": body.get("status"), "request_id": body.get("request_id")})
