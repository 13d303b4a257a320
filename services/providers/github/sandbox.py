"""GitHub sandbox: the spec-driven stand-in (services/sandbox/standin.py) over the REST endpoints the Hub uses.

GitHub's OpenAPI description (github/rest-api-description) could not be brought here (shared/specs/github/
SOURCE.txt), so ``DEFINITION`` is declared from the documented shapes; swap it for the official file when one is
brought in. Sources: docs.github.com/rest/issues/issues (create/list issues: ``title`` required, 201; list is a
bare array), docs.github.com/rest/issues/comments (create comment: ``body`` required, 201),
docs.github.com/rest/repos/repos#create-a-repository-dispatch-event (``event_type`` required, 204 No Content),
docs.github.com/rest/users/users (``GET /user``), docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
(5,000 requests an hour per user; ``x-ratelimit-limit/-remaining/-used/-resource`` and ``x-ratelimit-reset`` in UTC
epoch seconds; 403 or 429 past it) (V, search of the docs); the error body ``{message, documentation_url, status}``
and its wording (``Bad credentials``, ``Not Found``, ``API rate limit exceeded for user ID ...``) are B. GitHub
answers 422 ``Validation Failed`` for a bad body where the stand-in answers 400 (B: a stand-in limit).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.sandbox.declared import schema as _t
from services.sandbox.openapi import Operation
from services.sandbox.standin import RateLimit, StandIn

SLUG = "github"
DOCS = "https://docs.github.com/rest"


TIME = _t("string", "2026-01-01T09:00:00Z", format="date-time")
USER = _t("object", properties={                        # V: users reference (the fields the Hub shows)
    "login": _t("string", "example-user"), "id": _t("integer", 1), "type": _t("string", "User"),
    "name": _t("string", "Example User", nullable=True), "email": _t("string", "user@example.com", nullable=True),
    "html_url": _t("string", "https://github.com/example-user")})
ISSUE = _t("object", properties={                       # V: issues reference (subset)
    "id": _t("integer"), "number": _t("integer", 1), "title": _t("string", "Sandbox issue"),
    "body": _t("string", None, nullable=True), "state": _t("string", "open", enum=["open", "closed"]),
    "html_url": _t("string", "https://github.com/example-org/example-repo/issues/1"),
    "labels": _t("array", [], items={"type": "object"}), "user": USER, "comments": _t("integer", 0),
    "created_at": TIME, "updated_at": TIME})
COMMENT = _t("object", properties={                     # V: issue comments reference (subset)
    "id": _t("integer"), "body": _t("string"), "user": USER,
    "html_url": _t("string", "https://github.com/example-org/example-repo/issues/1#issuecomment-1"),
    "issue_url": _t("string", "https://api.github.com/repos/example-org/example-repo/issues/1"),
    "created_at": TIME, "updated_at": TIME})
STRINGS = _t("array", items={"type": "string"})


def _path(*names: str, integer: str = "") -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": _t("integer" if n == integer else "string")}
            for n in names]


def _query(**schemas: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "schema": s} for n, s in schemas.items()]


def _json(status: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


REPO = _path("owner", "repo")
DEFINITION: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "GitHub REST API (declared from the documented shapes)", "version": "2022-11-28"},
    "servers": [{"url": "https://api.github.com"}],
    "paths": {
        "/user": {"get": {"responses": _json("200", USER)}},
        "/repos/{owner}/{repo}/issues": {
            "get": {"parameters": REPO + _query(
                milestone=_t("string"), state=_t("string", enum=["open", "closed", "all"]), assignee=_t("string"),
                creator=_t("string"), mentioned=_t("string"), labels=_t("string"),
                sort=_t("string", enum=["created", "updated", "comments"]),
                direction=_t("string", enum=["asc", "desc"]), since=_t("string", format="date-time"),
                per_page=_t("integer", maximum=100), page=_t("integer")),
                "responses": _json("200", _t("array", items=ISSUE))},
            "post": {"parameters": REPO, "requestBody": _body(_t("object", required=["title"], properties={
                "title": _t("string"), "body": _t("string"), "assignee": _t("string", nullable=True),
                "milestone": {"oneOf": [_t("string"), _t("integer")], "nullable": True},
                "labels": STRINGS, "assignees": STRINGS})),
                "responses": _json("201", ISSUE)}},
        "/repos/{owner}/{repo}/issues/{issue_number}/comments": {
            "post": {"parameters": _path("owner", "repo", "issue_number", integer="issue_number"),
                     "requestBody": _body(_t("object", required=["body"], properties={"body": _t("string")})),
                     "responses": _json("201", COMMENT)}},
        "/repos/{owner}/{repo}/dispatches": {
            "post": {"parameters": REPO, "x-standin": {"kind": "static"},
                     "requestBody": _body(_t("object", required=["event_type"], properties={
                         "event_type": _t("string", minLength=1, maxLength=100),
                         "client_payload": _t("object", additionalProperties=True, maxProperties=10)})),
                     "responses": {"204": {"description": "No Content"}}}},
    },
}


def _error(status: int, message: str) -> dict[str, Any]:
    # V: {message, documentation_url} (REST docs' error answers); ``status`` as a string is B (newer answers).
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


@dataclass(frozen=True)
class EpochRateLimit(RateLimit):
    """GitHub's limit headers: x-ratelimit-reset is the window's end in UTC epoch seconds (V: rate limits page),
    with x-ratelimit-used and x-ratelimit-resource beside limit and remaining."""

    def header_values(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(int(time.time() + max(1.0, reset))),
                "x-ratelimit-used": str(limit - remaining), "x-ratelimit-resource": "core"}


class GitHubStandIn(StandIn):
    """The stand-in, answering an operation whose definition says 204 (a repository dispatch) with no body."""

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op = checked[0]
        if self.endpoints[(op.method, op.template)].status == 204:
            return Response(status_code=204)
        return await super()._serve(request, account, checked)


STANDIN = GitHubStandIn(
    SLUG, "GitHub", DEFINITION, origins={"https://api.github.com": "/api"},
    seed={"issues": [{"id": 1, "number": 1, "title": "Sandbox issue", "state": "open"}]},
    error=_error,
    messages={"unauthorized": "Bad credentials", "not_found": "Not Found",                      # B: wording
              "rate_limit": "API rate limit exceeded for user ID 1."},
    rate_limit=EpochRateLimit(5000, 3600.0),     # V: 5,000 requests per hour per user token
)
SANDBOX = STANDIN.provider()
