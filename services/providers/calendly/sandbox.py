"""Calendly sandbox: OAuth with PKCE, client authentication by HTTP Basic, 2-hour access tokens and
single-use rotating refresh tokens (reuse is ``invalid_grant``), revoke, and the API v2 under ``/api``.

API (Bearer token): GET /users/me; GET /scheduled_events (user / organization URI, status, time range,
invitee_email, sort, count, page_token with ``pagination.next_page_token``); GET /scheduled_events/{uuid};
POST /scheduled_events/{uuid}/cancellation (201); webhook_subscriptions (POST 201, GET, DELETE 204).
Every authenticated response carries X-RateLimit-Limit / -Remaining / -Reset (seconds), and a user's
501st request within a minute gets 429 (V: rate-limits page). Errors are
``{"title", "message", "details": [{"parameter", "message"}]}`` (V: shape; wording B).

Each sandbox account is one user, owner of one organization, with a few deterministic scheduled
events (``state(account)``); the first has the catalog's example uuid. The catalog's example user and
organization URIs (``EXAMPLE_USER``, ``EXAMPLE_ORGANIZATION``) stand for the token's own user and organization.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults
from services.sandbox.api import SandboxApi, bearer_token, empty_object, read_object
from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.limits import Decision, FixedWindow
from services.sandbox.store import AccountStore, State

SLUG = "calendly"
ORIGIN = "https://api.calendly.com"
LIMITER = FixedWindow(500, 60)           # V: paid plans, 500 requests per user per minute
EVENTS = ("invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted",
          "routing_form_submission.created")   # B: the full list of webhook events
EXAMPLE_EVENT = "11111111-2222-4333-8444-555555555555"   # the catalog's example event_uuid


def _uid(account: str, kind: str) -> str:
    return hashlib.sha256(f"{kind}:{account}".encode()).hexdigest()[:16].upper()


# The catalog's example URIs (get_scheduled_events): in the sandbox they name the token's own user and
# organization, so the example runs on any account; another account's URIs stay forbidden.
EXAMPLE_USER = f"{ORIGIN}/users/AAAAAAAAAAAAAAAA"
EXAMPLE_ORGANIZATION = f"{ORIGIN}/organizations/BBBBBBBBBBBBBBBB"


def user_uri(account: str) -> str:
    return f"{ORIGIN}/users/{_uid(account, 'u')}"


def organization_uri(account: str) -> str:
    return f"{ORIGIN}/organizations/{_uid(account, 'o')}"


def _extras(account: str, request: Request) -> dict[str, object]:
    # B: owner/organization in the token response (user and organization URIs)
    return {"created_at": int(time.time()), "owner": user_uri(account), "organization": organization_uri(account)}


OAUTH = OAuthServer(
    provider="Calendly", authorize_path="/auth/oauth/authorize", token_path="/auth/oauth/token",
    access_ttl=7200, refresh="rotate", pkce=True, client_auth="basic", token_type="Bearer",
    revoke_path="/auth/oauth/revoke", extras=_extras,
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# (days after 2026-01-05 15:00 UTC, minutes, name, canceled)
_SEED_EVENTS = [(0, 30, "30 Minute Meeting", False), (3, 60, "Discovery call", True),
                (7, 30, "30 Minute Meeting", False), (14, 15, "Quick check-in", False),
                (28, 60, "Discovery call", False), (42, 30, "30 Minute Meeting", False)]


def _seed(account: str) -> State:
    base = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    created = _iso(datetime(2025, 12, 20, 12, 0, tzinfo=UTC))
    events = {}
    for index, (days, minutes, name, canceled) in enumerate(_SEED_EVENTS):
        ident = EXAMPLE_EVENT if index == 0 else str(uuid.uuid5(uuid.NAMESPACE_URL, f"calendly:{account}:{index}"))
        start = base + timedelta(days=days)
        event: dict[str, Any] = {
            "uri": f"{ORIGIN}/scheduled_events/{ident}", "name": name, "status": "canceled" if canceled else "active",
            "start_time": _iso(start), "end_time": _iso(start + timedelta(minutes=minutes)),
            "event_type": f"{ORIGIN}/event_types/{_uid(account + name, 'et')}",
            "location": {"type": "google_conference", "status": "pushed",
                         "join_url": f"https://meet.google.com/sbx-{ident[:8]}"},
            "invitees_counter": {"total": 1, "active": 0 if canceled else 1, "limit": 1},
            "created_at": created, "updated_at": created,
            "event_memberships": [{"user": user_uri(account), "user_email": f"{account}@sandbox.example",
                                   "user_name": account.title()}],
            "event_guests": [], "meeting_notes_plain": None, "meeting_notes_html": None, "calendar_event": None,
            "invitee_email": f"invitee{index}@example.com",   # sandbox-only: for the invitee_email filter
        }
        if canceled:
            event["cancellation"] = {"canceled_by": "Invitee", "reason": "Could not make it",
                                     "canceler_type": "invitee", "created_at": created}
        events[ident] = event
    return {"events": events, "webhooks": {}}


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox account's Calendly data (tests compare it before/after)."""
    return STORE.snapshot(account)


