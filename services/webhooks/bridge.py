"""Layers → n8n / Make / Zapier: trigger by webhook URL (executors/providers/bridge.py does the POST with
the tool's own auth), and for n8n read the execution's result through the public API when the workflow
answers with an execution id (a "Respond to Webhook" node returning ``{{$execution.id}}``)."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.run import run_action

TRIGGER_ACTIONS = {"n8n": "trigger_workflow", "make": "trigger_scenario", "zapier": "trigger_zap"}


def execution_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    value = response.get("executionId") or response.get("execution_id")
    return str(value) if value not in (None, "") else None


def trigger(service: str, connection_id: int, payload: dict[str, Any], *, mode: str = "live",
            fetch_result: bool = True, **options: Any) -> dict[str, Any]:
    """Run the connection's trigger action; for n8n also fetch the execution when an id comes back."""
    action = TRIGGER_ACTIONS.get(service)
    if action is None:
        raise ValueError(f"{service} is not a webhook bridge (n8n, make, zapier)")
    run = run_action(connection_id, action, {"payload": payload}, mode=mode, service=service, **options)
    result: dict[str, Any] = {"trigger": run.as_dict(), "execution": None}   # exchanges already redacted
    if not (run.ok and fetch_result and service == "n8n" and run.output):
        return result
    ident = execution_id(run.output.get("response"))
    if ident is not None:
        result["execution"] = run_action(connection_id, "get_execution", {"execution_id": ident}, mode=mode,
                                         service=service, **options).as_dict()
    return result
