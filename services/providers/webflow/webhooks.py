"""Webflow's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): its signature, event mapping and the
Subscribe action.

- **Signature**: hex(HMAC-SHA256(secret, timestamp + ":" + body)) with x-webflow-timestamp in milliseconds (V: SDK
  + v1 "verifying webhook signatures" page, whose example timestamp 1663849649733 is in ms). Webflow signs only
  webhooks created by an OAuth app, with the app's client secret (V: changelog "Webhook signatures"), so the
  scheme is app-signed (services/webhooks/apps.py).
- **Deliveries**: ``{"triggerType", "payload"}`` (V: SDK).
- **Subscribe** (``GET`` then ``POST /sites/{site_id}/webhooks {triggerType, url, filter?}``, V: webhooks.yml): the
  connection's inbound URL on its site (the ``site_id`` connection field, or the ``site_id`` parameter);
  ``filter.name`` from ``form_name`` (form_submission only). A webhook with the same trigger type, URL and filter
  is reused, not duplicated; Webflow allows 75 per trigger type per site. Only OAuth connections can subscribe: a
  site-token connection's deliveries would arrive unsigned and fail verification. **Unsubscribe** deletes the
  site's webhooks whose URL is the connection's inbound URL and whose trigger type is the trigger's (only the
  named form's with ``form_name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.models import Connection
from services.catalog import TriggerSpec
from services.connect.oauth import env_names
from services.connect.signatures import (
    DEFAULT_TOLERANCE,
    SignatureError,
    any_match,
    fresh,
    header,
    hmac_sha256,
    secret_list,
)
from services.core.config import load_settings
from services.core.errors import InvalidInput
from services.providers.webflow import SLUG
from services.runtime.executors.run import connection_client
from services.webhooks import apps
from services.webhooks.hooks import Mapped, SignatureScheme, Subscriber, WebhookHooks
from services.webhooks.inbound import inbound_url
from services.webhooks.provider_calls import calling, delete, request_path
from services.webhooks.subscribe import token_client
from services.webhooks.triggers import as_dict, outputs, pick

SCHEME = "webflow"
TRIGGERS = {"form_submission": "form_submitted", "collection_item_created": "cms_item_created"}


def sign_webflow(secret: str, body: bytes, timestamp: str) -> str:
    return hmac_sha256(secret.encode(), timestamp.encode() + b":" + body).hex()


def verify_webflow(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                   tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    signature = header(headers, "x-webflow-signature")
    timestamp = header(headers, "x-webflow-timestamp")
    fresh(timestamp, unit=1000, tolerance=tolerance, now=now)
    if not any_match((sign_webflow(s, body, timestamp) for s in secret_list(secrets)), [signature]):
        raise SignatureError("signature does not match")


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    verify_webflow(secrets, body=body, headers=headers, now=now)


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    inner = as_dict(as_dict(item).get("payload"))
    key = TRIGGERS.get(event_type or "")
    return (key, pick(inner, outputs(SLUG, key))) if key else None


def _site_id(conn: Connection, values: dict[str, Any]) -> Any:
    site_id = values.get("site_id") or (conn.config or {}).get("site_id")
    if not site_id:
        raise InvalidInput(f"no Webflow site id: connection #{conn.id} has none; pass site_id")
    return site_id


def subscribe(session: Session, *, actor: str, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
              scope: str, requests: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if conn.auth_type != "oauth2":
        raise InvalidInput(f"Webflow connection #{conn.id} uses a site token: Webflow signs webhook deliveries "
                           "only for webhooks created by an OAuth app, so the Hub could not verify them. "
                           "Reconnect it with OAuth to subscribe.")
    if not apps.client_secret(SLUG, sandbox=conn.sandbox):
        raise InvalidInput("Webflow signs deliveries with the OAuth app's client secret, which the Hub needs to "
                           f"verify them: set {env_names(SLUG)[1]}")
    site_id = _site_id(conn, values)
    url = inbound_url(load_settings().base_url, SLUG, conn.id)
    session.commit()   # no transaction held while the provider is called (the client uses its own sessions)
    assert trigger.subscribe is not None
    path = request_path(trigger.subscribe, site_id=site_id)
    client, _, _ = connection_client(conn.id, mode="live", action=f"subscribe:{trigger.key}")
    hooks, created = [], 0
    with calling(client, requests, "Webflow refused the subscription"):
        existing = client.request("GET", path).json().get("webhooks") or []
        for event in trigger.events:
            body: dict[str, Any] = {"triggerType": event, "url": url}
            if values.get("form_name") and event == "form_submission":
                body["filter"] = {"name": values["form_name"]}
            found = next((w for w in existing if w.get("triggerType") == event and w.get("url") == url
                          and (w.get("filter") or None) == body.get("filter")), None)
            if found is None:
                found = client.request(trigger.subscribe.method, path, json=body).json()
                created += 1
            hooks.append(found)
    return ({"url": url, "siteId": site_id, "webhooks": hooks},
            {"url": url, "site_id": site_id, "webhooks": [h.get("id") for h in hooks], "created": created})


def unsubscribe(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
                requests: list[dict[str, Any]] | None) -> dict[str, Any]:
    # No OAuth or client-secret check as in subscribe: deleting needs only a token that may list the webhooks.
    site_id = _site_id(conn, values)
    url = inbound_url(load_settings().base_url, SLUG, conn.id)
    conn_id = conn.id
    session.commit()   # no transaction held while the provider is called (the client uses its own sessions)
    client = token_client(conn_id, f"unsubscribe:{trigger.key}", "Webflow", url)
    form = values.get("form_name")
    removed: list[str] = []
    assert trigger.subscribe is not None and trigger.unsubscribe is not None
    with calling(client, requests, "Webflow refused the unsubscription", removed):
        hooks = client.request("GET", request_path(trigger.subscribe, site_id=site_id)).json().get("webhooks") or []
        for hook in hooks:
            if hook.get("url") != url or hook.get("triggerType") not in trigger.events:
                continue
            if form and (hook.get("filter") or {}).get("name") != form:   # only that form's webhook when named
                continue
            if delete(client, trigger.unsubscribe, id=hook["id"]):
                removed.append(hook["id"])
    labels = [f"{h['triggerType']} webhook {h['id']}" for h in hooks if h.get("id") in removed]
    return {"url": url, "site_id": site_id, "removed": removed, "labels": labels}


def summary(resource: dict[str, Any]) -> str:
    hooks = resource.get("webhooks", [])
    return ", ".join(f"{h['triggerType']} webhook {h['id']}" for h in hooks) + f" → {resource.get('url')}"


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="Webflow's signature (HMAC-SHA256, x-webflow-signature)",
                                     verify=_verify, app_signed=True)},
    event_type=lambda payload, headers: payload.get("triggerType"),
    map_event=map_event,
    subscriber=Subscriber(
        subscribe=subscribe, unsubscribe=unsubscribe, summary=summary,
        note="Webflow signs webhooks created by an OAuth app only: site-token connections cannot subscribe."),
)
