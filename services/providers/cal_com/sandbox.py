"""Cal.com sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official API v2 definition.

``cal-com/openapi.json`` is Cal.com's own OpenAPI file (shared/specs/cal-com/SOURCE.txt): paths, query parameters,
bodies and the ``{status: "success", data}`` answers (V). Sources for the rest: the rate-limits page of Cal.com's
docs as mirrored at mintlify.com/calcom/cal.com/api/rate-limits (API key: 120 requests per 60 s, headers
``X-RateLimit-Limit/-Remaining/-Reset-Default``, the reset a unix time, V there); developer.cal.com/api/errors
(401 for no valid API key, 429, V). The error body ``{status: "error", timestamp, path, error: {code, message}}``,
its wordings and a Retry-After on the 429 are B.

Beyond the generic stand-in: ``GET /v2/me`` answers the key's user, and cancelling a booking (an action, not CRUD)
sets its status to ``cancelled`` with the reason (404 for an unknown uid, 400 when already cancelled, B).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import SandboxProvider
from services.sandbox.standin import METHODS, RateLimit, StandIn, _path_values

SLUG = "cal-com"
BOOKING_UID = "xxxxxxxxxxxxxxxxxxxxxx"        # the catalog's cancel_booking example
CODES = {400: "BadRequestException", 401: "UnauthorizedException", 404: "NotFoundException",
         429: "ThrottlerException", 500: "InternalServerErrorException", 503: "ServiceUnavailableException"}   # B


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(status: int, message: str) -> dict[str, Any]:
    return {"status": "error", "timestamp": _now(),
            "error": {"code": CODES.get(status, CODES[500]), "message": message}}                    # B: shape


@dataclass(frozen=True)
class EpochReset(RateLimit):
    """Cal.com's reset header holds the unix time the window resets at, not seconds (V: rate-limits page)."""

    def header_values(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        values = super().header_values(limit, remaining, reset)
        if self.headers:
            values[self.headers[2]] = str(int(time.time()) + max(1, math.ceil(reset)))
        return values


def _booking(uid: str, title: str, start: str, end: str) -> dict[str, Any]:
    return {"id": 1, "uid": uid, "title": title, "description": "", "status": "accepted",
            "start": start, "end": end, "duration": 30, "eventTypeId": 1,
            "hosts": [{"id": 1, "name": "Sandbox Host", "email": "host@example.com", "username": "sandbox",
                       "timeZone": "Europe/London"}],
            "attendees": [{"name": "Jane Doe", "email": "jane.doe@example.com", "timeZone": "Europe/London",
                           "absent": False}],
            "location": "https://example.com/meeting", "absentHost": False, "bookingFieldsResponses": {},
            "createdAt": "2026-01-01T09:00:00.000Z", "updatedAt": "2026-01-01T09:00:00.000Z"}


STANDIN = StandIn(
    SLUG, "Cal.com", "cal-com/openapi.json", origins={"https://api.cal.com": "/api"}, record_path="data",
    id_field="uid",
    seed={"bookings": [_booking(BOOKING_UID, "Discovery call", "2026-01-05T15:00:00.000Z",
                                "2026-01-05T15:30:00.000Z")]},
    error=_error,
    messages={"unauthorized": "ApiAuthStrategy - api key - Invalid API Key", "not_found": "Not Found",   # B
              "rate_limit": "Too Many Requests", "server_error": "Internal server error"},
    rate_limit=EpochReset(120, 60.0, headers=("x-ratelimit-limit-default", "x-ratelimit-remaining-default",
                                              "x-ratelimit-reset-default"), retry_after=True),
)


async def _me(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    return JSONResponse({"status": "success", "data": {
        "id": 1, "username": account, "email": f"{account}@sandbox.example", "name": account.title(),
        "avatarUrl": None, "bio": None, "timeFormat": 24, "defaultScheduleId": 1, "weekStart": "Monday",
        "timeZone": "Europe/London", "organizationId": None}})


async def _cancel(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    op, path, body = checked
    uid = _path_values(op, path).get("bookingUid", "")
    with STANDIN.store.use(account) as data:
        booking = data.setdefault("bookings", {}).get(uid)
        if booking is None:
            return STANDIN._error(404, f"Booking with uid={uid} was not found in the database")          # B
        if booking.get("status") == "cancelled":
            return STANDIN._error(400, "This booking has already been cancelled.")                      # B
        booking.update(status="cancelled", updatedAt=_now(),
                       **({"cancellationReason": body["cancellationReason"]}
                          if isinstance(body, dict) and body.get("cancellationReason") else {}))
        return JSONResponse({"status": "success", "data": dict(booking)})


HANDLERS = {("GET", "/v2/me"): _me, ("POST", "/v2/bookings/{bookingUid}/cancel"): _cancel}


async def _dispatch(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    op = checked[0]
    handler = HANDLERS.get((op.method, op.template))
    return await (handler or STANDIN._serve)(request, account, checked)


SANDBOX = SandboxProvider(
    slug=SLUG, name="Cal.com", origins=STANDIN.origins,
    api_routes=[Route("/api/{path:path}", STANDIN.api.endpoint(_dispatch, body=True), methods=METHODS)])
