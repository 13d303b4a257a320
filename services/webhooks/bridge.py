"""Layers → n8n / Make / Zapier: trigger by webhook URL (executors/providers/bridge.py does the POST with
the tool's own auth), and for n8n read the execution's result through the public API when the workflow
answers with an execution id (a "Respond to Webhook" node returning ``{{$execution.id}}``)."""

from __future__ import annotations

from typing import Any

from services.executors.run import run_action

# Bridge auth headers the executor sends (the Webhook node's Header Auth, Make's API key). RunResult redacts
# only the standard credential headers, so these are redacted here before anything is shown or returned.
BRIDGE_HEADERS = {"x-layers-webhook-secret", "x-make-apikey"}
TRIGGER_ACTIONS = {"n8n": "trigger_workflow", "make": "trigger_scenario", "zapier": "trigger_zap"}


def execution_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    value = response.get("executionId") or response.get("execution_id")
    return str(value) if value not in (None, "") else None


def _secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in BRIDGE_HEADERS or any(w in lowered for w in ("secret", "apikey", "api-key", "token", "auth"))


def redact_run(run: dict[str, Any]) -> dict[str, Any]:
    """Redact bridge auth headers (any header named like a secret: custom Header Auth names) in place."""
    for exchange in run.get("requests") or []:
        headers = exchange.get("request_headers")
        if isinstance(headers, dict):
            exchange["request_headers"] = {k: "[redacted]" if _secret_header(k) else v for k, v in headers.items()}
    return run


def trigger(service: str, connection_id: int, payload: dict[str, Any], *, mode: str = "live",
            fetch_result: bool = True, **options: Any) -> dict[str, Any]:
    """Run the connection's trigger action; for n8n also fetch the execution when an id comes back."""
    action = TRIGGER_ACTIONS.get(service)
    if action is None:
        raise ValueError(f"{service} is not a webhook bridge (n8n, make, zapier)")
    run = run_action(connection_id, action, {"payload": payload}, mode=mode, service=service, **options)
    result: dict[str, Any] = {"trigger": redact_run(run.as_dict()), "execution": None}
    if not (run.ok and fetch_result and service == "n8n" and run.output):
        return result
    ident = execution_id(run.output.get("response"))
    if ident is not None:
        result["execution"] = run_action(connection_id, "get_execution", {"execution_id": ident}, mode=mode,
                                         service=service, **options).as_dict()
    return result
