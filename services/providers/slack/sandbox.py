"""Slack sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``slack/slack_web_openapi_v2.json`` is Slack's own Swagger 2 file of 2021 (shared/specs/slack/SOURCE.txt):
methods, their ``formData`` arguments and example answers. Sources for the rest: api.slack.com/apis/rate-limits
(per method per workspace tiers; 429 with Retry-After, V); api.slack.com/web (errors as ``{ok: false, error}``, V).

Slack answers an unknown or revoked token with HTTP 200 ``{ok: false, error: invalid_auth}`` (V), and so does the
stand-in; the catalog's ``http.auth_error_codes`` makes the Hub read that as a refused credential.
"""

from __future__ import annotations

from typing import Any

from services.sandbox.standin import RateLimit, StandIn

SLUG = "slack"


def _error(status: int, message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


STANDIN = StandIn(
    SLUG, "Slack", "slack/slack_web_openapi_v2.json", origins={"https://slack.com": "/api"},
    overrides={"POST /chat.postMessage": {"kind": "static"}},      # answers the definition's example message
    error=_error,
    messages={"unauthorized": "invalid_auth", "not_found": "unknown_method", "rate_limit": "ratelimited",
              "server_error": "internal_error", "unavailable": "service_unavailable",
              "bad_json": "invalid_json"},                                                   # V: error codes
    # V: conversations.list is Tier 2 (20+ per minute), 429 with Retry-After; auth.test "allows hundreds of requests
    # per minute" (docs.slack.dev/reference/methods/auth.test): tiers are per method, so only the Tier 2 one counts
    rate_limit=RateLimit(20, 60.0, headers=(), retry_after=True, paths=("/conversations.list",)),
    refused_status=200,                                             # V: {ok: false, error: invalid_auth}
)
SANDBOX = STANDIN.provider()
