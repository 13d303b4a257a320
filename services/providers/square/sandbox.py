"""Square sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition, and an
OAuth server.

``square/api.json`` is Square's own OpenAPI file, release 2025-08-20 (shared/specs/square/SOURCE.txt): paths, JSON
bodies, required fields and answers (its examples). Sources for the rest: developer.squareup.com/docs/build-basics/
handling-errors (``{errors: [{category, code, detail, field}]}``, V), .../objects/ErrorCategory (429 RATE_LIMITED,
V), .../objects/ObtainTokenResponse (30-day access tokens, ``expires_at``, V); Square publishes no rate limits or
rate-limit headers, and the error wordings are B.

Beyond the generic stand-in, Square's idempotency (V: definition, "Idempotency" guide it links): a write repeated
with the same ``idempotency_key`` answers the first result and creates nothing; the key is not part of the record.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.standin import METHODS, RateLimit, StandIn

SLUG = "square"
# status -> (category, code): V for 401/429 (ErrorCategory, handling-errors), B for the rest
CODES = {400: ("INVALID_REQUEST_ERROR", "BAD_REQUEST"), 401: ("AUTHENTICATION_ERROR", "UNAUTHORIZED"),
         404: ("INVALID_REQUEST_ERROR", "NOT_FOUND"), 429: ("RATE_LIMIT_ERROR", "RATE_LIMITED"),
         500: ("API_ERROR", "INTERNAL_SERVER_ERROR"), 503: ("API_ERROR", "SERVICE_UNAVAILABLE")}


def _error(status: int, message: str) -> dict[str, Any]:
    category, code = CODES.get(status, CODES[500])
    return {"errors": [{"category": category, "code": code, "detail": message}]}


ORIGINS = {"https://connect.squareup.com": "/api", "https://connect.squareupsandbox.com": "/api"}
STANDIN = StandIn(
    SLUG, "Square", "square/api.json", origins=ORIGINS,
    id_prefixes={"customers": "SBXCUST", "payments": "SBXPAY"},                    # B: Square ids are opaque
    overrides={"POST /v2/customers": {"record_path": "customer"},
               "POST /v2/payments": {"record_path": "payment"}},
    error=_error,
    messages={"unauthorized": "This request could not be authorized.", "not_found": "Resource not found.",
              "rate_limit": "This request was rate-limited. Please retry later.",                  # B: wordings
              "server_error": "An internal error has occurred."},
    rate_limit=RateLimit(10, 1.0, headers=()),                 # B: unpublished limits, no rate-limit headers
)

OAUTH = OAuthServer(
    provider="Square", authorize_path="/api/oauth2/authorize", token_path="/api/oauth2/token",
    access_ttl=30 * 86400, refresh="reuse", client_auth="json", expires_in=False, token_type="bearer",
)   # V: 30 days, expires_at instead of expires_in; B: the refresh token is kept


async def _idempotent_create(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    """A create answered once per idempotency key: the same key gives back the first answer."""
    op, path, body = checked
    body = dict(body) if isinstance(body, dict) else {}
    key = str(body.pop("idempotency_key", "") or "")
    if key:
        with STANDIN.store.use(account) as data:
            seen = data.setdefault("_idempotency", {}).get(f"{op.template} {key}")
        if seen is not None:
            return JSONResponse(seen["body"], status_code=seen["status"])
    response = await STANDIN._serve(request, account, (op, path, body))
    if key and response.status_code < 400:
        with STANDIN.store.use(account) as data:
            data.setdefault("_idempotency", {})[f"{op.template} {key}"] = {
                "status": response.status_code, "body": json.loads(bytes(response.body))}
    return response


CREATES = {("POST", "/v2/customers"), ("POST", "/v2/payments")}


async def _dispatch(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    op = checked[0]
    handler = _idempotent_create if (op.method, op.template) in CREATES else STANDIN._serve
    return await handler(request, account, checked)


SANDBOX = SandboxProvider(
    slug=SLUG, name="Square", origins=ORIGINS, oauth=OAUTH,
    api_routes=[Route("/api/{path:path}", STANDIN.api.endpoint(_dispatch, body=True), methods=METHODS)])
