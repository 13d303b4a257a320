"""The webhook bridge (seed "Option A"): Layers triggers n8n workflows, Make scenarios and Zaps by
POSTing JSON to the connection's webhook URL with that tool's own authentication.

Each tool's folder registers these functions for its actions (``services/providers/<slug>/executors.py``)
and says how it authenticates (``bridge_headers``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.catalog import providers
from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import preview_output
from services.runtime.provider_errors import ValidationFailed

BridgeHeaders = Callable[[ActionContext], dict[str, str]]


def _headers(ctx: ActionContext) -> dict[str, str]:
    """The tool's own authentication, from its folder's ``executors.bridge_headers`` (none: no header)."""
    hook: BridgeHeaders | None = providers.part(ctx.spec.slug, "executors", "bridge_headers")
    return hook(ctx) if hook else {}


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


def trigger(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs.get("payload") or {})
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = _body(response)
    return ActionOutcome({"response": body if isinstance(body, dict) else {"message": body}})


def send_data(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs["data"])
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    return ActionOutcome({"accepted": 200 <= response.status_code < 300})


def trigger_zap(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    response = _post(ctx, inputs["payload"])
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = _body(response)
    body = body if isinstance(body, dict) else {}
    return ActionOutcome({"status": body.get("status"), "request_id": body.get("request_id")})
