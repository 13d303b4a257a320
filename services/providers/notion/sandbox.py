"""Notion sandbox: the spec-driven stand-in over the endpoints the Hub uses, declared from the documented
shapes (Notion publishes its OpenAPI file only inside its reference pages), plus Notion's OAuth server.

Served under ``/sandbox/notion/api`` (= https://api.notion.com):
  GET   /v1/users/me                    the integration's bot user
  POST  /v1/pages                       200, the new page; parent.database_id / page_id must exist (else 404
                                        object_not_found)
  GET   /v1/pages/{page_id}
  PATCH /v1/blocks/{block_id}/children  200 {object: list, results: [the appended blocks], ...}; the block
                                        (a page) must exist; at most 100 children
  /oauth/authorize, /v1/oauth/token     OAuth (token request: JSON body; tokens do not expire; a refresh
                                        returns a new pair)
Every API request needs ``Notion-Version`` (else 400 missing_version). Errors are
``{object: "error", status, code, message, request_id}``. Each account holds database DATABASE_ID and page
PAGE_ID (the catalog's examples). Sources: developers.notion.com/reference/status-codes (codes, V),
/reference/versioning (header, V), /reference/request-limits (3 requests/s average, 429 rate_limited with
Retry-After, V), /reference/post-page, /reference/patch-block-children, /reference/get-self (shapes, V;
example values B).
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.api import read_body
from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.declared import answer as _answer
from services.sandbox.declared import obj as _obj
from services.sandbox.declared import schema as _t
from services.sandbox.openapi import Operation, check_request_in
from services.sandbox.schema_checks import NO_BODY
from services.sandbox.standin import SEED_TIME, RateLimit, StandIn

SLUG = "notion"
DATABASE_ID = "d9824bdc-8445-4327-be8b-5b47500af6ce"    # the reference pages' example ids
PAGE_ID = "b55c9c91-384d-452b-81db-d1ef79372b75"
BOT_ID = "16d84278-ab0e-484c-9bdd-b35da3bd8905"
BLOCK_ID = "c02fc1d3-db8b-45c5-a222-27595b15aea7"      # a paragraph of PAGE_ID (the catalog's ``after`` example)
MAX_CHILDREN = 100                                       # V: patch-block-children

OAUTH = OAuthServer(provider="Notion", authorize_path="/api/v1/oauth/authorize", token_path="/api/v1/oauth/token",
                    access_ttl=None, refresh="rotate", client_auth="json", expires_in=False,
                    extras=lambda account, request: {"bot_id": BOT_ID, "workspace_id": str(uuid.uuid5(
                        uuid.NAMESPACE_URL, account)), "workspace_name": f"{account} workspace",
                        "workspace_icon": None, "owner": {"type": "workspace", "workspace": True},
                        "duplicated_template_id": None})


PARTIAL_USER = _obj(object=_t("string", "user"), id=_t("string", BOT_ID))
ANY = {"type": "object", "additionalProperties": True}
# V: a parent is {type?, database_id} | {type?, page_id} | {type?, data_source_id} | {workspace: true}
PARENT = {"oneOf": [_obj(["database_id"], type=_t("string"), database_id=_t("string", format="uuid")),
                    _obj(["page_id"], type=_t("string"), page_id=_t("string", format="uuid")),
                    _obj(["data_source_id"], type=_t("string"), data_source_id=_t("string", format="uuid"))]}
PAGE = _obj(
    object=_t("string", "page"), id=_t("string", PAGE_ID), created_time=_t("string", "2026-01-01T09:00:00.000Z"),
    last_edited_time=_t("string", "2026-01-01T09:00:00.000Z"), created_by=PARTIAL_USER, last_edited_by=PARTIAL_USER,
    cover=_t("object", None, nullable=True), icon=_t("object", None, nullable=True),
    parent=_obj(type=_t("string", "database_id"), database_id=_t("string", DATABASE_ID)),
    archived=_t("boolean", False), in_trash=_t("boolean", False), properties=_t("object", {}),
    url=_t("string", "https://www.notion.so/Sandbox-page-b55c9c91384d452b81dbd1ef79372b75"),
    public_url=_t("string", None, nullable=True))
BOT = _obj(object=_t("string", "user"), id=_t("string", BOT_ID), name=_t("string", "Layers Hub"),
           avatar_url=_t("string", None, nullable=True), type=_t("string", "bot"),
           bot=_t("object", {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "Sandbox workspace"}))
BLOCK_LIST = _obj(object=_t("string", "list"), results=_t("array", items=ANY),
                  next_cursor=_t("string", None, nullable=True), has_more=_t("boolean", False),
                  type=_t("string", "block"), block=_t("object", {}), request_id=_t("string"))


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": _t("string")}]


DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Notion API (declared from the documented shapes)", "version": "2022-06-28"},
    "servers": [{"url": "https://api.notion.com"}],
    "paths": {
        "/v1/users/me": {"get": {"responses": _answer(BOT)}},
        "/v1/pages": {"post": {
            # V: post-page body: parent and properties required; children, icon, cover optional
            "requestBody": _body(_obj(["parent", "properties"], parent=PARENT, properties=ANY,
                                      children=_t("array", items=ANY, maxItems=MAX_CHILDREN),
                                      icon=_t("object", nullable=True), cover=_t("object", nullable=True))),
            "responses": _answer(PAGE)}},
        "/v1/pages/{page_id}": {"get": {"parameters": _id("page_id"), "responses": _answer(PAGE)}},
        "/v1/blocks/{block_id}/children": {"patch": {
            "parameters": _id("block_id"), "x-standin": {"kind": "static"},
            # V: children required (max 100); after optional (a block id); position in newer versions (B)
            "requestBody": _body(_obj(["children"], children=_t("array", items=ANY, maxItems=MAX_CHILDREN),
                                      after=_t("string"))),
            "responses": _answer(BLOCK_LIST)}},
    },
}

# V: status-codes page (codes); messages: its examples where given, else B
CODES = {400: "validation_error", 401: "unauthorized", 403: "restricted_resource", 404: "object_not_found",
         409: "conflict_error", 429: "rate_limited", 500: "internal_server_error", 503: "service_unavailable",
         504: "gateway_timeout"}


def _error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    return {"object": "error", "status": status, "code": code or CODES.get(status, "internal_server_error"),
            "message": message, "request_id": str(uuid.uuid4())}


def _plain(value: str) -> str:
    return value.replace("-", "").lower()


class NotionStandIn(StandIn):
    """The stand-in with Notion's version header, validation wording, parents and appended blocks."""

    async def _read(self, request: Request) -> Any:
        if not request.headers.get("notion-version"):
            return JSONResponse(_error(400, "Notion-Version header failed validation: Notion-Version header should "
                                            "be defined, instead was `undefined`.", "missing_version"), 400)
        body = await read_body(request)
        path = "/" + request.path_params["path"] + (f"?{request.url.query}" if request.url.query else "")
        op, problems = check_request_in(self.operations, request.method, path, body, source="the Notion API")
        if op is None:
            return JSONResponse(_error(400, "Invalid request URL.", "invalid_request_url"), 400)
        if problems:
            parts = [f"body.{p.missing[0]} should be defined, instead was `undefined`." if p.missing
                     else str(p).replace("$.", "body.").replace("$:", "body:") for p in problems[:3]]
            return self._error(400, "body failed validation: " + " ".join(parts))
        return op, path, None if body is NO_BODY else body

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op, path, body = checked
        if op.template == "/v1/pages":
            missing = self._missing_parent(account, body.get("parent") or {})
            if missing:
                return self._error(404, missing)
        if op.template == "/v1/blocks/{block_id}/children":
            return self._append(account, request.path_params["path"].split("/")[2], body)
        return await super()._serve(request, account, checked)

    def _missing_parent(self, account: str, parent: dict[str, Any]) -> str | None:
        for key, collection, kind in (("database_id", "databases", "database"), ("page_id", "pages", "block")):
            if key in parent and not self._find(account, collection, str(parent[key])):
                return (f"Could not find {kind} with ID: {parent[key]}. Make sure the relevant pages and "
                        "databases are shared with your integration.")
        return None

    def _find(self, account: str, collection: str, ident: str) -> str | None:
        rows = self.store.snapshot(account).get(collection, {})
        return next((k for k in rows if _plain(k) == _plain(ident)), None)

    def _append(self, account: str, block_id: str, body: dict[str, Any]) -> Response:
        if not (self._find(account, "pages", block_id) or self._find(account, "blocks", block_id)):
            return self._error(404, f"Could not find block with ID: {block_id}. Make sure the relevant pages and "
                                    "databases are shared with your integration.")
        after = body.get("after")
        if after and not self._find(account, "blocks", str(after)):
            return self._error(404, f"Could not find block with ID: {after}. Make sure the relevant pages and "
                                    "databases are shared with your integration.")
        now = _stamp()
        added = []
        with self.store.use(account) as data:
            rows = data.setdefault("blocks", {})
            for child in body.get("children") or []:
                kind = child.get("type") or next((k for k in child if k != "object"), "paragraph")
                block = {"object": "block", "id": str(uuid.uuid4()), "parent": {"type": "page_id", "page_id": block_id},
                         "created_time": now, "last_edited_time": now, "created_by": {"object": "user", "id": BOT_ID},
                         "last_edited_by": {"object": "user", "id": BOT_ID}, "has_children": False,
                         "archived": False, "in_trash": False, "type": kind, kind: copy.deepcopy(child.get(kind, {}))}
                rows[block["id"]] = block
                added.append(block)
        return JSONResponse({"object": "list", "results": copy.deepcopy(added), "next_cursor": None,
                             "has_more": False, "type": "block", "block": {}, "request_id": str(uuid.uuid4())})

    def _handle(self, ep: Any, account: str, item: str, body: dict[str, Any]) -> tuple[int, Any]:
        if ep.kind == "read":
            item = self._find(account, ep.collection, item) or item
        status, payload = super()._handle(ep, account, item, body)
        if ep.kind == "create" and status < 400:      # Notion ids are UUIDs
            with self.store.use(account) as data:
                rows = data[ep.collection]
                row = rows.pop(str(payload["id"]))
                now = _stamp()
                row.update({"id": str(uuid.uuid4()), "created_time": now, "last_edited_time": now})
                row["url"] = f"https://www.notion.so/{_plain(row['id'])}"
                rows[row["id"]] = row
                payload = copy.deepcopy(row)
        return status, payload

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(_error(status, message), status_code=status, headers=headers or {})


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")   # V: minute precision in page times (B)


