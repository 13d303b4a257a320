"""PostHog sandbox: the spec-driven stand-in (services/sandbox/standin.py) over the endpoints the Hub uses.

PostHog's OpenAPI file (drf-spectacular, served at /api/schema/) could not be brought in
(shared/specs/posthog/SOURCE.txt), so ``DEFINITION`` is declared here: the capture endpoint (V: post-only-endpoints:
api_key, event, distinct_id required; its answer ``{"status": 1}`` is B), the current user and the feature flag
list (paginated ``{count, next, previous, results}``, B). The app hosts and the ingestion hosts of both clouds map
onto it. Errors are DRF's ``{type, code, detail, attr}`` (B), 429 ``throttled`` with Retry-After (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.declared import answer as _answer
from services.sandbox.declared import obj as _obj
from services.sandbox.declared import schema as _t
from services.sandbox.standin import RateLimit, StandIn

SLUG = "posthog"


FLAG = _obj(id=_t("integer"), key=_t("string"), name=_t("string", ""), active=_t("boolean", True),
            filters=_t("object", {"groups": [{"properties": [], "rollout_percentage": 100}]}),
            deleted=_t("boolean", False), created_at=_t("string", "2026-01-01T09:00:00Z"))
USER = _obj(uuid=_t("string", "01900000-0000-0000-0000-000000000001"), distinct_id=_t("string", "sandbox-user"),
            first_name=_t("string", "Sandbox"), email=_t("string", "owner@example.com"),
            team=_obj(id=_t("integer", 1), name=_t("string", "Sandbox project")),
            organization=_obj(id=_t("string", "01900000-0000-0000-0000-000000000002"),
                              name=_t("string", "Sandbox organization")))
PROJECT = [{"name": "project_id", "in": "path", "required": True, "schema": _t("string", pattern="^[0-9]+$")}]
QUERY = [{"name": name, "in": "query", "schema": schema} for name, schema in
         [("search", _t("string")), ("active", _t("string", enum=["true", "false", "STALE"])),
          ("limit", _t("integer")), ("offset", _t("integer"))]]

DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "PostHog API (declared from the documented shapes)", "version": "1"},
    "servers": [{"url": "https://us.posthog.com"}],
    "paths": {
        "/api/users/@me/": {"get": {"responses": _answer(USER)}},
        "/api/projects/{project_id}/feature_flags/": {"get": {
            "parameters": PROJECT + QUERY, "x-standin": {"kind": "list", "record_path": "results"},
            "responses": _answer(_obj(count=_t("integer", 1), next=_t("string", None, nullable=True),
                                      previous=_t("string", None, nullable=True),
                                      results=_t("array", items=FLAG)))}},
        "/i/v0/e/": {"post": {
            "x-standin": {"kind": "static"},
            "requestBody": {"required": True, "content": {"application/json": {"schema": _obj(
                ["api_key", "event", "distinct_id"], api_key=_t("string"), event=_t("string"),
                distinct_id=_t("string"), properties=_t("object"), timestamp=_t("string", format="date-time"),
                uuid=_t("string"))}}},
            "responses": _answer(_obj(status=_t("integer", 1)))}},
    },
}
KINDS = {400: ("validation_error", "invalid_input"), 401: ("authentication_error", "authentication_failed"),
         403: ("authentication_error", "permission_denied"), 404: ("invalid_request", "not_found"),
         429: ("throttled_error", "throttled"), 500: ("server_error", "error"), 503: ("server_error", "error")}


def _error(status: int, message: str) -> dict[str, Any]:
    kind, code = KINDS.get(status, ("server_error", "error"))
    return {"type": kind, "code": code, "detail": message, "attr": None}


STANDIN = StandIn(
    SLUG, "PostHog", DEFINITION,
    origins={"https://us.posthog.com": "/api", "https://eu.posthog.com": "/api",
             "https://us.i.posthog.com": "/api", "https://eu.i.posthog.com": "/api"},
    seed={"feature_flags": [{"id": 1, "key": "new-checkout", "name": "New checkout flow"}]},
    error=_error,
    messages={"unauthorized": "Personal API key found in request Authorization header is invalid.",
              "not_found": "Not found.", "rate_limit": "Request was throttled. Expected available in 60 seconds.",
              "server_error": "A server error occurred."},                                    # B: wording
    rate_limit=RateLimit(480, 60.0, headers=(), retry_after=True),                          # B
)
SANDBOX = STANDIN.provider()
