"""Make's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): a webhook bridge. Layers triggers a scenario
through its custom webhook (``trigger_scenario``); inbound, an HTTP module posts any JSON (the generic bridge
mapping)."""

from __future__ import annotations

from services.webhooks.hooks import Bridge, WebhookHooks

WEBHOOKS = WebhookHooks(bridge=Bridge(trigger_action="trigger_scenario"))
