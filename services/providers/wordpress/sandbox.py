"""WordPress sandbox: a self-hosted site (``/site``) checking Application Passwords over HTTP Basic, and
WordPress.com OAuth (``/wpcom``: no PKCE, no refresh, non-expiring per-blog tokens; B), with the core
REST routes the executors use and core's error body ``{"code", "message", "data": {"status"}}`` (B).

Served under ``/sandbox/wordpress/site/wp-json/wp/v2`` (self-hosted) and
``/sandbox/wordpress/wpcom/wp/v2/sites/{site}`` (WordPress.com):
  GET  /users/me
  GET  /posts, /pages            per_page (1-100), page, status, search, order; X-WP-Total, X-WP-TotalPages
  POST /posts, /pages            201 create (JSON or form body)
  GET  /posts/{id}, /pages/{id}
  POST|PUT|PATCH /posts/{id}, /pages/{id}   200 update
  GET  /comments?post=, POST /comments      201 create (authenticated users only, like core's default)
Requests without credentials read published content of the sandbox account "default"; bad credentials
are always a 401. Each account's site starts with post 1 "Hello world!", page 2 "Sample page" and post 123
(the catalog's example id). ``state(account)`` returns a deep copy of an account's data for tests.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults
from services.sandbox.api import SandboxApi, read_params
from services.sandbox.common import OAuthServer, SandboxProvider, basic, bearer, sandbox_account
from services.sandbox.schema_checks import is_datetime
from services.sandbox.store import AccountStore, State, next_id

SLUG = "wordpress"
STATUSES = ["publish", "future", "draft", "pending", "private"]   # B: core post statuses for REST writes
ANONYMOUS = "default"

OAUTH = OAuthServer(
    provider="WordPress.com", authorize_path="/wpcom/oauth2/authorize", token_path="/wpcom/oauth2/token",
    access_ttl=None, refresh="none", pkce=False, client_auth="post", expires_in=False,
    extras=lambda account, request: {"blog_id": str(int(hashlib.sha256(account.encode()).hexdigest()[:6], 16)),
                                     "blog_url": f"https://{account}.wordpress.com"},
)


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _post(post_id: int, kind: str, title: str, content: str, status: str, ts: float, slug: str) -> dict[str, Any]:
    return {"id": post_id, "type": kind, "title": title, "content": content, "excerpt": "", "status": status,
            "slug": slug, "date": _stamp(ts), "modified": _stamp(ts), "author": 1, "comment_status": "open",
            "parent": 0, "menu_order": 0, "sticky": False, "format": "standard", "categories": [1], "tags": []}


def _seed(account: str) -> State:
    ts = 1767225600.0
    return {
        "posts": {
            "1": _post(1, "post", "Hello world!", "Welcome to WordPress. This is your first post.", "publish", ts,
                       "hello-world"),
            "2": _post(2, "page", "Sample Page", "This is an example page.", "publish", ts, "sample-page"),
            "123": _post(123, "post", "Launch announcement", "We are launching.", "publish", ts + 60, "launch"),
        },
        "comments": {},
        "_counters": {"post": 124, "comment": 1},
    }


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox site's WordPress data (tests compare it before and after)."""
    return STORE.snapshot(account)


# --------------------------------------------------------------------------- errors (core's body, B)
def _error(status: int, code: str, message: str, **data: Any) -> Response:
    return JSONResponse({"code": code, "message": message, "data": {"status": status, **data}}, status_code=status)


def _invalid_param(param: str, message: str) -> Response:
    return _error(400, "rest_invalid_param", f"Invalid parameter(s): {param}", params={param: message})   # B


def _bad_password() -> Response:
    return _error(401, "incorrect_password", "The provided password is an invalid application password.")   # B


faults.bodies[SLUG] = {   # B: core has no rate limit; hosts and WAFs answer 429
    "rate_limit": lambda f: (429, {"code": "rest_too_many_requests", "message": "Too many requests.",
                                   "data": {"status": 429}}, faults.retry_after(f, 1)),
    "expired_token": lambda f: (401, {"code": "incorrect_password", "message": "The provided password is an invalid "
                                      "application password.", "data": {"status": 401}}, {}),
    "server_error": lambda f: (500, {"code": "internal_server_error", "message": "<p>There has been a critical "
                                     "error on this website.</p>", "data": {"status": 500}}, {}),
    "unavailable": lambda f: (503, {"code": "rest_unavailable", "message": "Service Unavailable",
                                    "data": {"status": 503}}, faults.retry_after(f)),
}


