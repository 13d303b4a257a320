"""HTTP routes of the webhook feature (added by services/routes.build_routes). Thin: DB work in a thread."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from db.session import session_scope
from services.core.config import load_settings
from services.core.errors import InvalidInput, NotFound
from services.webhooks import inbound, zapier

log = logging.getLogger(__name__)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message}, status_code=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it exceeds ``limit`` bytes (checked before and while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _public_url(request: Request) -> str:
    """The URL the provider signed (HubSpot v3): the Hub's public base URL, not the proxy-facing one."""
    query = request.url.query
    return load_settings().base_url + request.url.path + (f"?{query}" if query else "")


def _receive(receiver: Any = inbound.receive, **kwargs: Any) -> inbound.Outcome:
    with session_scope() as session:
        return receiver(session, **kwargs)


async def hook_route(request: Request) -> Response:
    """``POST /hooks/<service>/<connection_id>``: verify, store, answer at once, handle afterwards."""
    return await _accept(request, inbound.receive, connection_id=request.path_params["connection_id"],
                         query=dict(request.query_params))


async def app_hook_route(request: Request) -> Response:
    """``POST /hooks/<service>/apps/<app_id>``: one app-level URL for every portal (HubSpot), dispatched by
    ``portalId`` to the connections (services/webhooks/inbound.receive_app)."""
    return await _accept(request, inbound.receive_app, app_id=request.path_params["app_id"])


async def _accept(request: Request, receiver: Any, **target: Any) -> Response:
    service = request.path_params["service"]
    try:
        body = await _read_limited(request, inbound.MAX_BODY)
    except ClientDisconnect:
        return _error(400, "client disconnected")
    if body is None:
        return _error(413, f"payload over {inbound.MAX_BODY} bytes")
    try:
        outcome = await anyio.to_thread.run_sync(partial(
            _receive, receiver, service=service, method=request.method, url=_public_url(request),
            headers=dict(request.headers), body=body, **target))
    except Exception as exc:  # never a traceback to the sender
        log.error("webhook receive failed: %s", type(exc).__name__)
        return _error(500, "internal error")
    task = None
    if outcome.event_ids:
        task = BackgroundTask(anyio.to_thread.run_sync, partial(inbound.handle_events, outcome.event_ids))
    return JSONResponse(outcome.body, status_code=outcome.status, background=task)


def _zapier_call(request: Request, fn: Any) -> Any:
    with session_scope() as session:
        conn = zapier.authenticate(session, request.headers.get("x-layers-connection"),
                                   request.headers.get("x-layers-key"))
        return fn(session, conn)


async def _zapier(request: Request, fn: Any, status: int = 200) -> Response:
    try:
        result = await anyio.to_thread.run_sync(partial(_zapier_call, request, fn))
    except zapier.Unauthorized as exc:
        return _error(401, str(exc))
    except NotFound as exc:
        return _error(404, str(exc))
    except InvalidInput as exc:
        return _error(400, str(exc))
    return Response(status_code=204) if result is None else JSONResponse(result, status_code=status)


async def zapier_hooks_route(request: Request) -> Response:
    if request.method == "GET":
        return await _zapier(request, lambda s, c: zapier.list_hooks(s, c))
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "expected a JSON body {event, target_url}")
    if not isinstance(body, dict) or not isinstance(body.get("event"), str) \
            or not isinstance(body.get("target_url"), str):
        return _error(400, "expected a JSON body {event, target_url}")
    return await _zapier(request, lambda s, c: zapier.hook_view(
        zapier.subscribe(s, c, event=body["event"], target_url=body["target_url"])), status=201)


async def zapier_hook_route(request: Request) -> Response:
    hook_id = request.path_params["hook_id"]
    return await _zapier(request, lambda s, c: zapier.unsubscribe(s, c, hook_id))


async def zapier_samples_route(request: Request) -> Response:
    event = request.path_params["event"]
    return await _zapier(request, lambda s, c: [zapier.sample(event)])


def webhook_routes() -> list[BaseRoute]:
    return [Route("/hooks/{service}/{connection_id:int}", hook_route, methods=["GET", "POST"]),
            Route("/hooks/{service}/apps/{app_id}", app_hook_route, methods=["GET", "POST"]),
            Route("/api/zapier/hooks", zapier_hooks_route, methods=["GET", "POST"]),
            Route("/api/zapier/hooks/{hook_id:int}", zapier_hook_route, methods=["DELETE"]),
            Route("/api/zapier/samples/{event}", zapier_samples_route, methods=["GET"])]
