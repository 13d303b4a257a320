"""HubSpot's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): the v3 signature, batched deliveries, event
mapping, app-level routing and the Subscribe action (services/providers/hubspot/subscribe.py).

- **Signature v3** (V: changelog + validating requests page): base64(HMAC-SHA256(client_secret, method + uri +
  body + timestamp)), timestamp in milliseconds in X-HubSpot-Request-Timestamp; reject older than 5 minutes. The
  URI is the full URL with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded (HubSpot's table of characters
  to decode; B: from memory of that page). HubSpot signs with the OAuth app's client secret (app-signed).
- **Deliveries** are a JSON array of up to 100 events ``[{eventId, subscriptionType, objectId, propertyName,
  propertyValue, portalId, occurredAt}]`` (V).
- **App-level**: webhooks belong to the Hub's (legacy) public app, not to a customer's connection: one target URL
  per app and one set of subscriptions per app, for every portal that installed it (V: developers.hubspot.com
  webhooks guide, "configured for a public app, not individual accounts"), managed with the app developer
  account's API key (``hapikey``). The app route ``/hooks/hubspot/apps/<app id>`` stores each event on the
  connection(s) whose hub id is the event's ``portalId``. Set the app with ``layers-hub webhooks app set hubspot
  --app-id ID --developer-key-stdin [--sandbox]``; ``seed --demo`` gives the sandbox app obviously fake values.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.models import Connection
from services.connect.signatures import (
    DEFAULT_TOLERANCE,
    SignatureError,
    any_match,
    fresh,
    header,
    hmac_sha256,
    secret_list,
)
from services.core.errors import InvalidInput
from services.providers.hubspot import SLUG
from services.providers.hubspot import subscribe as app_subscribe
from services.webhooks import apps
from services.webhooks.hooks import AppWebhooks, Event, Mapped, SignatureScheme, Subscriber, WebhookHooks
from services.webhooks.triggers import as_dict, outputs, pick

SCHEME = "hubspot_v3"
_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
           "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def hubspot_uri(uri: str) -> str:
    for encoded, char in _DECODE.items():
        uri = uri.replace(encoded, char).replace(encoded.lower(), char)
    return uri


def sign_hubspot_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac_sha256(secret.encode(), message)).decode()


def verify_hubspot_v3(secrets: str | Iterable[str], *, method: str, uri: str, body: bytes,
                      headers: Mapping[str, str], tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    signature = header(headers, "X-HubSpot-Signature-v3")
    timestamp = header(headers, "X-HubSpot-Request-Timestamp")
    fresh(timestamp, unit=1000, tolerance=tolerance, now=now)
    if not any_match((sign_hubspot_v3(s, method, uri, body, timestamp) for s in secret_list(secrets)), [signature]):
        raise SignatureError("signature does not match")


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    verify_hubspot_v3(secrets, method=method, uri=url, body=body, headers=headers, now=now)


def split(payload: Any, headers: Mapping[str, str]) -> list[Event]:
    """One event per element of the batch (a single object is a batch of one); the id is the ``eventId``."""
    items = payload if isinstance(payload, list) else [payload]
    return [(str(i.get("subscriptionType")) if isinstance(i, dict) and i.get("subscriptionType") else None,
             str(i["eventId"]) if isinstance(i, dict) and i.get("eventId") is not None else None, i)
            for i in items]


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    item = as_dict(item)
    if event_type in ("contact.creation", "contact.propertyChange"):
        key = "contact_created_updated"
    elif event_type == "deal.propertyChange" and item.get("propertyName") == "dealstage":
        key = "deal_stage_changed"
    else:
        return None
    return key, pick(item, outputs(SLUG, key))


def check_app_id(app_id: str) -> str:
    if not re.fullmatch(r"\d{1,10}", app_id) or int(app_id) > 2**31 - 1:   # V: appId is int32 in the v3 spec
        raise InvalidInput("the HubSpot app id is a number (Developer account → Apps → the app's App ID)")
    return app_id


def portal_of_event(item: Any) -> str | None:
    return item.get("portalId") if isinstance(item, dict) else None


def portal_of_connection(conn: Connection) -> str | None:
    """The hub id the connection learned from the token response or at Subscribe."""
    return (conn.provider_metadata or {}).get("hub_id") or (conn.config or {}).get("hub_id")


def sandbox_app_id() -> str:
    # Imported here, on the demo seeding path only: the sandbox add-on registers its routes when imported.
    from services.providers.hubspot import sandbox_webhooks  # noqa: PLC0415 (importing it registers its routes)

    return str(sandbox_webhooks.app_id("demo"))


def _subscribe(session: Session, *, actor: str, conn: Connection, trigger: Any, values: dict[str, Any],
               scope: str, requests: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    return app_subscribe.subscribe(session, conn=conn, trigger=trigger, values=values, requests=requests)


def summary(resource: dict[str, Any]) -> str:
    subs = ", ".join(f"{s['eventType']}" + (f" ({s['propertyName']})" if s.get("propertyName") else "")
                     for s in resource.get("subscriptions", []))
    return f"app {resource['appId']} → {resource['targetUrl']}: {subs}"


def shared_by(session: Session, conn: Connection | None) -> str:
    """HubSpot's subscriptions are its app's, shared by every portal that installed it."""
    app = apps.get_app(session, SLUG, sandbox=bool(conn and conn.sandbox))
    return f"every portal of app {app.app_id}" if app else "every portal of the Hub's HubSpot app"


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="HubSpot's v3 signature (HMAC-SHA256, X-HubSpot-Signature-v3)",
                                     verify=_verify, app_signed=True)},
    split=split,
    map_event=map_event,
    app=AppWebhooks(check_app_id=check_app_id, event_account=portal_of_event,
                    connection_account=portal_of_connection, sandbox_app_id=sandbox_app_id),
    subscriber=Subscriber(
        subscribe=_subscribe, unsubscribe=app_subscribe.unsubscribe, summary=summary,
        where=lambda result: f"app {result['appId']}", removed_note="this affects every portal connected to the app",
        shared_by=shared_by, hub_filled=frozenset({"app_id"}),   # the app id comes from the Hub's app settings
        note="HubSpot webhooks belong to the Hub's HubSpot app: this points the app's one target URL at the Hub "
             "and subscribes **every portal that installed the app**; each event is stored on the connection of "
             "its portal."),
)