# --------------------------------------------------------------------------- plumbing
def _identify(request: Request) -> str | None:
    """The account of a Basic application password or a WordPress.com token; ANONYMOUS without credentials
    (None: bad credentials, always a 401)."""
    pair = basic(request)
    if pair is not None:
        return sandbox_account(pair[1])
    token = bearer(request)
    if token is not None:
        return OAUTH.account_for_token(token)
    return None if request.headers.get("authorization") is not None else ANONYMOUS


def _user(request: Request, account: str) -> str | None:
    """The user a request acts as: the Basic username or the token's account; None when anonymous."""
    pair = basic(request)
    return pair[0] if pair is not None else account if bearer(request) is not None else None


# Credentials, fault switches (even for bad credentials), then the handler with (request, account, params):
# the query parameters plus a JSON object or form body (B: core's error for a body that is not a JSON object).
API = SandboxApi(
    SLUG, auth=_identify, refuse=lambda request: _bad_password(), faults_first=True, body=True, read=read_params,
    bad_body=lambda exc: _error(400, "rest_invalid_json", "Invalid JSON body passed."),
)


def _site_url(request: Request) -> str:
    path = request.url.path
    root = path[:path.index("/wp-json/")] if "/wp-json/" in path else path[:path.index("/wp/v2/")]
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def _rendered(text: str) -> str:
    text = text or ""
    return text if text.lstrip().startswith("<") or not text else f"<p>{text}</p>\n"


def _public(request: Request, post: dict[str, Any], edit: bool) -> dict[str, Any]:
    site = _site_url(request)
    kind = post["type"]
    route = "pages" if kind == "page" else "posts"
    link = (f"{site}/{post['slug']}/" if post["status"] == "publish" else f"{site}/?p={post['id']}"
            if kind == "post" else f"{site}/?page_id={post['id']}")
    out: dict[str, Any] = {
        "id": post["id"], "date": post["date"], "date_gmt": post["date"],
        "guid": {"rendered": f"{site}/?p={post['id']}"}, "modified": post["modified"],
        "modified_gmt": post["modified"], "slug": post["slug"], "status": post["status"], "type": kind,
        "link": link, "title": {"rendered": html.escape(post["title"], quote=False)},
        "content": {"rendered": _rendered(post["content"]), "protected": False},
        "excerpt": {"rendered": _rendered(post["excerpt"]), "protected": False},
        "author": post["author"], "comment_status": post["comment_status"], "ping_status": "open",
        "template": "", "meta": [],
        "_links": {"self": [{"href": f"{site}/wp-json/wp/v2/{route}/{post['id']}"}]},
    }
    if kind == "post":
        out.update(sticky=post["sticky"], format=post["format"], categories=post["categories"], tags=post["tags"])
    else:
        out.update(parent=post["parent"], menu_order=post["menu_order"])
    if edit:   # context=edit adds the raw values
        for key in ("title", "content", "excerpt"):
            out[key]["raw"] = post[key]
    return out


def _text(value: Any) -> str | None:
    """A title/content/excerpt value: a string, or {"raw": ...} (B: both accepted)."""
    if isinstance(value, dict):
        value = value.get("raw")
    return None if value is None else str(value)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "post"


def _unique_slug(data: State, kind: str, slug: str, exclude: int | None = None) -> str:
    taken = {p["slug"] for p in data["posts"].values() if p["type"] == kind and p["id"] != exclude}
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _validate_post_params(params: dict[str, Any]) -> Response | None:
    status = params.get("status")
    if status is not None and status not in STATUSES:
        return _invalid_param("status", f"status is not one of {', '.join(STATUSES)}.")   # B: wording
    date = params.get("date")
    if date is not None and not (isinstance(date, str) and is_datetime(date)):
        return _invalid_param("date", "Invalid date.")
    for key in ("title", "content", "excerpt"):
        value = params.get(key)
        if value is not None and not isinstance(value, str | dict):
            return _invalid_param(key, f"{key} is not of type object,string.")   # B
    for key in ("parent", "menu_order", "author"):
        value = params.get(key)
        if value is not None and not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            return _invalid_param(key, f"{key} is not of type integer.")
    return None


def _kind(request: Request) -> str:
    return "page" if request.url.path.rstrip("/").split("/")[-1] == "pages" or "/pages/" in request.url.path \
        else "post"


