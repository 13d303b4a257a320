"""WordPress's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): the companion plugin (ours, B) posts
``{"hook": "publish_post", "post": {...}}``, ``{"hook": "comment_post", "comment": {...}}`` or a form plugin's
submission, with the shared header (shared_header); the event type is ``hook`` or the ``X-Layers-Event`` header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.webhooks.hooks import Mapped, WebhookHooks
from services.webhooks.triggers import as_dict


def event_type(payload: dict[str, Any], headers: Mapping[str, str]) -> Any:
    return payload.get("hook") or headers.get("x-layers-event")


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    item = as_dict(item)
    if event_type == "publish_post":
        post = as_dict(item.get("post"))
        return "new_post_published", {"id": post.get("ID"), "title": post.get("post_title"),
                                      "link": item.get("post_permalink") or post.get("guid"),
                                      "author": post.get("post_author")}
    if event_type == "comment_post":
        comment = as_dict(item.get("comment"))
        return "new_comment", {"id": comment.get("comment_ID"), "post": comment.get("comment_post_ID"),
                               "author_name": comment.get("comment_author"),
                               "content": comment.get("comment_content")}
    if event_type in ("wpforms_process_complete", "wpcf7_mail_sent"):
        return "form_submitted", {"form_id": item.get("form_id"), "fields": as_dict(item.get("fields"))}
    return None


WEBHOOKS = WebhookHooks(event_type=event_type, map_event=map_event)
