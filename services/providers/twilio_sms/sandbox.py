"""Twilio SMS sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``twilio-sms/twilio_api_v2010.json`` is Twilio's own OpenAPI file (shared/specs/twilio-sms/SOURCE.txt): paths,
form-encoded bodies and answers (its response examples). Sources for the rest: twilio.com/docs/usage/
twilios-response (error body ``{code, message, more_info, status}``, V), twilio.com/docs/api/errors/20429 (429
"Too many requests" past the account's concurrency, V); its numbers and headers are not published (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.standin import RateLimit, StandIn

SLUG = "twilio-sms"
CODES = {400: 21201, 401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}   # V: 20003/20404/20429 (B: rest)


def _error(status: int, message: str) -> dict[str, Any]:
    code = CODES.get(status, 20500)
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


STANDIN = StandIn(
    SLUG, "Twilio", "twilio-sms/twilio_api_v2010.json", origins={"https://api.twilio.com": "/api"},
    id_field="sid", id_prefixes={"Messages.json": "SM"},
    overrides={"GET /2010-04-01/Accounts/{Sid}.json": {"kind": "static"}},   # the account itself (who-am-I)
    error=_error,
    messages={"unauthorized": "Authenticate", "not_found": "The requested resource was not found",
              "rate_limit": "Too Many Requests"},                                           # B: wording
    rate_limit=RateLimit(100, 1.0, headers=()),                                             # B: no published rate
)
SANDBOX = STANDIN.provider()