STANDIN = NotionStandIn(
    SLUG, "Notion", DEFINITION, origins={"https://api.notion.com": "/api"},
    seed={"databases": [{"id": DATABASE_ID, "object": "database", "created_time": SEED_TIME}],
          "pages": [{"id": PAGE_ID}],
          "blocks": [{"id": BLOCK_ID, "object": "block", "type": "paragraph", "has_children": False,
                      "parent": {"type": "page_id", "page_id": PAGE_ID},
                      "paragraph": {"rich_text": [{"type": "text", "text": {"content": "Agenda"}}]}}]},
    error=_error,
    messages={"unauthorized": "API token is invalid.", "not_found": "Could not find the requested object.",
              "rate_limit": "You have been rate limited. Please try again in a few minutes.",
              "server_error": "Unexpected error occurred.", "unavailable": "Notion is unavailable, try again later.",
              "expired_token": "API token is invalid.", "bad_json": "Error parsing JSON body."},   # V/B wording
    rate_limit=RateLimit(3, 1.0, window="sliding", headers=(), retry_after=True),   # V: ~3/s average, Retry-After
)
SANDBOX = SandboxProvider(slug=SLUG, name="Notion", origins=STANDIN.origins, oauth=OAUTH,
                          api_routes=STANDIN.routes())
