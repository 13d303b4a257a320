"""PostHog: events are captured on the region's ingestion host, not on the app host the private API uses
(V: posthog.com/docs/api/post-only-endpoints: us.i.posthog.com, eu.i.posthog.com, a self-hosted domain itself)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import build_request, map_output, preview_output
from services.runtime.executors.registry import executor

CLOUD = {"us.posthog.com": "us.i.posthog.com", "app.posthog.com": "us.i.posthog.com",
         "eu.posthog.com": "eu.i.posthog.com"}


def ingestion_url(host: str) -> str:
    """The capture host of a connection's PostHog host (a self-hosted instance ingests on its own host)."""
    parts = urlsplit(host.rstrip("/"))
    name = CLOUD.get(parts.hostname or "", parts.netloc)
    return f"{parts.scheme or 'https'}://{name}"


@executor("posthog", "capture_event")
def capture_event(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    request = build_request(ctx.action, inputs, ctx.config, ctx.spec)
    url = ingestion_url(str(ctx.config.get("host") or "")) + request["path"]
    response = ctx.client.request("POST", url, json=request["json"], headers=request["headers"] or None,
                                  idempotent=ctx.action.idempotent)
    if response is None:   # test mode
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    return ActionOutcome(map_output(ctx.action.outputs, response.json()))
