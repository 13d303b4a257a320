"""Create a trigger's webhook subscription at the provider, pointing at the connection's inbound URL and
signed with the connection's webhook secret.

Supported: Calendly (``POST /webhook_subscriptions {url, events, organization, user, scope,
signing_key}``, V: api-docs; the signing key is the connection's current webhook secret, created if
missing). Not yet: HubSpot (app-level: the target URL is an app setting and subscriptions are made with
the developer account's credentials, not a customer connection) and Webflow (``POST
/sites/{site_id}/webhooks {triggerType, url}``; the sandbox has no webhook endpoint to test against).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.catalog import load_catalog
from services.config import load_settings
from services.credentials.webhook_secrets import live_webhook_secrets, rotate_webhook_secret
from services.errors import InvalidInput
from services.executors.run import connection_client
from services.provider_errors import IntegrationError
from services.webhooks.inbound import inbound_url

SUPPORTED = ("calendly",)


def subscribable(service: str) -> list[str]:
    """Trigger keys of ``service`` that the Hub can subscribe to from a connection."""
    if service not in SUPPORTED:
        return []
    return [t.key for t in load_catalog().get(service).triggers.values() if t.subscribe]


def subscribe(session: Session, *, actor: str, connection_id: int, service: str, trigger: str,
              scope: str = "user") -> dict[str, Any]:
    """Create the subscription at the provider; returns the provider's resource (audited, no secret)."""
    if trigger not in subscribable(service):
        raise InvalidInput(f"the Hub cannot subscribe to {service} {trigger!r} yet")
    spec = load_catalog().get(service).triggers[trigger]
    secrets = live_webhook_secrets(session, connection_id)
    secret = secrets[0] if secrets else rotate_webhook_secret(session, actor=actor, connection_id=connection_id)
    # Commit the secret before the provider holds it: the provider must never sign with a key the Hub lost
    # to a later rollback (and the connection's client reads in its own session).
    session.commit()
    url = inbound_url(load_settings().base_url, service, connection_id)
    client, _, _ = connection_client(connection_id, mode="live", action=f"subscribe:{trigger}")
    try:
        me = client.request("GET", "/users/me").json()["resource"]
        body = {"url": url, "events": list(spec.events), "organization": me["current_organization"],
                "scope": scope, "signing_key": secret}
        if scope == "user":
            body["user"] = me["uri"]
        assert spec.subscribe is not None
        resource = client.request(spec.subscribe.method, spec.subscribe.path, json=body).json()["resource"]
    except IntegrationError as exc:
        raise InvalidInput(f"{service} refused the subscription: {exc}") from None
    finally:
        client.close()
    audit.record(session, actor=actor, action="webhook.subscribed", entity_type="connection", entity_id=connection_id,
                 after={"service": service, "trigger": trigger, "events": list(spec.events), "url": url,
                        "subscription": resource.get("uri")})
    session.flush()
    return resource
