"""Webflow sandbox: site webhooks (Data API v2, ``webhooks.yml`` of the official Fern definition) and their
deliveries.

Served under ``/sandbox/webflow/api`` with the other Webflow endpoints, through the Webflow sandbox's ``API`` (the
same auth, fault switches, per-minute limit and Fern request check, answered with Webflow's error bodies):
  GET    /v2/sites/{site_id}/webhooks    200 WebhookList {webhooks, pagination}
  POST   /v2/sites/{site_id}/webhooks    201 Webhook; body {triggerType, url, filter?} (root.Webhook; read-only
                                         fields refused); at most 75 per triggerType per site (V: webhooks.yml)
  GET    /v2/webhooks/{webhook_id}       200 Webhook
  DELETE /v2/webhooks/{webhook_id}       204 (B: the definition declares no response body)
and, sandbox only, ``POST /sandbox/webflow/_forms/submit {account, siteId, name, data}``: a visitor submits a
form on the site (no auth, like ``/sandbox/_faults``).

Deliveries: a form submission (``submit_form``) and a CMS item created through the API POST
``{"triggerType", "payload"}`` (``FormSubmissionTrigger`` / ``CollectionItemCreated`` shapes of
``__package__.yml``) to every matching webhook of the site (``filter.name`` = the form's name). Like Webflow,
a webhook created with an OAuth app's access token is signed with that app's client secret
(``x-webflow-timestamp`` in ms, ``x-webflow-signature`` = hex HMAC-SHA256 of ``"<timestamp>:<body>"``; V:
changelog "Webhook signatures", v1 "verifying webhook signatures"); one created with a site token is sent
unsigned (V: the same pages; newer site-token behaviour is B). The sandbox's OAuth client
``sbx_client_<x>`` has the secret ``sbx_secret_<x>`` (docs/credentials.md). Deliveries go through
``services/sandbox/deliveries.py`` (the Hub's own /hooks/ URLs only) and are recorded in
``state(account)["deliveries"]``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.providers.webflow import sandbox as wf
from services.sandbox import deliveries
from services.sandbox.common import bearer
from services.sandbox.store import next_id

LIMIT_PER_TRIGGER = 75            # V: webhooks.yml "Limit of 75 registrations per triggerType, per site"
_PUBLIC = ("id", "triggerType", "url", "workspaceId", "siteId", "filter", "lastTriggered", "createdOn")


def _webhook_id(account: str, n: int) -> str:
    return hashlib.sha256(f"{account}:webhook:{n}".encode()).hexdigest()[:24]


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: hook[k] for k in _PUBLIC if k in hook}


def _not_found() -> Response:
    return wf._error(404, "resource_not_found", "Requested resource not found: The webhook cannot be found")   # B


def _signing_secret(request: Request) -> str | None:
    """The client secret of the OAuth app that issued the caller's token; None for a site token."""
    client = wf.OAUTH.issued_client(bearer(request))
    return None if client is None else "sbx_secret_" + client.removeprefix("sbx_client_")


# --------------------------------------------------------------------------- endpoints
@wf.API.route("/api/v2/sites/{site_id}/webhooks", ["GET"])
async def list_webhooks(request: Request, account: str, body: Any) -> Response:
    with wf.STORE.use(account) as data:
        site_id = request.path_params["site_id"]
        if site_id not in data["sites"]:
            return wf._site_not_found()
        hooks = [_public(h) for h in data["webhooks"].values() if h["siteId"] == site_id]
    return JSONResponse({"webhooks": hooks, "pagination": {"limit": 100, "offset": 0, "total": len(hooks)}})


@wf.API.route("/api/v2/sites/{site_id}/webhooks", ["POST"])
async def create_webhook(request: Request, account: str, body: Any) -> Response:
    details = [{"param": name, "description": "Field is required"}               # B: the API requires both,
               for name in ("triggerType", "url") if not body.get(name)]          # the definition marks them optional
    url = body.get("url")
    if isinstance(url, str) and url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        details.append({"param": "url", "description": "Invalid URL"})           # B: wording
    if details:
        return wf._validation(details)
    if body.get("filter") is not None and body["triggerType"] != "form_submission":
        # V: Webhook.filter "Only supported for the form_submission trigger type"; the code is in ErrorCode (V),
        # the status and wording are B.
        return wf._error(400, "incompatible_webhook_filter", "Filters are only supported for the form_submission "
                         "trigger type")
    secret = _signing_secret(request)
    with wf.STORE.use(account) as data:
        site = data["sites"].get(request.path_params["site_id"])
        if site is None:
            return wf._site_not_found()
        same = [h for h in data["webhooks"].values()
                if h["siteId"] == site["id"] and h["triggerType"] == body["triggerType"]]
        if len(same) >= LIMIT_PER_TRIGGER:
            # V: the limit; B: status 400 (the only client error the endpoint declares besides 401/404/429),
            # code and wording.
            return wf._error(400, "bad_request", f"Bad Request: limit of {LIMIT_PER_TRIGGER} webhooks per "
                             f"triggerType per site reached for {body['triggerType']}")
        hook: dict[str, Any] = {"id": _webhook_id(account, next_id(data, "webhook")),
                                "triggerType": body["triggerType"], "url": url, "workspaceId": site["workspaceId"],
                                "siteId": site["id"], "lastTriggered": None,
                                "createdOn": wf._iso(wf.STORE.clock()), "_secret": secret}
        if body.get("filter") is not None:
            hook["filter"] = dict(body["filter"])
        data["webhooks"][hook["id"]] = hook
        return JSONResponse(_public(hook), status_code=201)   # V: status-code 201, type root.Webhook