# ---------------------------------------------------------------- errors and plumbing
def error(status: int, title: str, message: str, details: list[dict[str, str]] | None = None,
          headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"title": title, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def invalid(*details: dict[str, str]) -> Response:
    return error(400, "Invalid Argument", "The supplied parameters are invalid.", list(details))


def not_found() -> Response:
    return error(404, "Resource Not Found", "The server could not find the requested resource.")


def forbidden(message: str = "You do not have permission to access this resource.") -> Response:
    return error(403, "Permission Denied", message)


def _limit_headers(decision: Decision | None) -> dict[str, str]:
    assert decision is not None
    return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(max(1, round(decision.reset)))}


def _fault_limit(f: faults.Fault) -> tuple[int, object, dict[str, str]]:
    reset = str(int(f.retry_after or 60))
    return (429, {"title": "Too Many Requests", "message": "You have exceeded the rate limit. Please retry after "
                  f"{reset} seconds."}, {"X-RateLimit-Limit": str(LIMITER.limit), "X-RateLimit-Remaining": "0",
                                         "X-RateLimit-Reset": reset})


faults.bodies[SLUG] = {
    "rate_limit": _fault_limit,   # V: headers; wording B
    "expired_token": lambda f: (401, {"title": "Unauthenticated", "message": "The access token expired"}, {}),
    "server_error": lambda f: (500, {"title": "Internal Server Error", "message": "An unexpected error occurred."},
                               {}),
    "unavailable": lambda f: (503, {"title": "Service Unavailable", "message": "Please try again later."},
                              faults.retry_after(f)),
}


def _too_many(decision: Decision) -> Response:
    return error(429, "Too Many Requests", "You have exceeded the rate limit. Please retry after "
                 f"{max(1, round(decision.reset))} seconds.", headers=_limit_headers(decision))


# Bearer auth, fault switches, the per-user minute window, then the handler; every answer past the window
# carries the rate-limit headers. Error shape {title, message, details} is V; the wording is B.
API = SandboxApi(
    SLUG, auth=bearer_token(OAUTH.account_for_token),
    refuse=lambda request: error(401, "Unauthenticated", "The access token is invalid"),
    limit=LIMITER, too_many=_too_many, headers=_limit_headers, read=read_object, empty=empty_object,
    bad_body=lambda exc: invalid({"parameter": "body",
                                  "message": "must be an object" if exc.kind == "object" else "is not valid JSON"}),
)


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "invitee_email"}


def _time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _between(start: str, low: datetime | None, high: datetime | None) -> bool:
    """Whether a stored start time is within the optional bounds."""
    if low is None and high is None:
        return True
    moment = _time(start)
    return moment is not None and (low is None or moment >= low) and (high is None or moment <= high)


