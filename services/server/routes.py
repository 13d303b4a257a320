"""HTTP routes served by st.App beside the UI (same process). Thin: they call services.

``EXCEPTION_HANDLERS`` (passed to st.App with the routes) answers a database error no route handled: while the
database is unreachable every route answers 503 with ``Retry-After`` (db/outage.py), never a traceback."""

from __future__ import annotations

import html
import logging
from functools import partial

import anyio
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from db.outage import RETRY_AFTER_S, is_outage
from services.connect.oauth import complete_authorization
from services.core.config import Settings, load_settings
from services.core.errors import HubError
from services.jobs.tasks import inbound_accepted
from services.server.health import health
from services.webhooks.routes import webhook_routes

log = logging.getLogger(__name__)


async def health_route(request: Request) -> JSONResponse:
    ok, body = await anyio.to_thread.run_sync(health)   # DB work stays off the event loop
    retry = {"Retry-After": str(RETRY_AFTER_S)} if body.get("database") == "unreachable" else None
    return JSONResponse(body, status_code=200 if ok else 503, headers=retry)


def _result_page(title: str, message: str, *, ok: bool, status: int,
                 headers: dict[str, str] | None = None) -> HTMLResponse:
    base = html.escape(load_settings().base_url)
    colour = "#166534" if ok else "#991b1b"
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>Layers Integration Hub — "
        f"{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
        f"padding:0 1rem}}h1{{color:{colour}}}</style></head><body><h1 id='result'>{html.escape(title)}</h1>"
        f"<p id='message'>{html.escape(message)}</p><p>You can close this tab and refresh the Connections page, "
        f"or <a href='{base}/connections'>return to the Hub</a>.</p></body></html>", status_code=status,
        headers=headers)


async def oauth_callback_route(request: Request) -> HTMLResponse:
    """The provider redirects here after consent; the state says whose flow it is (services/credentials)."""
    q = request.query_params
    try:
        result = await anyio.to_thread.run_sync(partial(complete_authorization, state=q.get("state", ""),
                                                        code=q.get("code"), error=q.get("error")))
    except HubError as exc:
        return _result_page("Connection failed", str(exc), ok=False, status=400)
    except Exception as exc:  # never a traceback (or a provider's echo) in the browser
        if is_outage(exc):
            raise   # EXCEPTION_HANDLERS: 503, Retry-After
        log.error("OAuth callback failed unexpectedly: %s", type(exc).__name__)
        return _result_page("Connection failed", f"Unexpected error ({type(exc).__name__}); see the server log.",
                            ok=False, status=500)
    label = " (sandbox)" if result.sandbox else ""
    verb = "Reconnected" if result.reconnected else "Connected"
    return _result_page(f"{verb} {result.integration}{label}",
                        f"{result.integration}{label} is connected for {result.organization} "
                        f"(connection #{result.connection_id}).", ok=True, status=200)


async def database_error(request: Request, exc: Exception) -> Response:
    """A database error a route did not handle: 503 with Retry-After while the database is unreachable (whatever
    the route: webhooks, provider routes, the OAuth callback), else 500; one log line, never a traceback to the
    caller. A browser (Accept: text/html, e.g. the OAuth callback) gets a page."""
    if not is_outage(exc):
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
        return JSONResponse({"ok": False, "message": "internal error"}, status_code=500)
    log.warning("%s %s: database unreachable (%s); answered 503", request.method, request.url.path,
                type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if "text/html" in request.headers.get("accept", ""):
        return _result_page("The Hub's database is unreachable", "Nothing was saved. Reload this page in a minute, "
                            "or connect again from the Connections page.", ok=False, status=503, headers=headers)
    return JSONResponse({"ok": False, "message": "the Hub's database is unreachable; retry later"}, status_code=503,
                        headers=headers)


EXCEPTION_HANDLERS = {DBAPIError: database_error}


def build_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/api/health", health_route, methods=["GET"]),
                               Route("/api/oauth/callback", oauth_callback_route, methods=["GET"])]
    # POST /hooks/<service>/<id> (handled by a job after the 2xx), /api/zapier/* (services/webhooks)
    routes += webhook_routes(inbound_accepted)
    if settings.sandbox_enabled:   # HUB_SANDBOX=1: offline provider stand-ins under /sandbox/<provider>/
        from services import demo, sandbox  # noqa: PLC0415 (the stand-ins load only with HUB_SANDBOX=1)

        # The sandbox identity provider (/sandbox/oidc/) offers the demo staff on its sign-in page.
        routes.append(sandbox.mount(base_url=settings.base_url,
                                    sign_in_directory=[(email, name) for email, name, _ in demo.DEMO_STAFF]))
    return routes


ROUTES = build_routes(load_settings())
