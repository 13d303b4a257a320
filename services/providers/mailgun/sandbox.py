"""Mailgun sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``mailgun/openapi.yaml`` is the OpenAPI file Mailgun bundles in its own MCP server (shared/specs/mailgun/
SOURCE.txt): paths, the message fields (multipart/form-data; urlencoded fields are the same fields) and answers.
Both regions (api.mailgun.net, api.eu.mailgun.net: definition servers, V) are served by the one stand-in.
``POST /v3/{domain_name}/messages`` answers ``{id, message: "Queued. Thank you."}`` (definition example, V),
not the stored message. Errors are ``{message}`` (definition: 400/429/500 examples, "Invalid private key" on
401 of GET /v4/domains, V). The rate-limit numbers and headers are not published (B): a 429 with Retry-After.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.standin import RateLimit, StandIn

SLUG = "mailgun"
SEND = ("POST", "/v3/{domain_name}/messages")


def _error(status: int, message: str) -> dict[str, Any]:
    return {"message": message}


class MailgunStandIn(StandIn):
    async def _serve(self, request: Request, account: str, checked: Any) -> Response:
        op, path, _ = checked
        if (op.method, op.template) != SEND:
            return await super()._serve(request, account, checked)
        domain = path.split("/")[2]
        with self.store.use(account) as data:
            sent = data.setdefault("_counters", {}).get("messages", 1)
            data["_counters"]["messages"] = sent + 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        return JSONResponse({"id": f"<{stamp}.{sent}.sandbox@{domain}>",       # B: id shape
                             "message": "Queued. Thank you."})                   # V: definition example


STANDIN = MailgunStandIn(
    SLUG, "Mailgun", "mailgun/openapi.yaml",
    origins={"https://api.mailgun.net": "/api", "https://api.eu.mailgun.net": "/api"},
    error=_error,
    messages={"unauthorized": "Invalid private key", "not_found": "Not Found",                 # V (404 wording B)
              "rate_limit": "Domain example.com is not allowed to send: account-requests-per-sec limit exceeded, "
                            "try again after 1 seconds",                                        # V: 429 example
              "server_error": "Internal Server Error"},                                         # V
    rate_limit=RateLimit(100, 1.0, headers=(), retry_after=True),                               # B
)
SANDBOX = STANDIN.provider()