def _apply(data: State, post: dict[str, Any], params: dict[str, Any], now: float) -> None:
    for key in ("title", "content", "excerpt"):
        if key in params:
            post[key] = _text(params[key]) or ""
    if "status" in params:
        post["status"] = params["status"]
    if "date" in params:
        post["date"] = params["date"][:19]
    if post["status"] == "future" and post["date"] <= _stamp(now):
        post["status"] = "publish"   # B: a future date in the past publishes at once
    if "slug" in params and params["slug"]:
        post["slug"] = _unique_slug(data, post["type"], _slugify(str(params["slug"])), post["id"])
    elif not post["slug"] and post["status"] == "publish" and post["title"]:
        post["slug"] = _unique_slug(data, post["type"], _slugify(post["title"]), post["id"])
    for key in ("parent", "menu_order", "author"):
        if key in params:
            post[key] = int(params[key])
    for key in ("comment_status",):
        if params.get(key) in ("open", "closed"):
            post[key] = params[key]
    post["modified"] = _stamp(now)


# --------------------------------------------------------------------------- handlers
async def users_me(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    if user is None:   # B: core answers 401 rest_not_logged_in to anonymous /users/me
        return _error(401, "rest_not_logged_in", "You are not currently logged in.")
    return JSONResponse({"id": 1, "name": user, "slug": user, "roles": ["administrator"],
                         "email": f"{user}@sandbox.example"})


async def list_posts(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    kind = _kind(request)
    try:
        per_page = int(params.get("per_page", 10))
        page = int(params.get("page", 1))
    except ValueError:
        return _invalid_param("per_page", "per_page is not of type integer.")
    if not 1 <= per_page <= 100:   # B: per_page max 100
        return _invalid_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
    if page < 1:
        return _invalid_param("page", "page must be greater than or equal to 1")
    statuses = [s for s in str(params.get("status", "publish")).split(",") if s]
    if any(s not in [*STATUSES, "any", "trash"] for s in statuses):
        return _invalid_param("status", f"status is not one of {', '.join(STATUSES)}, any, trash.")
    if user is None and statuses != ["publish"]:
        return _invalid_param("status", "Status is forbidden.")   # B
    search = str(params.get("search", "")).lower()
    with STORE.use(account) as data:
        posts = [p for p in data["posts"].values() if p["type"] == kind
                 and ("any" in statuses and p["status"] != "trash" or p["status"] in statuses)
                 and (not search or search in (p["title"] + " " + p["content"] + " " + p["excerpt"]).lower())]
    reverse = str(params.get("order", "desc")) != "asc"
    orderby = str(params.get("orderby", "date"))
    key = {"id": lambda p: p["id"], "title": lambda p: p["title"].lower()}.get(orderby, lambda p: (p["date"], p["id"]))
    posts.sort(key=key, reverse=reverse)
    total = len(posts)
    pages = math.ceil(total / per_page)
    if page > max(pages, 1):   # B: wording
        return _error(400, "rest_post_invalid_page_number",
                      "The page number requested is larger than the number of pages available.")
    chunk = posts[(page - 1) * per_page: page * per_page]
    edit = params.get("context") == "edit" and user is not None
    response = JSONResponse([_public(request, p, edit) for p in chunk])
    response.headers["X-WP-Total"] = str(total)       # B: pagination headers
    response.headers["X-WP-TotalPages"] = str(pages)
    return response


async def create_post(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    kind = _kind(request)
    if user is None:   # B: wording
        return _error(401, "rest_cannot_create", f"Sorry, you are not allowed to create {kind}s as this user.")
    if "id" in params:
        return _error(400, "rest_post_exists", "Cannot create existing post.")   # B
    problem = _validate_post_params(params)
    if problem is not None:
        return problem
    if not any(_text(params.get(k)) for k in ("title", "content", "excerpt")):
        return _error(400, "empty_content", "Content, title, and excerpt are empty.")   # B: wp_insert_post
    now = STORE.clock()
    with STORE.use(account) as data:
        post_id = next_id(data, "post", 124)
        post = _post(post_id, kind, "", "", params.get("status") or "draft", now, "")
        _apply(data, post, params, now)
        data["posts"][str(post_id)] = post
        body = _public(request, post, edit=True)
    response = JSONResponse(body, status_code=201)
    response.headers["Location"] = body["_links"]["self"][0]["href"]
    return response


async def get_post(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    kind = _kind(request)
    with STORE.use(account) as data:
        post = data["posts"].get(request.path_params["post_id"])
        if post is None or post["type"] != kind or (user is None and post["status"] != "publish"):
            return _error(404, "rest_post_invalid_id", "Invalid post ID.")   # B
        return JSONResponse(_public(request, post, params.get("context") == "edit" and user is not None))


async def update_post(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    kind = _kind(request)
    with STORE.use(account) as data:
        post = data["posts"].get(request.path_params["post_id"])
        if post is None or post["type"] != kind:
            return _error(404, "rest_post_invalid_id", "Invalid post ID.")   # B
        if user is None:
            return _error(401, "rest_cannot_edit", "Sorry, you are not allowed to edit this post.")   # B
        problem = _validate_post_params(params)
        if problem is not None:
            return problem
        _apply(data, post, params, STORE.clock())
        return JSONResponse(_public(request, post, edit=True))


def _public_comment(request: Request, comment: dict[str, Any]) -> dict[str, Any]:
    site = _site_url(request)
    return {**{k: comment[k] for k in ("id", "post", "parent", "author", "author_name", "author_url", "date",
                                       "status", "type")},
            "date_gmt": comment["date"], "content": {"rendered": _rendered(comment["content"]),
                                                     "raw": comment["content"]},
            "author_email": comment["author_email"],
            "link": f"{site}/?p={comment['post']}#comment-{comment['id']}", "meta": [],
            "_links": {"self": [{"href": f"{site}/wp-json/wp/v2/comments/{comment['id']}"}]}}


async def list_comments(request: Request, account: str, params: dict[str, Any]) -> Response:
    with STORE.use(account) as data:
        comments = [c for c in data["comments"].values()
                    if not params.get("post") or str(c["post"]) == str(params["post"])]
        out = [_public_comment(request, c) for c in comments]
    response = JSONResponse(out)
    response.headers["X-WP-Total"] = str(len(out))
    response.headers["X-WP-TotalPages"] = str(1 if out else 0)
    return response


async def create_comment(request: Request, account: str, params: dict[str, Any]) -> Response:
    user = _user(request, account)
    if user is None:   # B: anonymous REST comments are off by default (rest_allow_anonymous_comments)
        return _error(401, "rest_comment_login_required", "Sorry, you must be logged in to comment.")
    try:
        post_id = int(params.get("post", 0))
        parent = int(params.get("parent", 0) or 0)
    except (TypeError, ValueError):
        return _invalid_param("post", "post is not of type integer.")
    content = _text(params.get("content"))
    with STORE.use(account) as data:
        post = data["posts"].get(str(post_id))
        if post is None:   # B: wording and 403
            return _error(403, "rest_comment_invalid_post_id",
                          "Sorry, you are not allowed to create this comment without a post.")
        if post["comment_status"] != "open":
            return _error(403, "rest_comment_closed", "Sorry, comments are closed for this item.")   # B
        if not content or not content.strip():
            return _error(400, "rest_comment_content_invalid", "Invalid comment content.")   # B
        if parent and (str(parent) not in data["comments"] or data["comments"][str(parent)]["post"] != post_id):
            return _error(400, "rest_comment_invalid_parent", "Invalid comment parent ID.")   # B
        author_name = str(params.get("author_name") or user)
        author_email = str(params.get("author_email") or f"{user}@sandbox.example")
        if any(c["post"] == post_id and c["content"] == content and c["author_email"] == author_email
               for c in data["comments"].values()):   # B: core's duplicate check
            return _error(409, "comment_duplicate",
                          "Duplicate comment detected; it looks as though you&#8217;ve already said that!")
        comment_id = next_id(data, "comment", 1)
        comment = {"id": comment_id, "post": post_id, "parent": parent, "author": 1, "author_name": author_name,
                   "author_email": author_email, "author_url": "", "date": _stamp(STORE.clock()),
                   "content": content, "status": "approved", "type": "comment"}
        data["comments"][str(comment_id)] = comment
        body = _public_comment(request, comment)
    response = JSONResponse(body, status_code=201)
    response.headers["Location"] = body["_links"]["self"][0]["href"]
    return response


for prefix in ("/site/wp-json/wp/v2", "/wpcom/wp/v2/sites/{site}"):   # self-hosted, WordPress.com
    API.route(f"{prefix}/users/me", ["GET"])(users_me)
    for kind in ("posts", "pages"):
        API.route(f"{prefix}/{kind}", ["GET"])(list_posts)
        API.route(f"{prefix}/{kind}", ["POST"])(create_post)
        API.route(f"{prefix}/{kind}/{{post_id:str}}", ["GET"])(get_post)
        API.route(f"{prefix}/{kind}/{{post_id:str}}", ["POST", "PUT", "PATCH"])(update_post)
    API.route(f"{prefix}/comments", ["GET"])(list_comments)
    API.route(f"{prefix}/comments", ["POST"])(create_comment)

SANDBOX = SandboxProvider(
    slug=SLUG, name="WordPress", oauth=OAUTH,
    origins={"https://public-api.wordpress.com": "/wpcom"},
    api_routes=API.routes,
    defaults={"site_url": "/site"},
)
