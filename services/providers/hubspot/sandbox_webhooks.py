"""HubSpot sandbox: app-level webhooks (Webhooks v3, ``specs/hubspot/Webhooks_Webhooks__v3_webhooks.json``) and
their deliveries.

Served under ``/sandbox/hubspot/api`` (= https://api.hubapi.com), authenticated with the app developer account's
API key in the ``hapikey`` query parameter (securityScheme ``developer_hapikey``; V: legacy webhooks reference).
A key follows the sandbox rule (``sbx_<developer account>...``); the developer account ``acme`` owns one app,
``app_id("acme")``. Every request is checked against the official OpenAPI file (``openapi.py``) and answered
with HubSpot's error body:
  GET/PUT/DELETE /webhooks/v3/{appId}/settings                   target URL + throttling (one per app, V)
  GET/POST       /webhooks/v3/{appId}/subscriptions              201 on create; ``active`` defaults to false (V)
  GET/PATCH/DELETE /webhooks/v3/{appId}/subscriptions/{subscriptionId}
Sandbox rules marked B: the target URL must be https (http only on loopback), ``maxConcurrentRequests`` at
least 5, a ``*.propertyChange`` subscription needs ``propertyName`` (and only those take one), one subscription
per (eventType, propertyName).

Deliveries (``fire``; sandbox only ``POST /sandbox/hubspot/_events {appId, account, events}``): the events of
one portal (sandbox account) go, in batches of up to 100 (JSON array), to the app's target URL when an active
subscription matches, signed like HubSpot v3 with the app's client secret (``X-HubSpot-Signature-v3`` =
base64 HMAC-SHA256 of method + URL + body + timestamp, ``X-HubSpot-Request-Timestamp`` in ms; V). The
sandbox's app is the public test client, whose secret is ``sbx_secret_hubspot`` (docs/credentials.md).
Deliveries go through ``services/sandbox/deliveries.py`` (the Hub's own /hooks/ URLs only).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.providers.hubspot import sandbox as hs
from services.sandbox import deliveries
from services.sandbox.api import query_key
from services.sandbox.store import AccountStore, State, next_id

CLIENT_SECRET = "sbx_secret_hubspot"   # the sandbox app = the public test client
BATCH = 100                            # V: HubSpot sends up to 100 events per request
MIN_CONCURRENCY = 5                    # B
DEV = AccountStore("hubspot-developer", lambda account: {"apps": {}})


def app_id(developer_account: str) -> int:
    """The id of the one app a sandbox developer account owns (an int32, like HubSpot's)."""
    return 1_000_000 + int(hashlib.sha256(f"{developer_account}:app".encode()).hexdigest()[:6], 16) % 9_000_000


def state(developer_account: str) -> State:
    """Deep copy of a sandbox developer account's apps (tests)."""
    return DEV.snapshot(developer_account)


def _iso(ts: float) -> str:
    return hs._iso(ts)


def _app(data: State, app: int) -> dict[str, Any]:
    return data["apps"].setdefault(str(app), {"settings": None, "subscriptions": {}, "deliveries": [],
                                              "events": 0})


def _invalid_key() -> Response:
    # Error schema is V (spec); the wording is B.
    return JSONResponse({"status": "error", "message": "The API key provided is invalid. View or manage your API "
                         "key here: https://app.hubspot.com/l/api-key/", "correlationId": str(uuid.uuid4()),
                         "category": "INVALID_AUTHENTICATION"}, status_code=401)


# The HubSpot API's plumbing (fault switches, JSON parsing, the OpenAPI check, the correlation header) with the
# developer key in ``hapikey``; its routes join the HubSpot sandbox's.
API = hs.API.but(auth=query_key("hapikey"), refuse=lambda request: _invalid_key())
Handler = Callable[[Request, dict[str, Any], Any], Response]


def _in_app(handler: Handler) -> Callable[[Request, str, Any], Awaitable[Response]]:
    """The handler with the state of the app the URL names, which the developer account must own."""
    @functools.wraps(handler)
    async def owned(request: Request, account: str, body: Any) -> Response:
        wanted = int(request.path_params["app_id"])
        if wanted != app_id(account):   # B: status and wording for an app of another developer account
            return hs._error(404, "OBJECT_NOT_FOUND", f"App {wanted} not found for this developer account")
        with DEV.use(account) as data:
            return handler(request, _app(data, wanted), body)
    return owned


_BASE = "/api/webhooks/v3/{app_id}"   # no int converter: the OpenAPI check answers a bad id


# --------------------------------------------------------------------------- settings
def _settings_view(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: settings[k] for k in ("createdAt", "targetUrl", "throttling", "updatedAt")}


@API.route(f"{_BASE}/settings", ["GET"])
@_in_app
def get_settings(request: Request, app: dict[str, Any], body: Any) -> Response:
    if app["settings"] is None:
        return hs._error(404, "OBJECT_NOT_FOUND", "No webhook settings found for this app")   # B
    return JSONResponse(_settings_view(app["settings"]))


@API.route(f"{_BASE}/settings", ["PUT"])
@_in_app
def put_settings(request: Request, app: dict[str, Any], body: Any) -> Response:
    target = urlsplit(body["targetUrl"])
    loopback = target.hostname in deliveries.LOOPBACK
    if not target.netloc or not (target.scheme == "https" or (target.scheme == "http" and loopback)):
        return hs._error(400, "VALIDATION_ERROR", "targetUrl must be an https URL")   # B
    concurrency = body["throttling"]["maxConcurrentRequests"]
    if concurrency < MIN_CONCURRENCY:
        return hs._error(400, "VALIDATION_ERROR", f"maxConcurrentRequests must be at least {MIN_CONCURRENCY}")  # B
    now = _iso(hs._now())
    created = app["settings"]["createdAt"] if app["settings"] else now
    app["settings"] = {"createdAt": created, "updatedAt": now, "targetUrl": body["targetUrl"],
                       "throttling": {"maxConcurrentRequests": concurrency}}
    return JSONResponse(_settings_view(app["settings"]))


@API.route(f"{_BASE}/settings", ["DELETE"])
@_in_app
def delete_settings(request: Request, app: dict[str, Any], body: Any) -> Response:
    app["settings"] = None
    return Response(status_code=204)


# --------------------------------------------------------------------------- subscriptions
@API.route(f"{_BASE}/subscriptions", ["GET"])
@_in_app
def list_subscriptions(request: Request, app: dict[str, Any], body: Any) -> Response:
    return JSONResponse({"results": list(app["subscriptions"].values())})


@API.route(f"{_BASE}/subscriptions", ["POST"])
@_in_app
def create_subscription(request: Request, app: dict[str, Any], body: Any) -> Response:
    event, prop = body["eventType"], body.get("propertyName")
    if event.endswith(".propertyChange") and not prop:
        return hs._error(400, "VALIDATION_ERROR", f"propertyName is required for {event} subscriptions")   # B
    if prop and not event.endswith(".propertyChange"):
        return hs._error(400, "VALIDATION_ERROR", "propertyName only applies to propertyChange subscriptions")  # B
    if any(s["eventType"] == event and s.get("propertyName") == prop for s in app["subscriptions"].values()):
        return hs._error(409, "CONFLICT", f"A subscription for {event}" + (f" ({prop})" if prop else "")
                         + " already exists")   # B
    now = _iso(hs._now())
    ident = str(next_id(app, "subscription"))
    sub = {"id": ident, "eventType": event, "active": bool(body.get("active", False)),   # V: defaults to false
           "createdAt": now, "updatedAt": now}
    if prop:
        sub["propertyName"] = prop
    app["subscriptions"][ident] = sub
    return JSONResponse(sub, status_code=201)


def _subscription(request: Request, app: dict[str, Any]) -> dict[str, Any] | None:
    return app["subscriptions"].get(request.path_params["subscription_id"])


@API.route(f"{_BASE}/subscriptions/{{subscription_id}}", ["GET"])
@_in_app
def get_subscription(request: Request, app: dict[str, Any], body: Any) -> Response:
    sub = _subscription(request, app)
    return hs._error(404, "OBJECT_NOT_FOUND", "subscription not found") if sub is None else JSONResponse(sub)


@API.route(f"{_BASE}/subscriptions/{{subscription_id}}", ["PATCH"])
@_in_app
def patch_subscription(request: Request, app: dict[str, Any], body: Any) -> Response:
    sub = _subscription(request, app)
    if sub is None:
        return hs._error(404, "OBJECT_NOT_FOUND", "subscription not found")   # B: wording
    if body and "active" in body:
        sub["active"] = bool(body["active"])
        sub["updatedAt"] = _iso(hs._now())
    return JSONResponse(sub)


@API.route(f"{_BASE}/subscriptions/{{subscription_id}}", ["DELETE"])
@_in_app
def delete_subscription(request: Request, app: dict[str, Any], body: Any) -> Response:
    if app["subscriptions"].pop(request.path_params["subscription_id"], None) is None:
        return hs._error(404, "OBJECT_NOT_FOUND", "subscription not found")
    return Response(status_code=204)


# --------------------------------------------------------------------------- deliveries
def sign(secret: str, method: str, url: str, body: bytes, timestamp_ms: int) -> str:
    """HubSpot v3: base64 HMAC-SHA256(client secret, method + URL + body + timestamp) (written here from the docs,
    independently of the Hub's verifier)."""
    message = method.encode() + url.encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _owner(app: int) -> str | None:
    return next((a for a in DEV.accounts() if app_id(a) == app), None)


def fire(app: int, portal_account: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Portal ``portal_account`` produced ``events`` ({subscriptionType, objectId, propertyName?, propertyValue?}):
    deliver those an active subscription of the app wants to its target URL; one result per batch sent."""
    developer = _owner(app)
    if developer is None:
        return []
    now_ms = int(time.time() * 1000)
    with DEV.use(developer) as data:
        state_app = _app(data, app)
        settings = state_app["settings"]
        payloads = []
        for event in events:
            kind, prop = event.get("subscriptionType", ""), event.get("propertyName")
            sub = next((s for s in state_app["subscriptions"].values() if s["active"] and s["eventType"] == kind
                        and (not kind.endswith(".propertyChange") or s.get("propertyName") == prop)), None)
            if sub is None or settings is None:
                continue
            state_app["events"] += 1
            item = {"eventId": 1000 + state_app["events"], "subscriptionId": int(sub["id"]),
                    "portalId": hs.portal_id(portal_account), "appId": app, "occurredAt": now_ms,
                    "subscriptionType": kind, "attemptNumber": 0, "objectId": event.get("objectId"),
                    "changeSource": "CRM"}
            if prop:
                item.update(propertyName=prop, propertyValue=event.get("propertyValue"))
            payloads.append(item)
        target = settings["targetUrl"] if settings else ""
    results = []
    for start in range(0, len(payloads), BATCH):
        body = json.dumps(payloads[start:start + BATCH], separators=(",", ":")).encode()
        stamp = int(time.time() * 1000)
        headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": str(stamp),
                   "X-HubSpot-Signature-v3": sign(CLIENT_SECRET, "POST", target, body, stamp)}
        results.append({"url": target, "events": len(payloads[start:start + BATCH]),
                        **deliveries.post(target, body, headers)})
    with DEV.use(developer) as data:
        _app(data, app)["deliveries"].extend(dict(r) for r in results)
    return results


async def fire_route(request: Request) -> Response:
    """``POST /sandbox/hubspot/_events {appId, account, events: [...]}`` -> the delivery results."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("appId"), int) \
            or not isinstance(body.get("account"), str) or not isinstance(body.get("events"), list) \
            or not all(isinstance(e, dict) for e in body["events"]):
        return JSONResponse({"message": "expected {appId, account, events: [{subscriptionType, objectId}]}"},
                            status_code=400)
    results = await anyio.to_thread.run_sync(fire, body["appId"], body["account"], body["events"])
    return JSONResponse({"deliveries": results})


hs.SANDBOX.api_routes.append(Route("/_events", fire_route, methods=["POST"]))
