"""Calendly's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): its signature, event mapping and the
Subscribe action.

- **Signature**: header ``Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>``, hex(HMAC-SHA256(signing key,
  t + "." + body)) (V: webhooks overview). The signing key is the connection's webhook secret, given to Calendly
  when subscribing.
- **Deliveries**: ``{"event", "created_at", "payload": {invitee}}`` (V).
- **Subscribe** (``POST /webhook_subscriptions {url, events, organization, user, scope, signing_key}``, V:
  api-docs): the connection's inbound URL, the trigger's events, and the connection's current webhook secret as
  ``signing_key`` (created if missing), which Calendly then signs with. **Unsubscribe** deletes the user's and
  the organization's subscriptions whose URL is the connection's inbound URL and whose events overlap the
  trigger's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.models import Connection
from services.catalog import TriggerSpec
from services.connect.signatures import DEFAULT_TOLERANCE, sign_timestamped, verify_timestamped
from services.connect.webhook_secrets import live_webhook_secrets, rotate_webhook_secret
from services.core.config import load_settings
from services.providers.calendly import SLUG
from services.runtime.executors.run import connection_client
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import AuthError
from services.webhooks.hooks import Mapped, SignatureScheme, Subscriber, WebhookHooks
from services.webhooks.inbound import inbound_url
from services.webhooks.provider_calls import calling, delete
from services.webhooks.subscribe import token_client
from services.webhooks.triggers import as_dict, outputs, pick

SCHEME = "calendly"


def sign_calendly(secret: str, body: bytes, timestamp: str) -> str:
    return sign_timestamped(secret, body, timestamp)


def verify_calendly(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                   tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    verify_timestamped(secrets, body=body, headers=headers, header_name="Calendly-Webhook-Signature",
                       tolerance=tolerance, now=now)


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    verify_calendly(secrets, body=body, headers=headers, now=now)


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    invitee = as_dict(as_dict(item).get("payload"))
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
    out = pick(invitee, outputs(SLUG, key))
    out["rescheduled"] = bool(invitee.get("rescheduled"))
    return key, out


def list_subscriptions(client: ProviderClient, me: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's and the organization's webhook subscriptions (``organization`` is always required, ``user``
    with scope user; V: Calendly list reference), every page."""
    hooks: list[dict[str, Any]] = []
    for scope in ("user", "organization"):
        params = {"organization": me["current_organization"], "scope": scope, "count": 100,
                  "user": me["uri"] if scope == "user" else None}
        while True:
            try:
                page = client.request("GET", "/webhook_subscriptions", params=params).json()
            except AuthError as exc:
                # Organization scope is for org admins and owners: a user who may not list them could not have
                # created one either, so there is nothing of the Hub's to find there.
                if scope == "organization" and exc.status == 403:
                    break
                raise
            hooks += page.get("collection") or []
            params["page_token"] = (page.get("pagination") or {}).get("next_page_token")
            if not params["page_token"]:
                break
    return hooks


def subscribe(session: Session, *, actor: str, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
              scope: str, requests: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    secrets = live_webhook_secrets(session, conn.id)
    secret = secrets[0] if secrets else rotate_webhook_secret(session, actor=actor, connection_id=conn.id)
    # Commit the secret before the provider holds it: the provider must never sign with a key the Hub lost
    # to a later rollback (and the connection's client reads in its own session).
    session.commit()
    url = inbound_url(load_settings().base_url, SLUG, conn.id)
    client, _, _ = connection_client(conn.id, mode="live", action=f"subscribe:{trigger.key}")
    with calling(client, requests, "Calendly refused the subscription"):
        me = client.request("GET", "/users/me").json()["resource"]
        body = {"url": url, "events": list(trigger.events), "organization": me["current_organization"],
                "scope": scope, "signing_key": secret}
        if scope == "user":
            body["user"] = me["uri"]
        assert trigger.subscribe is not None
        resource = client.request(trigger.subscribe.method, trigger.subscribe.path, json=body).json()["resource"]
    return resource, {"url": url, "subscription": resource.get("uri")}


def unsubscribe(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
                requests: list[dict[str, Any]] | None) -> dict[str, Any]:
    url = inbound_url(load_settings().base_url, SLUG, conn.id)
    conn_id = conn.id
    session.commit()   # no transaction held while the provider is called (the client uses its own sessions)
    client = token_client(conn_id, f"unsubscribe:{trigger.key}", "Calendly", url)
    removed: list[str] = []
    labels: list[str] = []
    assert trigger.unsubscribe is not None
    with calling(client, requests, "Calendly refused the unsubscription", removed):
        me = client.request("GET", "/users/me").json()["resource"]
        for hook in list_subscriptions(client, me):
            # One Calendly subscription may carry several triggers' events (one per URL and user): any overlap.
            if hook.get("callback_url") != url or not set(hook.get("events") or ()) & set(trigger.events):
                continue
            ident = str(hook["uri"]).rsplit("/", 1)[-1]
            if delete(client, trigger.unsubscribe, id=ident):
                removed.append(ident)
                labels.append(f"{', '.join(hook['events'])} ({hook.get('scope')}) {ident}")
    return {"url": url, "removed": removed, "labels": labels}


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="Calendly's signature (HMAC-SHA256, Calendly-Webhook-Signature)",
                                     verify=_verify)},
    event_type=lambda payload, headers: payload.get("event"),
    map_event=map_event,
    subscriber=Subscriber(subscribe=subscribe, unsubscribe=unsubscribe,
                          summary=lambda resource: str(resource.get("uri") or "created")),
)
