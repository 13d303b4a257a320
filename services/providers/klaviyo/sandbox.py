"""Klaviyo sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``klaviyo/stable.json`` is Klaviyo's own OpenAPI file, revision 2026-07-15 (shared/specs/klaviyo/SOURCE.txt):
paths, JSON:API bodies (``application/vnd.api+json``), the required ``revision`` header and per-endpoint limits
(``x-klaviyo-ratelimit``). What the generic stand-in does not do, done here as Klaviyo does it:

- every request needs a ``revision`` header (definition: a required header parameter on every operation) and a
  body needs the JSON:API content type: 400 / 415 otherwise (B: the exact codes and wording);
- a JSON:API request holds the record at ``data`` ({data: {type, attributes}}); the created profile is that record
  with an id (definition PostProfileResponse);
- ``POST /api/events`` (202) and ``POST /api/lists/{id}/relationships/profiles`` (204) answer with no body
  (definition: no content).

Errors are JSON:API ``{errors: [{id, status, code, title, detail, source}]}`` (definition ClientError, V; codes and
titles from developers.klaviyo.com/en/docs/rate_limits_and_error_handling, B where not listed there). A 429
carries Retry-After and none of the RateLimit-* headers (V: rate-limits page).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.sandbox.standin import RateLimit, StandIn

SLUG = "klaviyo"
JSON_API = "application/vnd.api+json"
CODES = {400: ("invalid", "Invalid input."),
         401: ("not_authenticated", "Authentication credentials were not provided."),
         404: ("not_found", "Not found."), 415: ("unsupported_media_type", "Unsupported media type."),
         429: ("throttled", "Request was throttled."), 500: ("error", "A server error occurred."),
         503: ("error", "Service unavailable.")}                                            # B: codes beyond 401/429


def _error(status: int, message: str) -> dict[str, Any]:
    code, title = CODES.get(status, ("error", "A server error occurred."))
    return {"errors": [{"id": str(uuid.uuid4()), "status": status, "code": code, "title": title,
                        "detail": message, "source": {"pointer": "/data/"}}]}


class KlaviyoStandIn(StandIn):
    async def _read(self, request: Request) -> Any:
        if not request.headers.get("revision"):
            return self._error(400, "The `revision` header is missing.")                      # B: wording
        if request.method != "GET" and JSON_API not in request.headers.get("content-type", ""):
            return self._error(415, f"Content-Type must be {JSON_API}.")                      # B: status, wording
        return await super()._read(request)

    def _handle(self, ep: Any, account: str, item: str, body: dict[str, Any]) -> tuple[int, Any]:
        record = body.get("data")                                   # JSON:API: the record at data
        return super()._handle(ep, account, item, record if isinstance(record, dict) else body)

    async def _serve(self, request: Request, account: str, checked: Any) -> Response:
        op = checked[0]
        if self.endpoints[(op.method, op.template)].schema is None:                   # 202 / 204 with no content
            return Response(status_code=self.endpoints[(op.method, op.template)].status)
        return await super()._serve(request, account, checked)


STANDIN = KlaviyoStandIn(
    SLUG, "Klaviyo", "klaviyo/stable.json", origins={"https://a.klaviyo.com": "/api"}, root="/api",
    record_path="data",
    seed={"accounts": [{"id": "XxXxXx", "type": "account"}]},           # the key's own account (check)
    overrides={"POST /api/events": {"kind": "static"},
               "POST /api/lists/{id}/relationships/profiles": {"kind": "static"}},
    id_prefixes={"profiles": "01JSBX"},                                    # B: ids are 26-character ULIDs
    error=_error,
    messages={"unauthorized": "Missing or invalid private key.", "not_found": "Not found.",
              "rate_limit": "Request was throttled. Expected available in 1 second."},        # B: wording
    rate_limit=RateLimit(75, 1.0, headers=(), retry_after=True),   # V: profiles burst 75/s; 429 with Retry-After
)
SANDBOX = STANDIN.provider()
