"""n8n's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): a webhook bridge. Layers triggers a workflow
through its webhook URL (``trigger_workflow``); when the workflow answers with an execution id (a "Respond to
Webhook" node returning ``{{$execution.id}}``) the execution is read through the public API (``get_execution``).
Inbound, a workflow's HTTP Request node posts any JSON (the generic bridge mapping)."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.run import run_action
from services.webhooks.hooks import Bridge, WebhookHooks


def execution_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    value = response.get("executionId") or response.get("execution_id")
    return str(value) if value not in (None, "") else None


def fetch_execution(connection_id: int, output: dict[str, Any], **options: Any) -> dict[str, Any] | None:
    """The execution the workflow's answer names, or None when it names none."""
    ident = execution_id(output.get("response"))
    if ident is None:
        return None
    return run_action(connection_id, "get_execution", {"execution_id": ident}, **options).as_dict()


WEBHOOKS = WebhookHooks(bridge=Bridge(trigger_action="trigger_workflow", fetch_result=fetch_execution))
