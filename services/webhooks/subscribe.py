"""Create a trigger's webhook subscription at the provider, pointing at the Hub's inbound URL, so that what the
provider then sends is verified and stored by ``/hooks/...`` (services/webhooks/inbound.py).

- **Calendly** (``POST /webhook_subscriptions {url, events, organization, user, scope, signing_key}``, V:
  api-docs): the connection's inbound URL, the trigger's events, and the connection's current webhook secret as
  ``signing_key`` (created if missing), which Calendly then signs with.
- **Webflow** (``GET`` then ``POST /sites/{site_id}/webhooks {triggerType, url, filter?}``, V: webhooks.yml): the
  connection's inbound URL on its site (the ``site_id`` connection field, or the ``site_id`` parameter);
  ``filter.name`` from ``form_name`` (form_submission only). A webhook with the same trigger type, URL and filter
  is reused, not duplicated; Webflow allows 75 per trigger type per site. Webflow signs only webhooks created by
  an OAuth app, with the app's client secret (V: changelog "Webhook signatures"), so only OAuth connections can
  subscribe, and the Hub verifies with that client secret (services/webhooks/apps.py). A site-token connection
  is refused: its deliveries would arrive unsigned and fail verification.
- **HubSpot** (``services/webhooks/subscribe_hubspot.py``): app-level. HubSpot sends every portal's events to the
  app's one target URL, so the Hub points it at ``/hooks/hubspot/apps/<app id>``, which dispatches events by
  ``portalId`` to the connection(s) with that hub id; subscribing a connection makes sure the target URL and the
  trigger's subscriptions (active) exist, using the app id + developer API key the Hub keeps, and records the
  connection's hub id. Private-app connections are refused (their webhooks are set in HubSpot only).

Every subscription is audited as ``webhook.subscribed`` (URL, events, provider ids; never a secret). A refusal
raises ``InvalidInput`` naming the provider and quoting its message (e.g. Webflow's 75-per-trigger limit); missing
app credentials or client secrets are named with the setting to fix.

``unsubscribe`` is the inverse: it lists what the provider holds and deletes (the trigger's catalog
``unsubscribe`` request) only what the Hub created for the connection and trigger: Calendly subscriptions and
Webflow webhooks whose URL is the connection's inbound URL and whose events are the trigger's, and the HubSpot
app subscriptions that subscribe creates for the trigger (app-level: for every portal of the app). Nothing left
to delete is an empty ``removed``, not an error. Audited as ``webhook.unsubscribed``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Connection, Integration
from services.catalog import FieldSpec, TriggerSpec, load_catalog
from services.catalog.spec import placeholders
from services.connect.errors import ReauthRequired
from services.connect.oauth import env_names
from services.connect.webhook_secrets import live_webhook_secrets, rotate_webhook_secret
from services.core import audit
from services.core.config import load_settings
from services.core.errors import InvalidInput, NotFound
from services.runtime.executors.run import connection_client
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import AuthError
from services.webhooks import apps
from services.webhooks.inbound import inbound_url
from services.webhooks.provider_calls import calling, delete, request_path

SUPPORTED = ("calendly", "hubspot", "webflow")
HUB_FILLED = {"hubspot": {"app_id"}}   # subscribe inputs the Hub fills itself (the app id from its app settings)


def subscribable(service: str) -> list[str]:
    """Trigger keys of ``service`` that the Hub can subscribe to from a connection."""
    if service not in SUPPORTED:
        return []
    return [t.key for t in load_catalog().get(service).triggers.values() if t.subscribe]


def parameters(service: str, trigger: str) -> dict[str, FieldSpec]:
    """What a caller may give when subscribing: the trigger's inputs (minus what the Hub fills) and connection
    fields named in the subscribe path (the connection's value is the default, e.g. Webflow ``site_id``)."""
    spec = load_catalog().get(service)
    trig = spec.triggers[trigger]
    out = {k: f for k, f in trig.inputs.items() if k not in HUB_FILLED.get(service, set())}
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


def subscribe(session: Session, *, actor: str, connection_id: int, service: str, trigger: str,
              scope: str = "user", params: dict[str, Any] | None = None,
              requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Create the subscription at the provider; returns the provider's resource (audited, no secret).

    ``params``: see ``parameters(service, trigger)``; ``scope`` is Calendly's. When ``requests`` is a list, the
    redacted HTTP exchanges are appended to it (contract tests, the CLI's --show-requests)."""
    conn = _checked(session, connection_id, service, trigger, "subscribe to")
    if conn.status == "revoked":
        raise InvalidInput(f"connection #{connection_id} is revoked")
    spec = load_catalog().get(service).triggers[trigger]
    values = _values(service, trigger, params)
    if service == "hubspot":
        from services.webhooks import subscribe_hubspot

        resource, detail = subscribe_hubspot.subscribe(session, conn=conn, trigger=spec, values=values,
                                                       requests=requests)
    elif service == "webflow":
        resource, detail = _webflow(session, conn=conn, trigger=spec, values=values, requests=requests)
    else:
        resource, detail = _calendly(session, actor=actor, conn=conn, trigger=spec, scope=scope, requests=requests)
    audit.record(session, actor=actor, action="webhook.subscribed", entity_type="connection", entity_id=connection_id,
                 after={"service": service, "trigger": trigger, "events": list(spec.events), **detail})
    session.flush()
    return resource


def summary(service: str, resource: dict[str, Any]) -> str:
    """One line for the page and the CLI: what the provider now holds."""
    if service == "hubspot":
        subs = ", ".join(f"{s['eventType']}" + (f" ({s['propertyName']})" if s.get("propertyName") else "")
                         for s in resource.get("subscriptions", []))
        return f"app {resource['appId']} → {resource['targetUrl']}: {subs}"
    if service == "webflow":
        hooks = resource.get("webhooks", [])
        return ", ".join(f"{h['triggerType']} webhook {h['id']}" for h in hooks) + f" → {resource.get('url')}"
    return str(resource.get("uri") or "created")


def unsubscribe(session: Session, *, actor: str, connection_id: int, service: str, trigger: str,
                params: dict[str, Any] | None = None,
                requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Delete at the provider the subscriptions the Hub created for this connection and trigger (audited).

    Returns ``{service, trigger, removed: [provider ids], labels, ...where}``; ``removed`` is empty when the
    provider holds none (a second call), which is not an error. ``params`` are subscribe's (Webflow ``site_id``
    and ``form_name``, HubSpot ``properties``). A revoked connection is not refused up front: HubSpot's calls use
    the Hub's app key and still work; Calendly and Webflow need the connection's token and say what to do."""
    conn = _checked(session, connection_id, service, trigger, "unsubscribe from")
    spec = load_catalog().get(service).triggers[trigger]
    if spec.unsubscribe is None:
        raise InvalidInput(f"the catalog declares no unsubscribe request for {service} {trigger!r}")
    values = _values(service, trigger, params)
    if service == "hubspot":
        from services.webhooks import subscribe_hubspot

        result = subscribe_hubspot.unsubscribe(session, conn=conn, trigger=spec, values=values, requests=requests)
    elif service == "webflow":
        result = _webflow_unsubscribe(session, conn=conn, trigger=spec, values=values, requests=requests)
    else:
        result = _calendly_unsubscribe(session, conn=conn, trigger=spec, requests=requests)
    result = {"service": service, "trigger": trigger, **result}
    audit.record(session, actor=actor, action="webhook.unsubscribed", entity_type="connection",
                 entity_id=connection_id, after=result)
    session.flush()
    return result


def shared_by(session: Session, connection_id: int, service: str) -> str | None:
    """Whom an unsubscribe affects besides the connection: HubSpot's subscriptions are its app's, shared by every
    portal that installed it (None for the other providers, whose subscriptions are the connection's own)."""
    if service != "hubspot":
        return None
    conn = session.get(Connection, connection_id)
    app = apps.get_app(session, "hubspot", sandbox=bool(conn and conn.sandbox))
    return f"every portal of app {app.app_id}" if app else "every portal of the Hub's HubSpot app"


def unsubscribe_summary(service: str, result: dict[str, Any]) -> str:
    """One line for the page and the CLI: what was removed, or that nothing was left to remove."""
    name = load_catalog().get(service).name
    where = f"app {result['appId']}" if service == "hubspot" else result["url"]
    if not result["removed"]:
        return f"nothing to remove: {name} holds no {result['trigger']} subscription of the Hub ({where})"
    if service == "hubspot":
        where += ": this affects every portal connected to the app"
    return f"removed {len(result['removed'])} {name} subscription(s) ({where}): {', '.join(result['labels'])}"


def _token_client(conn_id: int, action: str, name: str, url: str) -> ProviderClient:
    try:
        client, _, _ = connection_client(conn_id, mode="live", action=action)
    except ReauthRequired as exc:   # revoked or needing reauth: its token cannot list or delete anything
        raise InvalidInput(f"{exc}. Without a working token the Hub cannot list or delete its {name} "
                           f"subscriptions: reconnect first, or delete those pointing at {url} in {name}") from None
    return client


def _calendly_hooks(client: ProviderClient, me: dict[str, Any]) -> list[dict[str, Any]]:
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


def _calendly_unsubscribe(session: Session, *, conn: Connection, trigger: TriggerSpec,
                          requests: list[dict[str, Any]] | None) -> dict[str, Any]:
    url = inbound_url(load_settings().base_url, "calendly", conn.id)
    conn_id = conn.id
    session.commit()   # no transaction held while the provider is called (the client uses its own sessions)
    client = _token_client(conn_id, f"unsubscribe:{trigger.key}", "Calendly", url)
    removed: list[str] = []
    labels: list[str] = []
    assert trigger.unsubscribe is not None
    with calling(client, requests, "Calendly refused the unsubscription", removed):
        me = client.request("GET", "/users/me").json()["resource"]
        for hook in _calendly_hooks(client, me):
            # One Calendly subscription may carry several triggers' events (one per URL and user): any overlap.
            if hook.get("callback_url") != url or not set(hook.get("events") or ()) & set(trigger.events):
                continue
            ident = str(hook["uri"]).rsplit("/", 1)[-1]
            if delete(client, trigger.unsubscribe, id=ident):
                removed.append(ident)
                labels.append(f"{', '.join(hook['events'])} ({hook.get('scope')}) {ident}")
    return {"url": url, "removed": removed, "labels": labels}


def _calendly(session: Session, *, actor: str, conn: Connection, trigger: TriggerSpec, scope: str,
              requests: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    secrets = live_webhook_secrets(session, conn.id)
    secret = secrets[0] if secrets else rotate_webhook_secret(session, actor=actor, connection_id=conn.id)
    # Commit the secret before the provider holds it: the provider must never sign with a key the Hub lost
    # to a later rollback (and the connection's client reads in its own session).
    session.commit()
    url = inbound_url(load_settings().base_url, "calendly", conn.id)
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


def _webflow(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
             requests: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if conn.auth_type != "oauth2":
        raise InvalidInput(f"Webflow connection #{conn.id} uses a site token: Webflow signs webhook deliveries "
                           "only for webhooks created by an OAuth app, so the Hub could not verify them. "
                           "Reconnect it with OAuth to subscribe.")
    if not apps.client_secret("webflow", sandbox=conn.sandbox):
        raise InvalidInput("Webflow signs deliveries with the OAuth app's client secret, which the Hub needs to "
                           f"verify them: set {env_names('webflow')[1]}")
    site_id = _site_id(conn, values)
    url = inbound_url(load_settings().base_url, "webflow", conn.id)
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


def _site_id(conn: Connection, values: dict[str, Any]) -> Any:
    site_id = values.get("site_id") or (conn.config or {}).get("site_id")
    if not site_id:
        raise InvalidInput(f"no Webflow site id: connection #{conn.id} has none; pass site_id")
    return site_id


def _webflow_unsubscribe(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
                         requests: list[dict[str, Any]] | None) -> dict[str, Any]:
    # No OAuth or client-secret check as in subscribe: deleting needs only a token that may list the webhooks.
    site_id = _site_id(conn, values)
    url = inbound_url(load_settings().base_url, "webflow", conn.id)
    conn_id = conn.id
    session.commit()   # no transaction held while the provider is called (the client uses its own sessions)
    client = _token_client(conn_id, f"unsubscribe:{trigger.key}", "Webflow", url)
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
