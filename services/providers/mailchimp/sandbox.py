"""Mailchimp sandbox: OAuth without scopes, PKCE or refresh tokens (tokens never expire), the metadata
call that names the data centre, and the Marketing API 3.0 under ``/api/<dc>/3.0``.

API auth is HTTP Basic with an API key ending ``-usNN`` (any username; the suffix must name the data
centre of the URL) or ``Bearer`` with an OAuth token (data centre ``us21``). Endpoints: ping, lists,
members (PUT upsert by md5(lower(email)), the raw email or the contact id; GET; PATCH), member tags
(POST, 204), campaigns (GET; ``actions/send``, 204). Errors are ``application/problem+json``
``{type, title, status, detail, instance, errors[]}`` (V2; ``errors[]`` B). Each user may have 10
requests in flight; the eleventh gets 429 with no rate-limit headers (V2).

State per sandbox account (``state(account)``) is seeded with the catalog's example ids: audience
``a1b2c3d4e5`` (Jane Doe subscribed) and campaign ``42694e9e57`` (ready to send).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox import faults
from services.sandbox.api import SandboxApi, empty_object
from services.sandbox.common import OAuthServer, SandboxProvider, basic, bearer, sandbox_account
from services.sandbox.limits import Concurrency
from services.sandbox.store import AccountStore, State, next_id

SLUG = "mailchimp"
SANDBOX_DC = "us21"
CONNECTIONS = Concurrency(10)            # V2: 10 simultaneous connections per user
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SEED_TIME = "2026-01-01T09:00:00+00:00"
OAUTH = OAuthServer(
    provider="Mailchimp", authorize_path="/login/oauth2/authorize", token_path="/login/oauth2/token",
    access_ttl=None, refresh="none", pkce=False, client_auth="post",
    extras=lambda account, request: {"scope": None},
)


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()   # noqa: S324 - Mailchimp's id, not security


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _member(list_id: str, email: str, status: str, merge: dict[str, str], web_id: int, when: str) -> dict[str, Any]:
    ident = subscriber_hash(email)
    return {"id": ident, "email_address": email, "unique_email_id": ident[:10], "contact_id": ident[-12:],
            "web_id": web_id, "email_type": "html", "status": status, "merge_fields": merge, "interests": {},
            "language": "", "vip": False, "source": "API - Generic", "timestamp_signup": when,
            "timestamp_opt": when if status == "subscribed" else "", "last_changed": when, "list_id": list_id,
            "tags": []}


def _seed(account: str) -> State:
    merge = [{"tag": "FNAME", "name": "First Name", "type": "text", "required": False},
             {"tag": "LNAME", "name": "Last Name", "type": "text", "required": False}]
    jane = _member("a1b2c3d4e5", "jane.doe@example.com", "subscribed", {"FNAME": "Jane", "LNAME": "Doe"}, 1,
                   SEED_TIME)
    return {
        "lists": {
            "a1b2c3d4e5": {"id": "a1b2c3d4e5", "web_id": 101, "name": "Sandbox audience", "merge_fields": merge,
                           "members": {jane["id"]: jane}, "tags": {}},
            "b2c3d4e5f6": {"id": "b2c3d4e5f6", "web_id": 102, "name": "Second audience", "merge_fields": merge,
                           "members": {}, "tags": {}},
        },
        "campaigns": {
            "42694e9e57": {"id": "42694e9e57", "web_id": 201, "type": "regular", "status": "save",
                           "recipients": {"list_id": "a1b2c3d4e5"}, "settings": {"subject_line": "Hello",
                                                                                "from_name": account.title()},
                           "content_set": True, "send_time": "", "emails_sent": 0},
            "5d0c1b2a39": {"id": "5d0c1b2a39", "web_id": 202, "type": "regular", "status": "save",
                           "recipients": {"list_id": ""}, "settings": {"subject_line": "", "from_name": ""},
                           "content_set": False, "send_time": "", "emails_sent": 0},   # not ready
        },
        "_counters": {"web_id": 2, "tag_id": 1},
    }


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox account's Mailchimp data (tests compare it before/after)."""
    return STORE.snapshot(account)


