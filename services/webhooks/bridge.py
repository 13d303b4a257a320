"""Layers → workflow tools bridged by webhook (n8n, Make, Zapier): run the provider's trigger action (its
``WebhookHooks.bridge``; services/runtime/executors/bridge.py does the POST with the tool's own auth), then, when
the provider has a ``fetch_result`` hook, read the run's result (n8n: the execution, through its public API)."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.run import run_action
from services.webhooks import hooks


def trigger(service: str, connection_id: int, payload: dict[str, Any], *, mode: str = "live",
            fetch_result: bool = True, **options: Any) -> dict[str, Any]:
    """Run the connection's trigger action; also fetch the result where the provider can say what it was."""
    bridge = hooks.bridge(service)
    if bridge is None:
        raise ValueError(f"{service} is not a webhook bridge ({', '.join(hooks.bridges())})")
    run = run_action(connection_id, bridge.trigger_action, {"payload": payload}, mode=mode, service=service,
                     **options)
    result: dict[str, Any] = {"trigger": run.as_dict(), "execution": None}   # exchanges already redacted
    if run.ok and fetch_result and bridge.fetch_result is not None and run.output:
        result["execution"] = bridge.fetch_result(connection_id, run.output, mode=mode, service=service, **options)
    return result
