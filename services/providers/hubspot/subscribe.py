"""HubSpot app-level webhooks for the Subscribe action (its ``Subscriber`` hook, services/providers/hubspot/webhooks.py,
called by services/webhooks/subscribe.py).

HubSpot webhooks belong to the Hub's public app, not to a connection: one target URL per app, one set of
subscriptions per app, and every portal that installed the app through OAuth has its events sent there (V:
developers.hubspot.com webhooks guide; legacy public apps only, V: 2026-03 guide). Subscribing a connection:

1. needs the app's id and developer API key (``services/webhooks/apps.py``; sandbox connections use the sandbox
   app) and an OAuth connection: a private app's webhooks are set in HubSpot only (V: webhooks guide);
2. learns the connection's portal (hub) id when it does not know it yet (``GET /account-info/v3/details`` →
   ``portalId``) and keeps it in ``provider_metadata.hub_id``: the app route maps events to connections by it;
3. points the app's target URL at the Hub's app route ``/hooks/hubspot/apps/<app id>`` (``GET``, then only if
   different ``PUT /webhooks/v3/{appId}/settings {targetUrl, throttling}``; the previous URL is audited);
4. makes sure each wanted subscription exists and is active (``GET``, then ``POST /webhooks/v3/{appId}/subscriptions
   {eventType, propertyName?, active: true}`` or ``PATCH .../subscriptions/{id} {active: true}``); a
   ``*.propertyChange`` event is one subscription per property (the trigger's ``properties``).

For multi-portal apps this means: subscribing one connection subscribes **every** portal of the app; the app
route stores each event on the connection(s) of its ``portalId`` and drops (200) events of portals without one.
Likewise unsubscribing deletes the trigger's subscriptions (``DELETE /webhooks/v3/{appId}/subscriptions/{id}``,
204; V: Webhooks v3) for every portal; the target URL is left as is (other triggers may still use it).
HubSpot caches webhook settings for up to five minutes (V: webhooks overview), so a new target URL may take that
long to apply. Every call carries ``?hapikey=<developer API key>`` (securityScheme ``developer_hapikey``), which
the HTTP layer redacts from errors, exchanges and the API call log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import Connection
from services.catalog import TriggerSpec, load_catalog
from services.connect.outbound import Outbound
from services.core.config import load_settings
from services.core.errors import InvalidInput
from services.runtime import http
from services.runtime.call_log import call_log
from services.runtime.executors.run import connection_client
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import AuthError, NotFoundError
from services.webhooks import apps
from services.webhooks.inbound import app_url, inbound_url
from services.webhooks.provider_calls import calling, delete, request_path

SETTINGS_PATH = "/webhooks/v3/{app_id}/settings"   # V: specs/hubspot Webhooks v3
CONCURRENCY = 10   # B: HubSpot's default maxConcurrentRequests; an existing app setting is kept


def app_client(app: apps.AppCredentials, *, integration_id: int, action: str) -> ProviderClient:
    """A ProviderClient for the developer API (``hapikey``), not tied to a connection (call log: no connection)."""
    spec = load_catalog().get("hubspot")
    auth = http.QueryAuth("hapikey", app.developer_api_key)
    return ProviderClient(spec=spec, base_url=spec.base_url or "", auth=auth,
                          integration_id=integration_id, connection_id=None, account_key=f"hubspot:app:{app.app_id}",
                          mode="live", action=action, secrets={"developer_api_key": app.developer_api_key},
                          sandbox_connection=app.sandbox, out=Outbound(), log=call_log())


def _wanted(trigger: TriggerSpec, values: dict[str, Any]) -> list[tuple[str, str | None]]:
    wanted: list[tuple[str, str | None]] = []
    for event in trigger.events:
        if event.endswith(".propertyChange"):
            properties = values.get("properties") or []
            if not properties:
                raise InvalidInput(f"{event} is subscribed per property: pass at least one in properties")
            wanted += [(event, str(p)) for p in properties]
        else:
            wanted.append((event, None))
    return wanted


def _portal(conn_id: int, known: Any, action: str, requests: list[dict[str, Any]] | None) -> Any:
    if known is not None:
        return known
    client, _, _ = connection_client(conn_id, mode="live", action=action)
    with calling(client, requests, "HubSpot refused the connection's account lookup (portal id)"):
        return client.request("GET", "/account-info/v3/details").json().get("portalId")


def _app_for(session: Session, conn: Connection) -> apps.AppCredentials:
    """The Hub's HubSpot app serving an OAuth connection (a private app's webhooks are not the Hub's to manage)."""
    if conn.auth_type != "oauth2":
        raise InvalidInput(f"HubSpot connection #{conn.id} uses a private-app token: a private app's webhooks can "
                           "only be set in HubSpot (the private app's settings, Webhooks), not through the API. "
                           f"Point them at {inbound_url(load_settings().base_url, 'hubspot', conn.id)}")
    kind = "sandbox" if conn.sandbox else "production"
    app = apps.get_app(session, "hubspot", sandbox=conn.sandbox)
    if app is None:
        raise InvalidInput(f"the Hub's HubSpot app ({kind}) is not set: run `layers-hub webhooks app set hubspot "
                           f"--app-id ID --developer-key-stdin{' --sandbox' if conn.sandbox else ''}` with the "
                           "public app's id and its developer account's API key")
    return app