# ---------------------------------------------------------------- endpoints
@API.route("/api/users/me", ["GET"])   # B: path (V2: trocco)
async def users_me(request: Request, account: str) -> Response:
    return JSONResponse({"resource": {
        "uri": user_uri(account), "name": account.title(), "slug": account, "email": f"{account}@sandbox.example",
        "scheduling_url": f"https://calendly.com/{account}", "timezone": "UTC", "avatar_url": None,
        "created_at": "2025-01-01T00:00:00.000000Z", "updated_at": "2025-01-01T00:00:00.000000Z",
        "current_organization": organization_uri(account), "resource_type": "User", "locale": "en"}})


def _page_token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> int | None:
    try:
        offset, _, mark = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
        return int(offset) if mark == fingerprint and int(offset) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


@API.route("/api/scheduled_events", ["GET"])
async def list_events(request: Request, account: str) -> Response:
    query = request.query_params
    user, organization, group = query.get("user"), query.get("organization"), query.get("group")
    details = []
    if not (user or organization or group):   # B: one of user, organization or group is required
        details.append({"parameter": "user", "message": "one of user, organization or group must be provided"})
    status = query.get("status")
    if status and status not in ("active", "canceled"):
        details.append({"parameter": "status", "message": "must be one of active, canceled"})
    count_raw = query.get("count", "20")
    count = int(count_raw) if count_raw.isdigit() else 0
    if not 1 <= count <= 100:
        details.append({"parameter": "count", "message": "must be an integer between 1 and 100"})
    sort = query.get("sort", "start_time:asc")
    if sort not in ("start_time:asc", "start_time:desc"):
        details.append({"parameter": "sort", "message": "must be start_time:asc or start_time:desc"})
    bounds: dict[str, datetime] = {}
    for name in ("min_start_time", "max_start_time"):
        if query.get(name):
            moment = _time(query[name])
            if moment is None:
                details.append({"parameter": name, "message": "must be a valid ISO 8601 date-time"})
            else:
                bounds[name] = moment
    if details:
        return invalid(*details)
    if organization and organization not in (organization_uri(account), EXAMPLE_ORGANIZATION):
        return forbidden()
    if user and user not in (user_uri(account), EXAMPLE_USER):
        return forbidden() if not organization else not_found()
    if group:   # the sandbox user belongs to no group
        return forbidden()
    fingerprint = hashlib.sha256(json.dumps(sorted((k, v) for k, v in query.items() if k != "page_token"))
                                 .encode()).hexdigest()[:12]
    offset = 0
    if query.get("page_token"):
        read = _read_token(query["page_token"], fingerprint)
        if read is None:
            return invalid({"parameter": "page_token", "message": "is invalid"})
        offset = read
    invitee = query.get("invitee_email", "").lower()
    with STORE.use(account) as data:
        events = [e for e in data["events"].values()
                  if (not status or e["status"] == status)
                  and (not invitee or e["invitee_email"] == invitee)
                  and _between(e["start_time"], bounds.get("min_start_time"), bounds.get("max_start_time"))]
        events.sort(key=lambda e: e["start_time"], reverse=sort.endswith("desc"))
        page = [_public(e) for e in events[offset:offset + count]]
    params = [(k, v) for k, v in query.items() if k != "page_token"]
    next_token = _page_token(offset + count, fingerprint) if offset + count < len(events) else None
    previous_token = _page_token(max(0, offset - count), fingerprint) if offset > 0 else None

    def link(token: str | None) -> str | None:
        return f"{ORIGIN}/scheduled_events?{urlencode([*params, ('page_token', token)])}" if token else None
    return JSONResponse({"collection": page, "pagination": {
        "count": len(page), "next_page": link(next_token), "previous_page": link(previous_token),
        "next_page_token": next_token, "previous_page_token": previous_token}})


