"""HTTP routes served by st.App beside the UI (same process). Thin: they call services."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.health import health


async def health_route(request: Request) -> JSONResponse:
    ok, body = await anyio.to_thread.run_sync(health)   # DB work stays off the event loop
    return JSONResponse(body, status_code=200 if ok else 503)


ROUTES = [Route("/api/health", health_route, methods=["GET"])]
