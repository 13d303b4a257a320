"""Map a provider's inbound event to a catalog trigger and that trigger's output fields.

``split(service, payload, headers)`` turns one delivery into events ``(event_type, provider_id, item)``:
one event per delivery, unless the provider's ``WebhookHooks.split`` says otherwise (HubSpot batches up to
100 events in a JSON array). The event type is read from ``event`` / ``type`` / the ``X-Layers-Event``
header, or where the provider's ``event_type`` hook says (Calendly ``event``, Webflow ``triggerType``, ...).
``map_event(service, event_type, item)`` returns ``(trigger_key, output)`` or None when no trigger of the
catalog wants the event (stored as "ignored"): the provider's ``map_event`` hook
(services/providers/<slug>/webhooks.py), or for a webhook bridge (catalog ``auth.method: webhook``: n8n,
Make, Zapier, Pipedream post any JSON) the whole body as the ``inbound_webhook`` trigger's ``payload``.
Outputs carry exactly the trigger's catalog fields; the helpers below are what the provider mappers use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.catalog import load_catalog
from services.webhooks import hooks
from services.webhooks.hooks import Event, Mapped

BRIDGE_METHOD = "webhook"            # catalog auth.method of the workflow tools bridged by webhook
BRIDGE_TRIGGER = "inbound_webhook"   # their one trigger: the whole body as ``payload``


def lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def split(service: str, payload: Any, headers: Mapping[str, str]) -> list[Event]:
    """The events of one delivery: (event type, provider event id or None, the event's own payload)."""
    provider = hooks.hooks_for(service)
    if provider is not None and provider.split is not None:
        return provider.split(payload, headers)
    h = lower(headers)
    event_id = h.get("webhook-id") or h.get("idempotency-key") or h.get("x-request-id")
    if not isinstance(payload, dict):
        return [(None, event_id, payload)]
    if provider is not None and provider.event_type is not None:
        return [(text(provider.event_type(payload, h)), event_id, payload)]
    return [(text(payload.get("event") or payload.get("type") or h.get("x-layers-event")), event_id, payload)]


def text(value: Any) -> str | None:
    """An event type or id as stored (at most 200 characters), None when absent."""
    return None if value is None else str(value)[:200]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def pick(source: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: source.get(name) for name in fields}


def outputs(service: str, trigger: str) -> dict[str, Any]:
    """The trigger's catalog output fields (what a mapped event carries)."""
    return load_catalog().get(service).triggers[trigger].outputs


def is_bridge(service: str) -> bool:
    try:
        return load_catalog().get(service).auth.method == BRIDGE_METHOD
    except (KeyError, ValueError):
        return False


def map_event(service: str, event_type: str | None, item: Any) -> Mapped | None:
    provider = hooks.hooks_for(service)
    if provider is not None and provider.map_event is not None:
        return provider.map_event(event_type, item)
    if is_bridge(service):
        return BRIDGE_TRIGGER, {"payload": item}
    return None
