"""n8n sandbox: an instance (``/instance``) whose public API accepts ``X-N8N-API-KEY``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import SandboxProvider, sandbox_account


async def workflows(request: Request) -> Response:
    if sandbox_account(request.headers.get("x-n8n-api-key")) is None:
        return JSONResponse({"message": "unauthorized"}, status_code=401)   # B
    return JSONResponse({"data": [], "nextCursor": None})


PROVIDER = SandboxProvider(
    slug="n8n", name="n8n",
    origins={"https://*.app.n8n.cloud": "/instance"},
    api_routes=[Route("/instance/api/v1/workflows", workflows, methods=["GET"])],
    defaults={"instance_url": "/instance", "webhook_url": "/instance/webhook/layers"},
)
