"""Create a trigger's webhook subscription at the provider, pointing at the Hub's inbound URL, so that what the
provider then sends is verified and stored by ``/hooks/...`` (services/webhooks/inbound.py).

This module is the generic half: which triggers can be subscribed (a catalog ``subscribe`` request, and a provider
whose ``WebhookHooks.subscriber`` is set), the parameters a caller may give (the trigger's inputs minus what the
Hub fills, plus connection fields named in the subscribe path), the checks, and the audit. The provider's calls
are its ``Subscriber`` hooks, in ``services/providers/<slug>/webhooks.py``: Calendly (a subscription signed with
the connection's webhook secret), Webflow (site webhooks; OAuth connections only) and HubSpot (app-level: the
Hub's app target URL and subscriptions serve every portal, services/providers/hubspot/subscribe.py).

Every subscription is audited as ``webhook.subscribed`` (URL, events, provider ids; never a secret). A refusal
raises ``InvalidInput`` naming the provider and quoting its message (e.g. Webflow's 75-per-trigger limit); missing
app credentials or client secrets are named with the setting to fix.

``unsubscribe`` is the inverse: the provider's hook lists what the provider holds and deletes (the trigger's
catalog ``unsubscribe`` request) only what the Hub created for the connection and trigger (for an app-level
provider, for every install of the app: ``shared_by`` says whom it affects). Nothing left to delete is an empty
``removed``, not an error. Audited as ``webhook.unsubscribed``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Connection, Integration
from services.catalog import FieldSpec, load_catalog
from services.catalog.spec import placeholders
from services.core import audit
from services.core.errors import InvalidInput, NotFound
from services.runtime.executors.run import connection_client
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import ReauthRequired
from services.webhooks import hooks


def subscribable(service: str) -> list[str]:
    """Trigger keys of ``service`` that the Hub can subscribe to from a connection."""
    if hooks.subscriber(service) is None:
        return []
    return [t.key for t in load_catalog().get(service).triggers.values() if t.subscribe]


def parameters(service: str, trigger: str) -> dict[str, FieldSpec]:
    """What a caller may give when subscribing: the trigger's inputs (minus what the Hub fills) and connection
    fields named in the subscribe path (the connection's value is the default, e.g. Webflow ``site_id``)."""
    spec = load_catalog().get(service)
    trig = spec.triggers[trigger]
    sub = hooks.subscriber(service)
    filled = sub.hub_filled if sub else frozenset()
    out = {k: f for k, f in trig.inputs.items() if k not in filled}
    for name in sorted(placeholders(trig.subscribe.path if trig.subscribe else "")):
        if name in spec.connection_fields and name not in out:
            out[name] = spec.connection_fields[name].model_copy(
                update={"required": False, "description": f"Default: the connection's {name}"})
    return out


def _values(service: str, trigger: str, params: dict[str, Any] | None) -> dict[str, Any]:
    fields = parameters(service, trigger)
    unknown = sorted(set(params or {}) - set(fields))
    if unknown:
        raise InvalidInput(f"{service} {trigger!r} takes no parameter {', '.join(unknown)} "
                           f"(it takes: {', '.join(fields) or 'none'})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        value = (params or {}).get(name)
        if isinstance(value, str) and field.type == "array":
            value = [v.strip() for v in value.split(",") if v.strip()]
        values[name] = value if value not in (None, "", []) else field.default
    return values


def connection_service(session: Session, connection_id: int) -> str:
    """The integration slug of a connection (the CLI takes only the connection id)."""
    slug = session.scalar(select(Integration.slug).join(Connection, Connection.integration_id == Integration.id)
                          .where(Connection.id == connection_id))
    if slug is None:
        raise NotFound(f"connection {connection_id} not found")
    return slug


def _checked(session: Session, connection_id: int, service: str, trigger: str, verb: str) -> Connection:
    """The connection, once the trigger is one the Hub subscribes to and the connection is ``service``'s."""
    if trigger not in subscribable(service):
        raise InvalidInput(f"the Hub cannot {verb} {service} {trigger!r} yet")
    if connection_service(session, connection_id) != service:
        raise NotFound(f"connection {connection_id} is not a {service} connection")
    conn = session.get(Connection, connection_id)
    assert conn is not None
    return conn


def _subscriber(service: str) -> hooks.Subscriber:
    sub = hooks.subscriber(service)
    if sub is None:   # _checked refuses such a service first: subscribable() is empty without a subscriber
        raise InvalidInput(f"the Hub cannot subscribe to {service} webhooks")
    return sub


def subscribe(session: Session, *, actor: str, connection_id: int, service: str, trigger: str,
              scope: str = "user", params: dict[str, Any] | None = None,
              requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Create the subscription at the provider; returns the provider's resource (audited, no secret).

    ``params``: see ``parameters(service, trigger)``; ``scope`` is Calendly's (other providers ignore it). When
    ``requests`` is a list, the redacted HTTP exchanges are appended to it (contract tests, the CLI's
    --show-requests)."""
    conn = _checked(session, connection_id, service, trigger, "subscribe to")
    if conn.status == "revoked":
        raise InvalidInput(f"connection #{connection_id} is revoked")
    spec = load_catalog().get(service).triggers[trigger]
    values = _values(service, trigger, params)
    resource, detail = _subscriber(service).subscribe(session, actor=actor, conn=conn, trigger=spec, values=values,
                                                      scope=scope, requests=requests)
    audit.record(session, actor=actor, action="webhook.subscribed", entity_type="connection", entity_id=connection_id,
                 after={"service": service, "trigger": trigger, "events": list(spec.events), **detail})
    session.flush()
    return resource


def summary(service: str, resource: dict[str, Any]) -> str:
    """One line for the page and the CLI: what the provider now holds."""
    sub = hooks.subscriber(service)
    return sub.summary(resource) if sub else "created"


def unsubscribe(session: Session, *, actor: str, connection_id: int, service: str, trigger: str,
                params: dict[str, Any] | None = None,
                requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Delete at the provider the subscriptions the Hub created for this connection and trigger (audited).

    Returns ``{service, trigger, removed: [provider ids], labels, ...where}``; ``removed`` is empty when the
    provider holds none (a second call), which is not an error. ``params`` are subscribe's (Webflow ``site_id``
    and ``form_name``, HubSpot ``properties``). A revoked connection is not refused up front: an app-level
    provider's calls use the Hub's app key and still work; the others need the connection's token and say what to
    do (``token_client``)."""
    conn = _checked(session, connection_id, service, trigger, "unsubscribe from")
    spec = load_catalog().get(service).triggers[trigger]
    if spec.unsubscribe is None:
        raise InvalidInput(f"the catalog declares no unsubscribe request for {service} {trigger!r}")
    values = _values(service, trigger, params)
    result = _subscriber(service).unsubscribe(session, conn=conn, trigger=spec, values=values, requests=requests)
    result = {"service": service, "trigger": trigger, **result}
    audit.record(session, actor=actor, action="webhook.unsubscribed", entity_type="connection",
                 entity_id=connection_id, after=result)
    session.flush()
    return result


def shared_by(session: Session, connection_id: int, service: str) -> str | None:
    """Whom an unsubscribe affects besides the connection: for an app-level provider, every install of the app
    (None for the others, whose subscriptions are the connection's own)."""
    sub = hooks.subscriber(service)
    if sub is None or sub.shared_by is None:
        return None
    return sub.shared_by(session, session.get(Connection, connection_id))


def unsubscribe_summary(service: str, result: dict[str, Any]) -> str:
    """One line for the page and the CLI: what was removed, or that nothing was left to remove."""
    name = load_catalog().get(service).name
    sub = hooks.subscriber(service)
    where = sub.where(result) if sub else result["url"]
    if not result["removed"]:
        return f"nothing to remove: {name} holds no {result['trigger']} subscription of the Hub ({where})"
    if sub and sub.removed_note:
        where += f": {sub.removed_note}"
    return f"removed {len(result['removed'])} {name} subscription(s) ({where}): {', '.join(result['labels'])}"


def subscribe_note(service: str) -> str | None:
    """What to know before subscribing (shown beside the Subscribe button), or None."""
    sub = hooks.subscriber(service)
    return sub.note if sub else None


def token_client(conn_id: int, action: str, name: str, url: str) -> ProviderClient:
    """The connection's live client for listing and deleting its subscriptions; a connection whose token cannot
    work (revoked, needing reauth) becomes an ``InvalidInput`` saying what to do instead."""
    try:
        client, _, _ = connection_client(conn_id, mode="live", action=action)
    except ReauthRequired as exc:   # revoked or needing reauth: its token cannot list or delete anything
        raise InvalidInput(f"{exc}. Without a working token the Hub cannot list or delete its {name} "
                           f"subscriptions: reconnect first, or delete those pointing at {url} in {name}") from None
    return client
