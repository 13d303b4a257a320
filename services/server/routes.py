"""HTTP routes served by st.App beside the UI (same process). Thin: they call services."""

from __future__ import annotations

import html
import logging
from functools import partial

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from services.core.config import Settings, load_settings
from services.core.errors import HubError
from services.server.health import health
from services.webhooks.routes import webhook_routes

log = logging.getLogger(__name__)


async def health_route(request: Request) -> JSONResponse:
    ok, body = await anyio.to_thread.run_sync(health)   # DB work stays off the event loop
    return JSONResponse(body, status_code=200 if ok else 503)


def _result_page(title: str, message: str, *, ok: bool, status: int) -> HTMLResponse:
    base = html.escape(load_settings().base_url)
    colour = "#166534" if ok else "#991b1b"
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>Layers Integration Hub — "
        f"{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
        f"padding:0 1rem}}h1{{color:{colour}}}</style></head><body><h1 id='result'>{html.escape(title)}</h1>"
        f"<p id='message'>{html.escape(message)}</p><p>You can close this tab and refresh the Connections page, "
        f"or <a href='{base}/connections'>return to the Hub</a>.</p></body></html>", status_code=status)


async def oauth_callback_route(request: Request) -> HTMLResponse:
    """The provider redirects here after consent; the state says whose flow it is (services/credentials)."""
    from services.connect.oauth import complete_authorization

    q = request.query_params
    try:
        result = await anyio.to_thread.run_sync(partial(complete_authorization, state=q.get("state", ""),
                                                        code=q.get("code"), error=q.get("error")))
    except HubError as exc:
        return _result_page("Connection failed", str(exc), ok=False, status=400)
    except Exception as exc:  # never a traceback (or a provider's echo) in the browser
        log.error("OAuth callback failed unexpectedly: %s", type(exc).__name__)
        return _result_page("Connection failed", f"Unexpected error ({type(exc).__name__}); see the server log.",
                            ok=False, status=500)
    label = " (sandbox)" if result.sandbox else ""
    verb = "Reconnected" if result.reconnected else "Connected"
    return _result_page(f"{verb} {result.integration}{label}",
                        f"{result.integration}{label} is connected for {result.organization} "
                        f"(connection #{result.connection_id}).", ok=True, status=200)


def build_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/api/health", health_route, methods=["GET"]),
                               Route("/api/oauth/callback", oauth_callback_route, methods=["GET"])]
    routes += webhook_routes()   # POST /hooks/<service>/<id>, /api/zapier/* (services/webhooks)
    if settings.sandbox_enabled:   # HUB_SANDBOX=1: offline provider stand-ins under /sandbox/<provider>/
        from services import sandbox

        routes.append(sandbox.mount())
    return routes


ROUTES = build_routes(load_settings())
