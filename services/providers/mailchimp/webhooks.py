"""Mailchimp's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): audience webhooks are unsigned form posts
``type=…&fired_at=…&data[email]=…`` (B), verified by the ``?secret=`` of the inbound URL (url_secret). Mailchimp
checks a new webhook URL with a GET (or an empty POST) before saving it, which must answer 200."""

from __future__ import annotations

from typing import Any

from services.webhooks.hooks import Mapped, WebhookHooks
from services.webhooks.triggers import as_dict


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    item = as_dict(item)
    data = as_dict(item.get("data"))
    if event_type == "subscribe":
        return "subscriber_added", {"email": data.get("email"), "list_id": data.get("list_id"),
                                    "merges": as_dict(data.get("merges")), "fired_at": item.get("fired_at")}
    if event_type == "unsubscribe":
        return "subscriber_unsubscribed", {"email": data.get("email"), "list_id": data.get("list_id"),
                                           "reason": data.get("reason"), "fired_at": item.get("fired_at")}
    if event_type == "campaign":
        return "campaign_sent", {"campaign_id": data.get("id"), "subject": data.get("subject"),
                                 "status": data.get("status"), "list_id": data.get("list_id"),
                                 "fired_at": item.get("fired_at")}
    return None


def url_probe(method: str, body: bytes) -> bool:
    return method == "GET" or not body


WEBHOOKS = WebhookHooks(event_type=lambda payload, headers: payload.get("type"), map_event=map_event,
                        url_probe=url_probe)