def _key_refused(exc: AuthError) -> InvalidInput:
    return InvalidInput(f"HubSpot refused the app's developer API key: {exc}. Update it with `layers-hub "
                        "webhooks app set hubspot`")


def subscribe(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
              requests: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Point the app at the Hub and make sure the trigger's subscriptions are active; (resource, audit detail)."""
    base = load_settings().base_url
    app = _app_for(session, conn)
    wanted = _wanted(trigger, values)
    conn_id, integration_id = conn.id, conn.integration_id
    known = (conn.provider_metadata or {}).get("hub_id") or (conn.config or {}).get("hub_id")
    session.commit()   # no transaction held while HubSpot is called (the connection's client has its own sessions)
    action = f"subscribe:{trigger.key}"
    portal = _portal(conn_id, known, action, requests)
    target = app_url(base, "hubspot", app.app_id)
    settings_path = SETTINGS_PATH.format(app_id=app.app_id)
    assert trigger.subscribe is not None
    subs_path = request_path(trigger.subscribe, app_id=app.app_id)
    client = app_client(app, integration_id=integration_id, action=action)
    subscriptions, created = [], []
    with calling(client, requests, "HubSpot refused the subscription"):
        try:
            try:
                settings = client.request("GET", settings_path).json()
            except NotFoundError:   # B: an app without settings answers 404
                settings = None
            previous = (settings or {}).get("targetUrl")
            if previous != target:
                concurrency = ((settings or {}).get("throttling") or {}).get("maxConcurrentRequests") or CONCURRENCY
                client.request("PUT", settings_path, json={"targetUrl": target,
                                                           "throttling": {"maxConcurrentRequests": concurrency}})
            existing = client.request("GET", subs_path).json().get("results") or []
            for event, prop in wanted:
                found = next((s for s in existing
                              if s.get("eventType") == event and s.get("propertyName") == prop), None)
                if found is None:
                    body: dict[str, Any] = {"eventType": event, "active": True}
                    if prop:
                        body["propertyName"] = prop
                    found = client.request(trigger.subscribe.method, subs_path, json=body).json()
                    created.append(found.get("id"))
                elif not found.get("active"):
                    found = client.request("PATCH", f"{subs_path}/{found['id']}", json={"active": True}).json()
                subscriptions.append(found)
        except AuthError as exc:
            raise _key_refused(exc) from None
    if known is None and portal is not None:
        row = session.get(Connection, conn_id)
        assert row is not None
        row.provider_metadata = {**(row.provider_metadata or {}), "hub_id": portal}
    resource = {"appId": app.app_id, "targetUrl": target, "previousTargetUrl": previous, "portalId": portal,
                "subscriptions": subscriptions}
    detail = {"url": target, "app_id": app.app_id, "previous_target": previous, "portal_id": portal,
              "subscriptions": [s.get("id") for s in subscriptions], "created": created}
    return resource, detail


def unsubscribe(session: Session, *, conn: Connection, trigger: TriggerSpec, values: dict[str, Any],
                requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Delete the app's subscriptions that ``subscribe`` creates for the trigger (same eventType and
    propertyName), whichever portal asked for them: app-level, so every portal of the app stops receiving them.

    Needs the app's developer key only, not the connection's token (a revoked connection may unsubscribe)."""
    app = _app_for(session, conn)
    wanted = set(_wanted(trigger, values))
    integration_id = conn.integration_id
    session.commit()   # no transaction held while HubSpot is called
    assert trigger.subscribe is not None and trigger.unsubscribe is not None
    subs_path = request_path(trigger.subscribe, app_id=app.app_id)
    client = app_client(app, integration_id=integration_id, action=f"unsubscribe:{trigger.key}")
    removed: list[str] = []
    labels: list[str] = []
    with calling(client, requests, "HubSpot refused the unsubscription", removed):
        try:
            for sub in client.request("GET", subs_path).json().get("results") or []:
                if (sub.get("eventType"), sub.get("propertyName")) not in wanted:
                    continue
                if delete(client, trigger.unsubscribe, app_id=app.app_id, id=sub["id"]):
                    removed.append(str(sub["id"]))
                    prop = f" ({sub['propertyName']})" if sub.get("propertyName") else ""
                    labels.append(f"{sub['eventType']}{prop} #{sub['id']}")
        except AuthError as exc:
            raise _key_refused(exc) from None
    return {"appId": app.app_id, "allPortals": True, "removed": removed, "labels": labels}
