"""Vercel sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``vercel/vercel-spec.json`` is Vercel's own OpenAPI file as published in github.com/vercel/sdk (October 2025;
shared/specs/vercel/SOURCE.txt): paths, query parameters, the ``createDeployment`` body and the answers. Sources for
the rest: vercel.com/docs/rest-api/errors (V: ``{error: {code, message}}``; ``forbidden`` / "Not authorized" for a
missing or bad token, HTTP 403; ``rate_limited`` with ``limit: {remaining, reset, resetMs, total}``, reset in epoch
seconds; ``not_found``; ``bad_request``). That ``x-ratelimit-reset`` holds epoch seconds like the body's
``limit.reset``, and the numbers of the limits, are B.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from services.sandbox.standin import RateLimit, StandIn

SLUG = "vercel"
CODES = {400: "bad_request", 401: "forbidden", 403: "forbidden", 404: "not_found", 429: "rate_limited",
         500: "internal_server_error", 503: "internal_server_error"}
LIMIT = 100          # B: per endpoint and minute


def _error(status: int, message: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": CODES.get(status, "internal_server_error"), "message": message}
    if status in (401, 403):
        body["invalidToken"] = True                                   # B: sent for a token Vercel does not know
    if status == 429:
        reset = int(time.time()) + 60
        body["limit"] = {"remaining": 0, "reset": reset, "resetMs": reset * 1000, "total": LIMIT}   # V: shape
    return {"error": body}


@dataclass(frozen=True)
class EpochRateLimit(RateLimit):
    """x-ratelimit-reset as the window's end in epoch seconds (B: as the 429 body's ``limit.reset``, V)."""

    def header_values(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(int(time.time() + max(1.0, reset)))}


STANDIN = StandIn(
    SLUG, "Vercel", "vercel/vercel-spec.json", origins={"https://api.vercel.com": "/api"},
    seed={"projects": [{"id": "prj_1", "name": "example-site", "accountId": "team_1", "framework": "nextjs",
                        "createdAt": 1767258000000, "updatedAt": 1767258000000}],
          "deployments": [{"id": "dpl_1", "uid": "dpl_1", "name": "example-site", "projectId": "prj_1",
                           "url": "example-site-xxxxxxxxx.vercel.app", "state": "READY", "readyState": "READY",
                           "target": "production", "created": 1767258000000, "createdAt": 1767258000000}]},
    id_prefixes={"projects": "prj_", "deployments": "dpl_"},
    overrides={"GET /v10/projects": {"kind": "list", "collection": "projects", "record_path": "projects"},
               "GET /v6/deployments": {"kind": "list", "collection": "deployments", "record_path": "deployments"}},
    error=_error,
    messages={"unauthorized": "Not authorized",                                                  # V: errors page
              "not_found": "The requested resource could not be found",                          # B: wording
              "rate_limit": "Rate limit exceeded"},                                              # B: wording
    rate_limit=EpochRateLimit(LIMIT, 60.0),
    refused_status=403,                                                                          # V: forbidden
)
SANDBOX = STANDIN.provider()
