"""SendGrid sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definitions.

``sendgrid/*.json`` are SendGrid's own OpenAPI 3.1 files (shared/specs/sendgrid/SOURCE.txt: mail, marketing
contacts, scopes, user), served together (their components merged; they differ only in a parameter's wording).
Beyond CRUD, two answers are SendGrid's own: ``POST /v3/mail/send`` is 202 with no body and the message id in
``X-Message-Id`` (definition: 202 "Accepted", no content; header: docs.sendgrid.com mail-send page, B), and
``PUT /v3/marketing/contacts`` is 202 ``{job_id}`` (definition). Sources for the rest: the definitions' error
examples (``{errors: [{field, message}]}``, "authorization required" on 401, V) and twilio.com/docs/sendgrid/
api-reference/how-to-use-the-sendgrid-v3-api/rate-limits (X-RateLimit-Limit/-Remaining/-Reset, the reset a
unix time; 429 "too many requests", V).
"""

from __future__ import annotations

import time
import uuid
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.openapi import Operation, load_document
from services.sandbox.schema_checks import specs_dir
from services.sandbox.standin import RateLimit, StandIn

SLUG = "sendgrid"
RESET = "x-ratelimit-reset"
FILES = ("tsg_mail_v3.json", "tsg_mc_contacts_v3.json", "tsg_scopes_v3.json", "tsg_user_v3.json")


def _error(status: int, message: str) -> dict[str, Any]:
    return {"errors": [{"field": None, "message": message}]}      # V: definitions' ErrorResponse examples


class EpochRateLimit(RateLimit):
    """SendGrid's X-RateLimit-Reset is the unix time the window resets (V: rate-limits page example)."""

    def header_values(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        values = super().header_values(limit, remaining, reset)
        values[RESET] = str(int(time.time()) + int(values[RESET]))
        return values


class SendGridStandIn(StandIn):
    @cached_property
    def document(self) -> dict[str, Any]:
        """The four official files as one document: every path, the components merged."""
        merged: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "SendGrid v3", "version": "3"},
                                  "servers": [{"url": "https://api.sendgrid.com"}], "paths": {}, "components": {}}
        for name in FILES:
            doc = load_document(specs_dir() / SLUG / name)
            merged["paths"].update(doc.get("paths", {}))
            for section, items in doc.get("components", {}).items():
                merged["components"].setdefault(section, {}).update(
                    {k: v for k, v in items.items() if k not in merged["components"].get(section, {})})
        return merged

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op = checked[0]
        if (op.method, op.template) == ("POST", "/v3/mail/send"):
            return Response(status_code=202, headers={"X-Message-Id": uuid.uuid4().hex[:22]})   # B: id shape
        if (op.method, op.template) == ("PUT", "/v3/marketing/contacts"):
            return JSONResponse({"job_id": str(uuid.uuid4())}, status_code=202)
        return await super()._serve(request, account, checked)


STANDIN = SendGridStandIn(
    SLUG, "SendGrid", "sendgrid", origins={"https://api.sendgrid.com": "/api"},
    error=_error,
    messages={"unauthorized": "authorization required", "not_found": "resource not found",       # V (404 B)
              "rate_limit": "too many requests", "server_error": "internal server error"},      # V (500 B)
    rate_limit=EpochRateLimit(600, 60.0),     # B: numbers per endpoint are not published (v2's 600/min)
)
SANDBOX = STANDIN.provider()