@wf.API.route("/api/v2/webhooks/{webhook_id}", ["GET"])
async def get_webhook(request: Request, account: str, body: Any) -> Response:
    with wf.STORE.use(account) as data:
        hook = data["webhooks"].get(request.path_params["webhook_id"])
        return _not_found() if hook is None else JSONResponse(_public(hook))


@wf.API.route("/api/v2/webhooks/{webhook_id}", ["DELETE"])
async def delete_webhook(request: Request, account: str, body: Any) -> Response:
    with wf.STORE.use(account) as data:
        if data["webhooks"].pop(request.path_params["webhook_id"], None) is None:
            return _not_found()
    return Response(status_code=204)


# --------------------------------------------------------------------------- deliveries
def sign(secret: str, body: bytes, timestamp_ms: int) -> str:
    """Webflow's signature: hex HMAC-SHA256(secret, "<timestamp ms>:<raw body>") (written here from the docs,
    independently of the Hub's verifier)."""
    return hmac.new(secret.encode(), f"{timestamp_ms}:".encode() + body, hashlib.sha256).hexdigest()


def deliver(account: str, site_id: str, trigger_type: str, payload: dict[str, Any], *,
            form_name: str | None = None) -> list[dict[str, Any]]:
    """Send one event to every matching webhook of the site; returns (and records) one result per webhook."""
    with wf.STORE.use(account) as data:
        hooks = [dict(h) for h in data["webhooks"].values()
                 if h["siteId"] == site_id and h["triggerType"] == trigger_type
                 and (not (h.get("filter") or {}).get("name") or h["filter"]["name"] == form_name)]
    body = json.dumps({"triggerType": trigger_type, "payload": payload}, separators=(",", ":")).encode()
    results = []
    for hook in hooks:
        headers = {"Content-Type": "application/json"}
        if hook["_secret"]:
            stamp = int(time.time() * 1000)
            headers.update({"x-webflow-timestamp": str(stamp), "x-webflow-signature": sign(hook["_secret"], body,
                                                                                          stamp)})
        sent = deliveries.post(hook["url"], body, headers)
        results.append({"webhookId": hook["id"], "triggerType": trigger_type, "url": hook["url"],
                        "signed": bool(hook["_secret"]), **sent})
    with wf.STORE.use(account) as data:
        for result in results:
            data["deliveries"].append(dict(result))
            live = data["webhooks"].get(result["webhookId"])
            if live is not None and result["status"] is not None:
                live["lastTriggered"] = wf._iso(wf.STORE.clock())
    return results


def submit_form(account: str, site_id: str, name: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A visitor submits the form ``name`` on the site: deliver form_submission (FormSubmissionTrigger shape)."""
    with wf.STORE.use(account) as state:
        n = next_id(state, "form_submission")
    payload = {"name": name, "siteId": site_id, "data": dict(data), "submittedAt": wf._iso(wf.STORE.clock()),
               "id": _webhook_id(account, 10_000 + n), "formId": hashlib.sha256(name.encode()).hexdigest()[:24],
               "schema": [{"fieldName": key, "fieldType": "FormTextInput"} for key in data]}
    return deliver(account, site_id, "form_submission", payload, form_name=name)


def _items_created(account: str, site_id: str, collection_id: str, items: list[dict[str, Any]]) -> None:
    workspace = wf.state(account)["sites"].get(site_id, {}).get("workspaceId")
    for item in items:
        deliver(account, site_id, "collection_item_created",
                {**item, "siteId": site_id, "workspaceId": workspace, "collectionId": collection_id})


async def submit_form_route(request: Request) -> Response:
    """``POST /sandbox/webflow/_forms/submit {account, siteId, name, data}`` -> the delivery results."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("account", "siteId", "name")) \
            or not isinstance(body.get("data", {}), dict):
        return JSONResponse({"message": "expected {account, siteId, name, data}"}, status_code=400)
    results = await anyio.to_thread.run_sync(submit_form, body["account"], body["siteId"], body["name"],
                                             body.get("data", {}))
    return JSONResponse({"deliveries": results})


wf.SANDBOX.api_routes.append(Route("/_forms/submit", submit_form_route, methods=["POST"]))
wf.ITEM_LISTENERS.append(_items_created)