# ---------------------------------------------------------------- errors (problem+json)
def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"type": ERRORS_DOC, "title": title, "status": status, "detail": detail,
                            "instance": str(uuid.uuid4())}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _fault(status: int, title: str, detail: str, headers: dict[str, str] | None = None
           ) -> tuple[int, object, dict[str, str]]:
    return (status, {"type": ERRORS_DOC, "title": title, "status": status, "detail": detail,
                     "instance": str(uuid.uuid4())}, {"Content-Type": "application/problem+json", **(headers or {})})


_TOO_MANY = "You have exceeded the limit of 10 simultaneous connections."   # B: wording
faults.bodies[SLUG] = {
    # Mailchimp sends no rate-limit headers (V2); a switch armed with retry_after adds Retry-After.
    "rate_limit": lambda f: _fault(429, "Too Many Requests", _TOO_MANY, faults.retry_after(f)),
    "expired_token": lambda f: _fault(401, "API Key Invalid", "Your API key may be invalid, or you've attempted "
                                      "to access the wrong datacenter."),
    "server_error": lambda f: _fault(500, "Internal Server Error", "An unexpected internal error has occurred. "
                                     "Please contact Support for more information."),   # B
    "unavailable": lambda f: _fault(503, "Service Unavailable", "The service is temporarily unavailable.",
                                    faults.retry_after(f)),
}


def not_found() -> Response:
    return problem(404, "Resource Not Found", "The requested resource could not be found.")


def invalid(detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    return problem(400, "Invalid Resource", detail, errors)


def _schema_error(*errors: dict[str, str]) -> Response:
    return invalid("The resource submitted could not be validated. For field-specific details, see the "
                   "'errors' array.", list(errors))


# ---------------------------------------------------------------- auth and plumbing
def _key_invalid() -> Response:   # problem+json (V2); title/detail wording B
    return problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong "
                   "datacenter.")


def authenticate(request: Request) -> str | Response | None:
    """The account of an API key (``-usNN`` must name the URL's data centre) or of an OAuth token, or the
    refusal (None: the key is invalid)."""
    dc = request.path_params["dc"]
    pair = basic(request)
    if pair is not None:
        suffix = re.search(r"-(us\d+)$", pair[1])
        if suffix and suffix.group(1) != dc:   # B: 403 WrongDatacenter
            return problem(403, "Wrong Datacenter", "The API key provided is linked to a different "
                           "datacenter. Use the server prefix of your key.")
        return sandbox_account(pair[1]) if suffix else None
    token = bearer(request)
    if token is None:
        return problem(401, "API Key Missing", "Your request did not include an API key.")   # B: wording
    return OAUTH.account_for_token(token) if dc == SANDBOX_DC else None


