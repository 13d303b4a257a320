"""Webflow sandbox: OAuth with a JSON token request, no PKCE and no refresh token (tokens stay valid until
revoked), and the Data API v2 endpoints the executors use, checked against the official Fern definition
(``SPEC``, services/sandbox/fern.py) and answered with Webflow's error bodies (``__package__.yml`` errors: V).

Served under ``/sandbox/webflow/api`` (= https://api.webflow.com):
  GET   /v2/token/introspect
  GET   /v2/sites/{site_id}
  POST  /v2/sites/{site_id}/publish                      202; one successful publish per minute, else 429
  GET   /v2/collections/{collection_id}/items            list (offset/limit)
  POST  /v2/collections/{collection_id}/items            202 created (single item or {"items": [...]})
  GET   /v2/collections/{collection_id}/items/{item_id}
  PATCH /v2/collections/{collection_id}/items/{item_id}  200 updated
Every response carries X-RateLimit-Limit / X-RateLimit-Remaining; past the per-minute allowance (120,
or 60 for an account whose name contains "starter" or "basic") the answer is 429 with Retry-After.
Each sandbox account has site 0123456789abcdef01234567 (custom domain ...456a) and a "Blog Posts"
collection 0123456789abcdef01234568 holding one published item 0123456789abcdef01234569 (slug
"welcome-to-the-blog"), the ids the catalog's examples use. ``state(account)`` returns a
deep copy of an account's data for tests. Site webhooks and their deliveries: ``sandbox_webhooks.py``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults, fern
from services.sandbox.api import SandboxApi, bearer_token, spec_checked
from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.limits import Decision, SlidingWindow
from services.sandbox.schema_checks import Problem, is_datetime
from services.sandbox.store import AccountStore, State, next_id

SLUG = "webflow"
SITE_ID = "0123456789abcdef01234567"
DOMAIN_ID = "0123456789abcdef0123456a"
COLLECTION_ID = "0123456789abcdef01234568"
EXAMPLE_ITEM_ID = "0123456789abcdef01234569"   # the catalog's update_cms_item example, seeded in every account
SEEDED_AT = "2026-01-01T00:00:00.000Z"
PUBLISHED_AT = "2026-01-02T09:30:00.000Z"
PUBLISH_INTERVAL = 60.0          # V: sites.yml "one successful publish queue per minute"
WINDOW = 60.0                    # V: rate limits are per minute per key (60 Starter/Basic, 120 CMS and up)
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")   # B: item slugs are lowercase words and hyphens
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

OAUTH = OAuthServer(
    provider="Webflow", authorize_path="/app/oauth/authorize", token_path="/api/oauth/access_token",
    access_ttl=None, refresh="none", pkce=False, client_auth="json", expires_in=False,
)

# B: field types of the sandbox collection (Webflow's collection field types: PlainText, RichText, ...)
FIELDS = [("name", "PlainText", True), ("slug", "PlainText", True), ("summary", "PlainText", False),
          ("post-body", "RichText", False), ("featured", "Switch", False), ("rating", "Number", False),
          ("publish-date", "DateTime", False), ("website", "Link", False), ("contact-email", "Email", False),
          ("color", "Color", False)]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _hex_id(account: str, n: int) -> str:
    return hashlib.sha256(f"{account}:{n}".encode()).hexdigest()[:24]


def _example_item(locale: str) -> dict[str, Any]:
    """The published post every account starts with (the catalog's update_cms_item example item)."""
    return {"id": EXAMPLE_ITEM_ID, "cmsLocaleId": locale, "lastPublished": PUBLISHED_AT, "lastUpdated": SEEDED_AT,
            "createdOn": SEEDED_AT, "isArchived": False, "isDraft": False,
            "fieldData": {"name": "Welcome to the blog", "slug": "welcome-to-the-blog",
                          "summary": "What this blog is about and how often we post.",
                          "post-body": "<p>Thanks for stopping by. New posts arrive every other week.</p>",
                          "featured": True, "rating": 5, "publish-date": PUBLISHED_AT,
                          "website": "https://www.example.com", "contact-email": "editor@example.com",
                          "color": "#3366ff"}}


def _seed(account: str) -> State:
    locale = hashlib.sha256(f"{account}:locale".encode()).hexdigest()[:24]
    return {
        "sites": {SITE_ID: {"id": SITE_ID, "workspaceId": hashlib.sha256(account.encode()).hexdigest()[:24],
                            "displayName": f"{account} site", "shortName": f"{account}-site",
                            "createdOn": SEEDED_AT, "lastPublished": PUBLISHED_AT, "lastUpdated": SEEDED_AT,
                            "customDomains": [{"id": DOMAIN_ID, "url": "www.example.com",
                                               "lastPublished": PUBLISHED_AT}],
                            "cmsLocaleId": locale}},
        "collections": {COLLECTION_ID: {
            "id": COLLECTION_ID, "siteId": SITE_ID, "displayName": "Blog Posts", "singularName": "Blog Post",
            "slug": "blog-posts",
            "fields": [{"slug": s, "type": t, "isRequired": r, "displayName": s.replace("-", " ").title()}
                       for s, t, r in FIELDS],
            "items": {EXAMPLE_ITEM_ID: _example_item(locale)}}},
        "publishes": [],           # successful site publishes: {siteId, at, customDomains, subdomain}
        "webhooks": {},            # site webhooks by id (sandbox_webhooks.py)
        "deliveries": [],          # webhook deliveries sent: {webhookId, triggerType, url, status, signed}
    }


STORE = AccountStore(SLUG, _seed)
STANDARD = SlidingWindow(120, WINDOW)   # per key (sandbox account); tests may replace ``now``
STARTER = SlidingWindow(60, WINDOW)


def state(account: str) -> State:
    """Deep copy of one sandbox account's Webflow data (tests compare it before and after)."""
    return STORE.snapshot(account)


# --------------------------------------------------------------------------- errors (Webflow's body)
def _error(status: int, code: str, message: str, details: list[Any] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    # V: __package__.yml Error {code, message, externalReference, details}
    return JSONResponse({"code": code, "message": message, "externalReference": None, "details": details or []},
                        status_code=status, headers=headers)


def _unauthorized() -> Response:
    return JSONResponse({"code": "not_authorized", "message": "Request not authorized"}, status_code=401)   # V


def _validation(details: list[dict[str, str]], message: str = "Validation Error") -> Response:
    return _error(400, "validation_error", message, details)   # V: code; B: details [{param, description}]


def _spec_error(problems: list[Problem]) -> Response:
    if problems[0].kind == "operation":
        return _error(404, "resource_not_found", "Requested resource not found")
    details = [{"param": p.where.removeprefix("$.").removeprefix("$"), "description": p.message} for p in problems]
    return _validation(details, f"Validation Error: {problems[0]}")


faults.bodies[SLUG] = {   # V: error examples of __package__.yml; Retry-After on 429 is V (rate-limits page)
    "rate_limit": lambda f: (429, {"code": "too_many_requests", "message": "Too many requests"},
                             {**faults.retry_after(f, 60), "X-RateLimit-Remaining": "0"}),
    "expired_token": lambda f: (401, {"code": "not_authorized", "message": "Request not authorized"}, {}),
    "server_error": lambda f: (500, {"code": "internal_error", "message": "An Internal Error occurred"}, {}),
    "unavailable": lambda f: (503, {"code": "internal_error", "message": "Service Unavailable"},   # B: 503 body
                              faults.retry_after(f)),
}


# --------------------------------------------------------------------------- plumbing
def _limit(account: str) -> int:
    return 60 if ("starter" in account or "basic" in account) else 120


def _too_many(decision: Decision) -> Response:   # V: 429 with Retry-After (about 60 s) and X-RateLimit-Remaining
    return _error(429, "too_many_requests", "Too many requests",
                  headers={"Retry-After": str(max(1, math.ceil(decision.reset))),
                           "X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": "0"})


def _limit_headers(decision: Decision | None) -> dict[str, str]:
    assert decision is not None
    return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}


# The official Fern definition ($HUB_SPECS_DIR/webflow/*.yml): the sandbox's check and the contract suite's.
SPEC = fern.Spec(SLUG, "the Webflow API definition")
definition, find_endpoint, check_response = SPEC.definition, SPEC.find_endpoint, SPEC.check_response
validate_webflow_request = SPEC.problems


# Fault switches (even for a bad token), auth, the per-minute limit, JSON parsing and the Fern check, then the
# handler with (request, account, body or None); every answer past the limit carries the rate-limit headers.
API = SandboxApi(
    SLUG, auth=bearer_token(OAUTH.account_for_token), refuse=lambda request: _unauthorized(), faults_first=True,
    limit=lambda request, account: (STARTER if _limit(account) == 60 else STANDARD).hit(account),
    too_many=_too_many, headers=_limit_headers, body=True, read=spec_checked(SPEC.check_request, _spec_error),
    bad_body=lambda exc: _error(400, "bad_request", "Bad Request: Request is malformed"),   # V: example
)
_ITEMS = "/api/v2/collections/{collection_id}/items"


def _site_not_found() -> Response:
    return _error(404, "resource_not_found", "Requested resource not found: The site cannot be found")   # V


def _collection_not_found() -> Response:
    return _error(404, "resource_not_found", "Requested resource not found: The collection cannot be found")  # B


def _item_not_found() -> Response:
    return _error(404, "resource_not_found", "Requested resource not found: The item cannot be found")   # B


def _check_field_data(collection: dict[str, Any], field_data: dict[str, Any], *, creating: bool,
                      item_id: str | None = None) -> list[dict[str, str]]:
    """The collection's schema rules (B: per-field-type checks, unique slug, unknown field slugs)."""
    details = []
    fields = {f["slug"]: f for f in collection["fields"]}
    for key, value in field_data.items():
        spec = fields.get(key)
        if spec is None:
            details.append({"param": f"fieldData.{key}", "description": "Field not described in schema"})
            continue
        problem = _field_problem(spec["type"], value)
        if problem:
            details.append({"param": f"fieldData.{key}", "description": problem})
    if creating:
        for key, spec in fields.items():
            if spec["isRequired"] and field_data.get(key) in (None, ""):
                details.append({"param": f"fieldData.{key}", "description": "Field is required"})
    slug = field_data.get("slug")
    if isinstance(slug, str) and slug:
        if not _SLUG_RE.match(slug):
            details.append({"param": "fieldData.slug", "description": "Slug may contain only lowercase letters, "
                            "numbers and hyphens"})
        elif any(item["fieldData"].get("slug") == slug and item["id"] != item_id
                 for item in collection["items"].values()):
            details.append({"param": "fieldData.slug", "description": f"Unique value is already in database: "
                            f"'{slug}'"})
    return details


def _field_problem(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind in ("PlainText", "RichText", "Link", "Email", "Color", "DateTime") and not isinstance(value, str):
        return f"Expected a string for a {kind} field"
    if kind == "Switch" and not isinstance(value, bool):
        return "Expected a boolean for a Switch field"
    if kind == "Number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "Expected a number for a Number field"
    if kind == "Email" and not _EMAIL.match(value):
        return "Invalid email address"
    if kind == "Link" and not re.match(r"^https?://", value):
        return "Invalid URL"
    if kind == "Color" and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return "Invalid color (expected #rrggbb)"
    if kind == "DateTime" and not is_datetime(value):
        return "Invalid date (expected ISO 8601)"
    return None


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("id", "cmsLocaleId", "lastPublished", "lastUpdated", "createdOn", "isArchived",
                                 "isDraft", "fieldData")}


# --------------------------------------------------------------------------- handlers
@API.route("/api/v2/token/introspect", ["GET"])
async def introspect(request: Request, account: str, body: Any) -> Response:
    return JSONResponse({"authorization": {"id": "55818d58616600637b9a5786", "grantType": "authorization_code",
                                           "rateLimit": _limit(account), "scope": "cms:read,cms:write,sites:write",
                                           "authorizedTo": {"siteIds": [SITE_ID], "workspaceIds": [],
                                                            "userIds": []}},
                         "application": {"id": "55131cd036c09f7d07883dfc", "displayName": f"sandbox {account}"}})


@API.route("/api/v2/sites/{site_id}", ["GET"])
async def get_site(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        site = data["sites"].get(request.path_params["site_id"])
        if site is None:
            return _site_not_found()
        return JSONResponse({k: v for k, v in site.items() if k != "cmsLocaleId"})


@API.route("/api/v2/sites/{site_id}/publish", ["POST"])
async def publish_site(request: Request, account: str, body: Any) -> Response:
    body = body or {}
    domain_ids = body.get("customDomains") or []
    subdomain = bool(body.get("publishToWebflowSubdomain", False))
    with STORE.use(account) as data:
        site = data["sites"].get(request.path_params["site_id"])
        if site is None:
            return _site_not_found()
        known = {d["id"]: d for d in site["customDomains"]}
        if any(d not in known for d in domain_ids):
            return _validation([{"param": "customDomains", "description": "Provided ID is invalid"}],
                               "Validation Error: Provided ID is invalid")   # V: example wording
        if not domain_ids and not subdomain:
            return _error(400, "bad_request", "Bad Request: choose customDomains and/or "
                          "publishToWebflowSubdomain")   # B
        now = STORE.clock()
        last = max((p["at"] for p in data["publishes"] if p["siteId"] == site["id"]), default=None)
        if last is not None and now - last < PUBLISH_INTERVAL:
            wait = max(1, math.ceil(last + PUBLISH_INTERVAL - now))
            return _error(429, "too_many_requests", "Too many requests: a site can be published once per minute",
                          headers={"Retry-After": str(wait)})   # V: limit; B: wording and Retry-After
        stamp = _iso(now)
        for domain_id in domain_ids:
            known[domain_id]["lastPublished"] = stamp
        site["lastPublished"] = stamp
        for collection in data["collections"].values():
            if collection["siteId"] == site["id"]:
                for item in collection["items"].values():
                    if not item["isDraft"] and not item["isArchived"]:
                        item["lastPublished"] = stamp
        data["publishes"].append({"siteId": site["id"], "at": now, "customDomains": list(domain_ids),
                                  "publishToWebflowSubdomain": subdomain})
        domains = [dict(known[d]) for d in domain_ids]
    return JSONResponse({"customDomains": domains, "publishToWebflowSubdomain": subdomain}, status_code=202)


@API.route(_ITEMS, ["GET"])
async def list_items(request: Request, account: str, body: Any) -> Response:
    try:
        offset = int(request.query_params.get("offset", 0))
        limit = int(request.query_params.get("limit", 100))
    except ValueError:
        return _validation([{"param": "offset", "description": "Expected an integer"}])
    if not 1 <= limit <= 100:
        return _validation([{"param": "limit", "description": "limit must be between 1 and 100"}])   # V: max 100
    with STORE.use(account) as data:
        collection = data["collections"].get(request.path_params["collection_id"])
        if collection is None:
            return _collection_not_found()
        items = [_public_item(i) for i in collection["items"].values()]
    return JSONResponse({"items": items[offset:offset + limit],
                         "pagination": {"limit": limit, "offset": offset, "total": len(items)}})


@API.route(_ITEMS, ["POST"])
async def create_item(request: Request, account: str, body: Any) -> Response:
    batch = "items" in body and "fieldData" not in body
    inputs = (body.get("items") or []) if batch else [body]
    if batch and not inputs:
        return _validation([{"param": "items", "description": "At least one item is required"}])
    with STORE.use(account) as data:
        collection = data["collections"].get(request.path_params["collection_id"])
        if collection is None:
            return _collection_not_found()
        details = []
        for index, entry in enumerate(inputs):
            prefix = f"items[{index}]." if batch else ""
            details += [{**d, "param": prefix + d["param"]}
                        for d in _check_field_data(collection, entry.get("fieldData") or {}, creating=True)]
        slugs = [entry["fieldData"].get("slug") for entry in inputs]
        if len(set(slugs)) < len(slugs):
            details.append({"param": "fieldData.slug", "description": "Duplicate slugs in the request"})
        if details:
            return _validation(details)
        created = []
        now = _iso(STORE.clock())
        locale = data["sites"][collection["siteId"]]["cmsLocaleId"]
        for entry in inputs:
            item = {"id": _hex_id(account, next_id(data, "item")), "cmsLocaleId": entry.get("cmsLocaleId") or locale,
                    "lastPublished": None, "lastUpdated": now, "createdOn": now,
                    "isArchived": bool(entry.get("isArchived", False)),
                    "isDraft": bool(entry.get("isDraft", True)),   # V: CollectionItemPostSingle isDraft default true
                    "fieldData": dict(entry["fieldData"])}
            collection["items"][item["id"]] = item
            created.append(_public_item(item))
    answer = {"items": created} if batch else created[0]
    # Site webhooks (collection_item_created) are delivered after the answer, off the event loop.
    site_id = collection["siteId"]
    task = BackgroundTask(_notify_created, account, site_id, request.path_params["collection_id"], created) \
        if ITEM_LISTENERS else None
    return JSONResponse(answer, status_code=202, background=task)   # V: create-item response status-code 202


ITEM_LISTENERS: list[Callable[[str, str, str, list[dict[str, Any]]], None]] = []   # sandbox_webhooks registers


def _notify_created(account: str, site_id: str, collection_id: str, items: list[dict[str, Any]]) -> None:
    for listener in ITEM_LISTENERS:
        listener(account, site_id, collection_id, items)


@API.route(_ITEMS + "/{item_id}", ["GET"])
async def get_item(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        collection = data["collections"].get(request.path_params["collection_id"])
        if collection is None:
            return _collection_not_found()
        item = collection["items"].get(request.path_params["item_id"])
        return _item_not_found() if item is None else JSONResponse(_public_item(item))


@API.route(_ITEMS + "/{item_id}", ["PATCH"])
async def update_item(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        collection = data["collections"].get(request.path_params["collection_id"])
        if collection is None:
            return _collection_not_found()
        item = collection["items"].get(request.path_params["item_id"])
        if item is None:
            return _item_not_found()
        field_data = body.get("fieldData") or {}
        details = _check_field_data(collection, field_data, creating=False, item_id=item["id"])
        for key in ("name", "slug"):
            if key in field_data and field_data[key] in (None, ""):
                details.append({"param": f"fieldData.{key}", "description": "Field is required"})
        if details:
            return _validation(details)
        item["fieldData"].update(field_data)
        for flag in ("isDraft", "isArchived"):
            if body.get(flag) is not None:
                item[flag] = bool(body[flag])
        item["lastUpdated"] = _iso(STORE.clock())
        return JSONResponse(_public_item(item))


SANDBOX = SandboxProvider(
    slug=SLUG, name="Webflow", oauth=OAUTH,
    origins={"https://webflow.com": "/app", "https://api.webflow.com": "/api"},
    api_routes=API.routes,   # sandbox_webhooks.py adds the site webhooks to the same list
    spec=SPEC,
)