@API.route("/api/scheduled_events/{uuid}", ["GET"])
async def get_event(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        event = data["events"].get(request.path_params["uuid"])
        return JSONResponse({"resource": _public(event)}) if event else not_found()


@API.route("/api/scheduled_events/{uuid}/cancellation", ["POST"], body=True)
async def cancel_event(request: Request, account: str, body: dict[str, Any]) -> Response:
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        return invalid({"parameter": "reason", "message": "must be a string"})
    if reason and len(reason) > 10000:   # V: at most 10000 characters
        return invalid({"parameter": "reason", "message": "is too long (maximum is 10000 characters)"})
    with STORE.use(account) as data:
        event = data["events"].get(request.path_params["uuid"])
        if event is None:
            return not_found()
        if event["status"] == "canceled":   # B: status and wording
            return forbidden("Event is already canceled")
        cancellation = {"canceled_by": account.title(), "reason": reason or None, "canceler_type": "host",
                        "created_at": _iso(datetime.now(UTC))}
        event.update(status="canceled", cancellation=cancellation, updated_at=cancellation["created_at"])
        event["invitees_counter"]["active"] = 0
    return JSONResponse({"resource": cancellation}, status_code=201)   # V: 201 {resource: Cancellation}


def _webhook_view(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hook.items() if k != "signing_key"}


@API.route("/api/webhook_subscriptions", ["POST"], body=True)
async def create_webhook(request: Request, account: str, body: dict[str, Any]) -> Response:
    details = []
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        details.append({"parameter": "url", "message": "must be a valid URL"})
    events = body.get("events")
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        details.append({"parameter": "events", "message": f"must be a non-empty list of: {', '.join(EVENTS)}"})
    scope = body.get("scope")
    if scope not in ("user", "organization", "group"):
        details.append({"parameter": "scope", "message": "must be one of user, organization, group"})
    if not body.get("organization"):
        details.append({"parameter": "organization", "message": "is required"})
    if scope == "user" and not body.get("user"):
        details.append({"parameter": "user", "message": "is required when scope is user"})
    if details:
        return invalid(*details)
    if body["organization"] != organization_uri(account) or (body.get("user") and body["user"] != user_uri(account)):
        return forbidden()
    with STORE.use(account) as data:
        if any(h["callback_url"] == url and h["scope"] == scope and h["state"] == "active"
               for h in data["webhooks"].values()):
            return error(409, "Already Exists", "Hook with this url already exists")   # B: wording
        ident = str(uuid.uuid4())
        now = _iso(datetime.now(UTC))
        hook = {"uri": f"{ORIGIN}/webhook_subscriptions/{ident}", "callback_url": url, "created_at": now,
                "updated_at": now, "retry_started_at": None, "state": "active", "events": list(body["events"]),
                "scope": scope, "organization": body["organization"],
                "user": body.get("user") if scope == "user" else None, "group": body.get("group"),
                "creator": user_uri(account), "signing_key": body.get("signing_key")}
        data["webhooks"][ident] = hook
        return JSONResponse({"resource": _webhook_view(hook)}, status_code=201)


@API.route("/api/webhook_subscriptions", ["GET"])
async def list_webhooks(request: Request, account: str) -> Response:
    query = request.query_params
    details = []
    if not query.get("organization"):
        details.append({"parameter": "organization", "message": "is required"})
    if query.get("scope") not in ("user", "organization", "group"):
        details.append({"parameter": "scope", "message": "must be one of user, organization, group"})
    if query.get("scope") == "user" and not query.get("user"):   # V: list reference, "required if scope is user"
        details.append({"parameter": "user", "message": "is required when scope is user"})
    if details:
        return invalid(*details)
    with STORE.use(account) as data:
        hooks = [_webhook_view(h) for h in data["webhooks"].values()
                 if h["organization"] == query["organization"] and h["scope"] == query["scope"]
                 and (query["scope"] != "user" or h["user"] == query["user"])]
    return JSONResponse({"collection": hooks, "pagination": {"count": len(hooks), "next_page": None,
                                                             "previous_page": None, "next_page_token": None,
                                                             "previous_page_token": None}})


@API.route("/api/webhook_subscriptions/{uuid}", ["DELETE"])
async def delete_webhook(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        if data["webhooks"].pop(request.path_params["uuid"], None) is None:
            return not_found()
    return Response(status_code=204)


SANDBOX = SandboxProvider(
    slug=SLUG, name="Calendly", oauth=OAUTH,
    origins={"https://auth.calendly.com": "/auth", "https://api.calendly.com": "/api"},
    api_routes=API.routes,
)
