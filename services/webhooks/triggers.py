"""Map a provider's inbound event to a catalog trigger and that trigger's output fields.

``split(service, payload, headers)`` turns one delivery into events ``(event_type, provider_id, item)``
(HubSpot batches up to 100 events in a JSON array; every other provider sends one).
``map_event(service, event_type, item)`` returns ``(trigger_key, output)`` or None when no trigger of the
catalog wants the event (stored as "ignored"). Outputs carry exactly the trigger's catalog fields.

Payload shapes (providers.md, catalog notes): Calendly ``{"event", "created_at", "payload": {invitee}}``
(V); HubSpot v3 ``[{eventId, subscriptionType, objectId, propertyName, propertyValue, portalId,
occurredAt}]`` (V); Webflow ``{"triggerType", "payload"}`` (V: SDK); Mailchimp and ActiveCampaign
form posts ``type=…&data[email]=…`` / ``type=…&contact[email]=…`` (B); the WordPress companion plugin
``{"hook": "publish_post", "post": {...}}`` or ``{"hook": "comment_post", "comment": {...}}`` (ours, B);
n8n, Make and Zapier post any JSON (the whole body is the ``payload`` output).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.catalog import load_catalog

BRIDGES = ("n8n", "make", "zapier", "pipedream")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def split(service: str, payload: Any, headers: Mapping[str, str]) -> list[tuple[str | None, str | None, Any]]:
    """The events of one delivery: (event type, provider event id or None, the event's own payload)."""
    h = _lower(headers)
    if service == "hubspot":
        items = payload if isinstance(payload, list) else [payload]
        return [(str(i.get("subscriptionType")) if isinstance(i, dict) and i.get("subscriptionType") else None,
                 str(i["eventId"]) if isinstance(i, dict) and i.get("eventId") is not None else None, i)
                for i in items]
    event_id = h.get("webhook-id") or h.get("idempotency-key") or h.get("x-request-id")
    if not isinstance(payload, dict):
        return [(None, event_id, payload)]
    if service == "calendly":
        return [(_str(payload.get("event")), event_id, payload)]
    if service == "webflow":
        return [(_str(payload.get("triggerType")), event_id, payload)]
    if service in ("mailchimp", "activecampaign"):
        return [(_str(payload.get("type")), event_id, payload)]
    if service == "wordpress":
        return [(_str(payload.get("hook") or h.get("x-layers-event")), event_id, payload)]
    return [(_str(payload.get("event") or payload.get("type") or h.get("x-layers-event")), event_id, payload)]


def _str(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pick(source: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: source.get(name) for name in fields}


def _outputs(service: str, trigger: str) -> dict[str, Any]:
    return load_catalog().get(service).triggers[trigger].outputs


def _bridge(service: str, event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    return "inbound_webhook", {"payload": item}


def _calendly(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    invitee = _dict(_dict(item).get("payload"))
    if event_type == "invitee.created":
        # A reschedule fires invitee.canceled (rescheduled true) and invitee.created (old_invitee set);
        # the canceled half becomes "Event rescheduled", so the created half is not a new booking.
        key = None if invitee.get("old_invitee") else "event_scheduled"
    elif event_type == "invitee.canceled":
        key = "event_rescheduled" if invitee.get("rescheduled") is True else "event_canceled"
    else:
        return None
    if key is None:
        return None
    out = _pick(invitee, _outputs("calendly", key))
    out["rescheduled"] = bool(invitee.get("rescheduled"))
    return key, out


def _hubspot(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    item = _dict(item)
    if event_type in ("contact.creation", "contact.propertyChange"):
        key = "contact_created_updated"
    elif event_type == "deal.propertyChange" and item.get("propertyName") == "dealstage":
        key = "deal_stage_changed"
    else:
        return None
    return key, _pick(item, _outputs("hubspot", key))


def _webflow(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    inner = _dict(_dict(item).get("payload"))
    key = {"form_submission": "form_submitted", "collection_item_created": "cms_item_created"}.get(event_type or "")
    return (key, _pick(inner, _outputs("webflow", key))) if key else None


def _mailchimp(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    item = _dict(item)
    data = _dict(item.get("data"))
    if event_type == "subscribe":
        return "subscriber_added", {"email": data.get("email"), "list_id": data.get("list_id"),
                                    "merges": _dict(data.get("merges")), "fired_at": item.get("fired_at")}
    if event_type == "unsubscribe":
        return "subscriber_unsubscribed", {"email": data.get("email"), "list_id": data.get("list_id"),
                                           "reason": data.get("reason"), "fired_at": item.get("fired_at")}
    if event_type == "campaign":
        return "campaign_sent", {"campaign_id": data.get("id"), "subject": data.get("subject"),
                                 "status": data.get("status"), "list_id": data.get("list_id"),
                                 "fired_at": item.get("fired_at")}
    return None


def _activecampaign(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    item = _dict(item)
    contact = _dict(item.get("contact"))
    if event_type == "subscribe":
        return "contact_subscribed", {"contact_id": contact.get("id"), "email": contact.get("email"),
                                      "list_id": item.get("list"), "date_time": item.get("date_time")}
    if event_type == "contact_tag_added":
        return "tag_applied", {"contact_id": contact.get("id"), "email": contact.get("email"),
                               "tag": item.get("tag")}
    if event_type == "deal_update":
        deal = _dict(item.get("deal"))
        if not deal.get("stageid"):
            return None
        return "deal_stage_changed", {"deal_id": deal.get("id"), "stage_id": deal.get("stageid"),
                                      "stage_title": deal.get("stage_title"), "contact_id": contact.get("id")}
    return None


def _wordpress(event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    item = _dict(item)
    if event_type == "publish_post":
        post = _dict(item.get("post"))
        return "new_post_published", {"id": post.get("ID"), "title": post.get("post_title"),
                                      "link": item.get("post_permalink") or post.get("guid"),
                                      "author": post.get("post_author")}
    if event_type == "comment_post":
        comment = _dict(item.get("comment"))
        return "new_comment", {"id": comment.get("comment_ID"), "post": comment.get("comment_post_ID"),
                               "author_name": comment.get("comment_author"),
                               "content": comment.get("comment_content")}
    if event_type in ("wpforms_process_complete", "wpcf7_mail_sent"):
        return "form_submitted", {"form_id": item.get("form_id"), "fields": _dict(item.get("fields"))}
    return None


_MAPPERS = {"calendly": _calendly, "hubspot": _hubspot, "webflow": _webflow, "mailchimp": _mailchimp,
            "activecampaign": _activecampaign, "wordpress": _wordpress}


def map_event(service: str, event_type: str | None, item: Any) -> tuple[str, dict[str, Any]] | None:
    if service in BRIDGES:
        return _bridge(service, event_type, item)
    mapper = _MAPPERS.get(service)
    return mapper(event_type, item) if mapper else None
