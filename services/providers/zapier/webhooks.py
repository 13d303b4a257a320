"""Zapier's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): a webhook bridge (Layers triggers a Zap,
``trigger_zap``; a Zap posts any JSON to its inbound URL), and Layers as a Zapier app: the REST-hook API routes
below and the signed outbound deliveries of handled events to subscribed Zaps (rest_hooks.py).

Routes (the caller authenticates as a Zapier connection, ``X-Layers-Connection`` + ``X-Layers-Key``):
``GET|POST /api/zapier/hooks``, ``DELETE /api/zapier/hooks/<id>``, ``GET /api/zapier/samples/<event>``.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from db.outage import is_outage
from db.session import session_scope
from services.core.errors import InvalidInput, NotFound
from services.providers.zapier import rest_hooks
from services.webhooks.bodies import BodyRejected, TooDeep, loads_json, read_body
from services.webhooks.hooks import Bridge, OutboundDeliveries, WebhookHooks
from services.webhooks.routes import error

log = logging.getLogger(__name__)


def _call(request: Request, fn: Any) -> Any:
    with session_scope() as session:
        conn = rest_hooks.authenticate(session, request.headers.get("x-layers-connection"),
                                       request.headers.get("x-layers-key"))
        return fn(session, conn)


async def _answer(request: Request, fn: Any, status: int = 200) -> Response:
    try:
        result = await anyio.to_thread.run_sync(partial(_call, request, fn))
    except rest_hooks.Unauthorized as exc:
        return error(401, str(exc))
    except NotFound as exc:
        return error(404, str(exc))
    except InvalidInput as exc:
        return error(400, str(exc))
    except Exception as exc:  # a bug: one line, never a traceback for what a client sent
        if is_outage(exc):
            raise   # services/server/routes.EXCEPTION_HANDLERS: 503 with Retry-After, like every route
        log.error("zapier route %s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return error(500, "internal error")
    return Response(status_code=204) if result is None else JSONResponse(result, status_code=status)


async def hooks_route(request: Request) -> Response:
    if request.method == "GET":
        return await _answer(request, lambda s, c: rest_hooks.list_hooks(s, c))
    refused = await _answer(request, lambda s, c: None)   # authenticate from the headers before reading the body
    if refused.status_code != 204:
        return refused
    try:
        body = loads_json(await read_body(request))
    except BodyRejected as exc:
        return error(exc.status, exc.message)
    except TooDeep as exc:
        return error(400, f"expected a JSON body {{event, target_url}}: {exc}")
    except ValueError:
        return error(400, "expected a JSON body {event, target_url}")
    if not isinstance(body, dict) or not isinstance(body.get("event"), str) \
            or not isinstance(body.get("target_url"), str):
        return error(400, "expected a JSON body {event, target_url}")
    return await _answer(request, lambda s, c: rest_hooks.hook_view(
        rest_hooks.subscribe(s, c, event=body["event"], target_url=body["target_url"])), status=201)


async def hook_route(request: Request) -> Response:
    hook_id = request.path_params["hook_id"]
    return await _answer(request, lambda s, c: rest_hooks.unsubscribe(s, c, hook_id))


async def samples_route(request: Request) -> Response:
    event = request.path_params["event"]
    return await _answer(request, lambda s, c: [rest_hooks.sample(event)])


def routes() -> list[BaseRoute]:
    return [Route("/api/zapier/hooks", hooks_route, methods=["GET", "POST"]),
            Route("/api/zapier/hooks/{hook_id:int}", hook_route, methods=["DELETE"]),
            Route("/api/zapier/samples/{event}", samples_route, methods=["GET"])]


WEBHOOKS = WebhookHooks(
    bridge=Bridge(trigger_action="trigger_zap"),
    outbound=OutboundDeliveries(fan_out=rest_hooks.fan_out, due=rest_hooks.due, send=rest_hooks.send),
    routes=routes,
)
