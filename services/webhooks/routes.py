"""HTTP routes of the webhook feature (added by services/server/routes.build_routes). Thin: DB work in a thread.

The inbound routes are generic; a provider's own routes (e.g. Zapier's REST-hook API) come from its
``WebhookHooks.routes`` (services/webhooks/hooks.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from db.outage import is_outage
from db.session import session_scope
from services.core.config import load_settings
from services.webhooks import hooks, inbound
from services.webhooks.bodies import BodyRejected, read_body

log = logging.getLogger(__name__)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message}, status_code=status)


def _public_url(request: Request) -> str:
    """The URL the provider signed (some schemes sign it): the Hub's public base URL, not the proxy-facing one."""
    query = request.url.query
    return load_settings().base_url + request.url.path + (f"?{query}" if query else "")


def _receive(receiver: Any = inbound.receive, **kwargs: Any) -> inbound.Outcome:
    with session_scope() as session:
        return receiver(session, **kwargs)


Accepted = Callable[[list[int]], None]   # after the 2xx, with the stored event ids (never raises)


def hook_route(accepted: Accepted) -> Callable[[Request], Any]:
    async def route(request: Request) -> Response:
        """``POST /hooks/<service>/<connection_id>``: verify, store, answer at once, handle afterwards."""
        return await _accept(request, accepted, inbound.receive, connection_id=request.path_params["connection_id"],
                             query=dict(request.query_params))
    return route


def app_hook_route(accepted: Accepted) -> Callable[[Request], Any]:
    async def route(request: Request) -> Response:
        """``POST /hooks/<service>/apps/<app_id>``: one app-level URL for every install (e.g. every HubSpot
        portal), dispatched to the connections of each event's install (services/webhooks/inbound.receive_app)."""
        return await _accept(request, accepted, inbound.receive_app, app_id=request.path_params["app_id"])
    return route


async def _accept(request: Request, accepted: Accepted, receiver: Any, **target: Any) -> Response:
    service = request.path_params["service"]
    try:
        body = await read_body(request, inbound.MAX_BODY)
    except BodyRejected as exc:
        return error(exc.status, exc.message)
    try:
        outcome = await anyio.to_thread.run_sync(partial(
            _receive, receiver, service=service, method=request.method, url=_public_url(request),
            headers=dict(request.headers), body=body, **target))
    except Exception as exc:  # never a traceback to the sender
        if is_outage(exc):
            raise   # services/server/routes.EXCEPTION_HANDLERS: 503 with Retry-After, like every route
        log.error("webhook receive failed: %s", type(exc).__name__)
        return error(500, "internal error")
    task = None
    if outcome.event_ids:
        task = BackgroundTask(anyio.to_thread.run_sync, partial(accepted, outcome.event_ids))
    if outcome.text is not None:   # a verification GET: the challenge echoed as plain text
        return PlainTextResponse(outcome.text, status_code=outcome.status)
    return JSONResponse(outcome.body, status_code=outcome.status, background=task)


def webhook_routes(accepted: Accepted = inbound.handle_events) -> list[BaseRoute]:
    """``accepted`` runs after the answer: by default the events are handled in this process; the server passes
    the job dispatcher (services/jobs/tasks.inbound_accepted: a queued job per event on PostgreSQL)."""
    return [Route("/hooks/{service}/{connection_id:int}", hook_route(accepted), methods=["GET", "POST"]),
            Route("/hooks/{service}/apps/{app_id}", app_hook_route(accepted), methods=["GET", "POST"]),
            *hooks.routes()]
