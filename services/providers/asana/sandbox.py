"""Asana sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition, and an
OAuth server.

``asana/asana_oas.yaml`` is Asana's own OpenAPI file (shared/specs/asana/SOURCE.txt): paths, the ``{data: ...}``
request and answer envelopes, ``gid`` ids and the error body ``{errors: [{message, help, phrase}]}`` (V). Sources
for the rest: developers.asana.com/docs/rate-limits (per token, 150 per minute on free domains, 429 with
Retry-After and its message, V); developers.asana.com/docs/oauth (the /-/oauth_* endpoints, V); error wordings
other than the rate limit's, and one-hour access tokens, are B.

Beyond the generic stand-in: the two writes take their fields inside ``data`` (unwrapped here before the generic
create), a task needs a ``workspace``, ``projects`` or a ``parent`` (400 otherwise, V: createTask), and a comment
needs an existing task (404).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.standin import METHODS, RateLimit, StandIn, _path_values

SLUG = "asana"
TASK_GID = "1200000000000003"          # the catalog's comment_on_task example
HELP = ("For more information on API status codes and how to handle them, read the docs on errors: "
        "https://developers.asana.com/docs/errors")                                          # V: definition (Error)


def _error(status: int, message: str) -> dict[str, Any]:
    error = {"message": message, "help": HELP}
    if status >= 500:
        error["phrase"] = "6 sad squid snuggle softly"                                    # V: definition example
    return {"errors": [error]}


STANDIN = StandIn(
    SLUG, "Asana", "asana/asana_oas.yaml", origins={"https://app.asana.com": "/api"}, record_path="data",
    id_field="gid",
    seed={"tasks": [{"gid": TASK_GID, "resource_type": "task", "name": "Call Jane Doe back",
                     "permalink_url": f"https://app.asana.com/1/1200000000000001/task/{TASK_GID}",
                     "created_at": "2026-01-01T09:00:00.000Z"}]},
    id_prefixes={"tasks": "12000000000", "stories": "12000000001"},        # B: gids are long digit strings
    overrides={"GET /users/{user_gid}": {"kind": "static"}},              # "me": the token's user (the example)
    error=_error,
    messages={"unauthorized": "Not Authorized", "not_found": "Unknown object",                      # B: wording
              "rate_limit": "You've made too many requests and hit a rate limit. Please retry after the given "
                            "amount of time.",                                                       # V
              "server_error": "Server Error"},                                                       # B
    rate_limit=RateLimit(150, 60.0, headers=(), retry_after=True),       # V: free domain, Retry-After only
)

OAUTH = OAuthServer(
    provider="Asana", authorize_path="/api/-/oauth_authorize", token_path="/api/-/oauth_token",
    access_ttl=3600, refresh="reuse", refresh_returns_token=False, client_auth="post", token_type="bearer",
    revoke_path="/api/-/oauth_revoke",                                   # B: 1 h tokens, refresh token kept
)


def _unwrapped(checked: tuple[Any, str, Any]) -> tuple[Any, str, Any]:
    op, path, body = checked
    data = body.get("data") if isinstance(body, dict) else None
    return op, path, data if isinstance(data, dict) else {}


async def _create_task(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    op, path, data = _unwrapped(checked)
    if not any(data.get(k) for k in ("workspace", "projects", "parent")):
        return STANDIN._error(400, "workspace: Missing input")            # V: createTask; wording B
    return await STANDIN._serve(request, account, (op, path, data))


async def _comment(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    op, path, data = _unwrapped(checked)
    task = _path_values(op, path).get("task_gid", "")
    if task not in STANDIN.state(account).get("tasks", {}):
        return STANDIN._error(404, f"task: Unknown object: {task}")       # B: wording
    return await STANDIN._serve(request, account, (op, path, {**data, "resource_subtype": "comment_added",
                                                               "type": "comment"}))


HANDLERS = {("POST", "/tasks"): _create_task, ("POST", "/tasks/{task_gid}/stories"): _comment}


async def _dispatch(request: Request, account: str, checked: tuple[Any, str, Any]) -> Response:
    """The writes above by their definition operation; everything else to the generic stand-in."""
    op = checked[0]
    handler = HANDLERS.get((op.method, op.template))
    return await (handler or STANDIN._serve)(request, account, checked)


SANDBOX = SandboxProvider(
    slug=SLUG, name="Asana", origins=STANDIN.origins, oauth=OAUTH,
    api_routes=[Route("/api/{path:path}", STANDIN.api.endpoint(_dispatch, body=True), methods=METHODS)])
