"""ActiveCampaign's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): webhooks are unsigned form posts
``type=…&contact[email]=…`` (B), verified by the ``?secret=`` of the inbound URL (url_secret)."""

from __future__ import annotations

from typing import Any

from services.webhooks.hooks import Mapped, WebhookHooks
from services.webhooks.triggers import as_dict


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    item = as_dict(item)
    contact = as_dict(item.get("contact"))
    if event_type == "subscribe":
        return "contact_subscribed", {"contact_id": contact.get("id"), "email": contact.get("email"),
                                      "list_id": item.get("list"), "date_time": item.get("date_time")}
    if event_type == "contact_tag_added":
        return "tag_applied", {"contact_id": contact.get("id"), "email": contact.get("email"),
                               "tag": item.get("tag")}
    if event_type == "deal_update":
        deal = as_dict(item.get("deal"))
        if not deal.get("stageid"):
            return None
        return "deal_stage_changed", {"deal_id": deal.get("id"), "stage_id": deal.get("stageid"),
                                      "stage_title": deal.get("stage_title"), "contact_id": contact.get("id")}
    return None


WEBHOOKS = WebhookHooks(event_type=lambda payload, headers: payload.get("type"), map_event=map_event)
