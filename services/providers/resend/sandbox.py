"""Resend sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``resend/resend.yaml`` is Resend's own OpenAPI file (shared/specs/resend/SOURCE.txt). Sources for the rest:
resend.com/docs/api-reference/errors (error body ``{statusCode, message, name}`` and the names, V),
resend.com/changelog/api-rate-limit (ratelimit-limit/-remaining/-reset and retry-after, V) and
resend.com/docs/api-reference (2 requests per second per team, V).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.standin import RateLimit, StandIn

SLUG = "resend"
EMAIL_ID = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"    # the definition's example id (the catalog's get_email example)

# V: errors page; the sandbox refuses a bad key with 401 (Resend: 401 missing_api_key, 403 invalid_api_key)
NAMES = {400: "validation_error", 401: "missing_api_key", 403: "invalid_api_key", 404: "not_found",
         422: "validation_error", 429: "rate_limit_exceeded", 500: "application_error"}   # B: 500's name


def _error(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "name": NAMES.get(status, "application_error")}


STANDIN = StandIn(
    SLUG, "Resend", "resend/resend.yaml", origins={"https://api.resend.com": "/api"},
    seed={"emails": [{"id": EMAIL_ID, "object": "email", "to": ["jane.doe@example.com"],
                      "from": "Acme <onboarding@example.com>", "subject": "Hello World",
                      "html": "<p>Hello</p>", "last_event": "delivered",
                      "created_at": "2026-01-01 09:00:00.000000+00"}]},
    error=_error,
    messages={"unauthorized": "API key is invalid", "not_found": "The requested endpoint does not exist.",
              "rate_limit": "Too many requests. Please limit the number of requests per second.",
              "server_error": "An unexpected error occurred."},                          # V (500 wording B)
    rate_limit=RateLimit(2, 1.0, headers=("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
                         retry_after=True),
)
SANDBOX = STANDIN.provider()