# Auth, a connection slot (10 per user), the fault switches, then the handler. B: title of a body that is not JSON.
API = SandboxApi(
    SLUG, auth=authenticate, refuse=lambda request: _key_invalid(), connections=CONNECTIONS,
    too_many=lambda decision: problem(429, "Too Many Requests", _TOO_MANY), empty=empty_object,
    bad_body=lambda exc: problem(400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."),
)
V3 = "/api/{dc}/3.0"
MEMBER = V3 + "/lists/{list_id}/members/{member}"


def _resolve(lst: dict[str, Any], segment: str) -> str | None:
    """The subscriber hash named by the URL segment: md5(lower(email)), the raw email or the contact id (V)."""
    if "@" in segment:
        return subscriber_hash(segment)
    if re.fullmatch(r"[0-9a-fA-F]{32}", segment):
        return segment.lower()
    return next((m["id"] for m in lst["members"].values() if m["contact_id"] == segment), None)


def _view(member: dict[str, Any]) -> dict[str, Any]:
    merge = member["merge_fields"]
    return {**member, "full_name": " ".join(v for v in (merge.get("FNAME"), merge.get("LNAME")) if v),
            "tags_count": len(member["tags"]), "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "member_rating": 2, "_links": []}


def _merge_errors(lst: dict[str, Any], merge: Any) -> list[dict[str, str]]:
    if merge is None:
        return []
    if not isinstance(merge, dict):
        return [{"field": "merge_fields", "message": "Schema describes object, " + type(merge).__name__ +
                 " found instead"}]
    known = {f["tag"] for f in lst["merge_fields"]}
    return [{"field": f"merge_fields.{tag}", "message": "Merge field values must be strings."}
            for tag, value in merge.items() if tag in known and not isinstance(value, str | int | float)]


def _apply_merge(lst: dict[str, Any], member: dict[str, Any], merge: dict[str, Any] | None) -> None:
    known = {f["tag"] for f in lst["merge_fields"]}   # B: unknown merge tags are ignored
    for tag, value in (merge or {}).items():
        if tag in known:
            member["merge_fields"][tag] = str(value)


# ---------------------------------------------------------------- endpoints
@API.route(f"{V3}/ping", ["GET"])
async def ping(request: Request, account: str) -> Response:
    return JSONResponse({"health_status": "Everything's Chimpy!"})   # V (ping) / B (body text)


@API.route(V3 + "/lists/{list_id}", ["GET"])
async def get_list(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        lst = data["lists"].get(request.path_params["list_id"])
        if lst is None:
            return not_found()
        members = lst["members"].values()
        return JSONResponse({"id": lst["id"], "web_id": lst["web_id"], "name": lst["name"],
                             "stats": {"member_count": sum(m["status"] == "subscribed" for m in members),
                                       "unsubscribe_count": sum(m["status"] == "unsubscribed" for m in members)}})


@API.route(MEMBER, ["PUT"], body=True)
async def put_member(request: Request, account: str, body: Any) -> Response:
    if not isinstance(body, dict):
        return _schema_error({"field": "", "message": "Schema describes object, array found instead"})
    email = body.get("email_address")   # B: body field names (email_address, status_if_new, merge_fields)
    errors = []
    if not isinstance(email, str) or not email.strip():
        errors.append({"field": "email_address", "message": "This value should not be blank."})
    for name in ("status_if_new", "status"):
        if name in body and body[name] not in MEMBER_STATUSES:
            errors.append({"field": name, "message": f"Value must be one of: {', '.join(MEMBER_STATUSES)}"})
    if errors:
        return _schema_error(*errors)
    email = str(email).strip()   # a string: checked above
    if not EMAIL.match(email):   # B: wording
        return invalid(f"{email} looks fake or invalid, please enter a real email address.")
    with STORE.use(account) as data:
        lst = data["lists"].get(request.path_params["list_id"])
        if lst is None:
            return not_found()
        ident = _resolve(lst, request.path_params["member"])
        if ident is None or ident != subscriber_hash(email):   # B: wording
            return invalid("The subscriber hash in the URL does not match the email_address in the request body.")
        merge_errors = _merge_errors(lst, body.get("merge_fields"))
        if merge_errors:
            return invalid("Your merge fields were invalid.", merge_errors)
        member = lst["members"].get(ident)
        if member is None:
            status = body.get("status_if_new") or body.get("status")
            if not status:
                return _schema_error({"field": "status_if_new", "message": "This value should not be blank."})
            member = _member(lst["id"], email, status, {f["tag"]: "" for f in lst["merge_fields"]},
                             next_id(data, "web_id"), _now())
            lst["members"][ident] = member
        elif body.get("status"):
            member["status"] = body["status"]
        _apply_merge(lst, member, body.get("merge_fields"))
        member["last_changed"] = _now()
        return JSONResponse(_view(member))


@API.route(MEMBER, ["GET"])
async def get_member(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        lst = data["lists"].get(request.path_params["list_id"])
        ident = _resolve(lst, request.path_params["member"]) if lst else None
        member = lst["members"].get(ident) if lst and ident else None
        return JSONResponse(_view(member)) if member else not_found()


@API.route(MEMBER, ["PATCH"], body=True)
async def patch_member(request: Request, account: str, body: Any) -> Response:
    if not isinstance(body, dict):
        return _schema_error({"field": "", "message": "Schema describes object, array found instead"})
    if "status" in body and body["status"] not in MEMBER_STATUSES:
        return _schema_error({"field": "status", "message": f"Value must be one of: {', '.join(MEMBER_STATUSES)}"})
    if "email_address" in body and not EMAIL.match(str(body["email_address"])):
        return invalid(f"{body['email_address']} looks fake or invalid, please enter a real email address.")
    with STORE.use(account) as data:
        lst = data["lists"].get(request.path_params["list_id"])
        ident = _resolve(lst, request.path_params["member"]) if lst else None
        member = lst["members"].get(ident) if lst and ident else None
        if member is None:
            return not_found()
        merge_errors = _merge_errors(lst, body.get("merge_fields"))
        if merge_errors:
            return invalid("Your merge fields were invalid.", merge_errors)
        if body.get("status"):
            member["status"] = body["status"]
            if body["status"] == "subscribed":
                member["timestamp_opt"] = _now()
        _apply_merge(lst, member, body.get("merge_fields"))
        member["last_changed"] = _now()
        return JSONResponse(_view(member))


@API.route(MEMBER + "/tags", ["POST"], body=True)
async def member_tags(request: Request, account: str, body: Any) -> Response:
    tags = body.get("tags") if isinstance(body, dict) else None   # B: body shape {tags: [{name, status}]}
    if not isinstance(tags, list):
        return _schema_error({"field": "tags", "message": "Schema describes array, NULL found instead"})
    errors = []
    for index, tag in enumerate(tags):
        if not isinstance(tag, dict) or not str(tag.get("name") or "").strip():
            errors.append({"field": f"tags.item:{index}.name", "message": "This value should not be blank."})
        elif tag.get("status") not in ("active", "inactive"):
            errors.append({"field": f"tags.item:{index}.status", "message": "Value must be one of: active, inactive"})
    if errors:
        return _schema_error(*errors)
    with STORE.use(account) as data:
        lst = data["lists"].get(request.path_params["list_id"])
        ident = _resolve(lst, request.path_params["member"]) if lst else None
        member = lst["members"].get(ident) if lst and ident else None
        if member is None:
            return not_found()
        for tag in tags:
            name = str(tag["name"]).strip()
            current = [t for t in member["tags"] if t["name"] == name]
            if tag["status"] == "active" and not current:
                tag_id = lst["tags"].get(name) or next_id(data, "tag_id")
                lst["tags"][name] = tag_id
                member["tags"].append({"id": tag_id, "name": name})
            elif tag["status"] == "inactive" and current:
                member["tags"] = [t for t in member["tags"] if t["name"] != name]
        member["last_changed"] = _now()
    return Response(status_code=204)   # V (path) / B (204)


@API.route(V3 + "/campaigns/{campaign_id}", ["GET"])
async def get_campaign(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        campaign = data["campaigns"].get(request.path_params["campaign_id"])
        return JSONResponse(campaign) if campaign else not_found()


@API.route(V3 + "/campaigns/{campaign_id}/actions/send", ["POST"])
async def send_campaign(request: Request, account: str) -> Response:
    with STORE.use(account) as data:
        campaign = data["campaigns"].get(request.path_params["campaign_id"])
        if campaign is None:
            return not_found()
        if campaign["status"] in ("sent", "sending"):   # B: wording
            return problem(400, "Bad Request", "This campaign has already been sent.")
        lst = data["lists"].get(campaign["recipients"]["list_id"])
        if lst is None or not campaign["content_set"] or not campaign["settings"]["subject_line"]:
            return problem(400, "Bad Request", "Your Campaign is not ready to send.")   # B: wording
        campaign["status"], campaign["send_time"] = "sent", _now()
        campaign["emails_sent"] = sum(m["status"] == "subscribed" for m in lst["members"].values())
    return Response(status_code=204)   # B: 204


# ---------------------------------------------------------------- OAuth metadata (login host)
async def metadata(request: Request) -> Response:
    account = OAUTH.account_for_token(bearer(request, "OAuth"))
    if account is None:   # B: body of a refused metadata call
        return JSONResponse({"error": "invalid_token", "error_description": "Invalid token"}, status_code=401)
    return JSONResponse({"dc": SANDBOX_DC, "role": "owner", "accountname": account, "user_id": 1,
                         "login": {"email": f"{account}@sandbox.example", "login_id": 1, "login_name": account},
                         "login_url": "https://login.mailchimp.com",
                         "api_endpoint": f"https://{SANDBOX_DC}.api.mailchimp.com"})


SANDBOX = SandboxProvider(
    slug=SLUG, name="Mailchimp", oauth=OAUTH,
    origins={"https://login.mailchimp.com": "/login", "https://*.api.mailchimp.com": "/api/*"},
    api_routes=[Route("/login/oauth2/metadata", metadata, methods=["GET"]), *API.routes],
)
