"""Airtable sandbox: the spec-driven stand-in over the Web API calls the Hub uses, declared from the documented
shapes (Airtable publishes no OpenAPI file), plus Airtable's OAuth server (PKCE required).

Served under ``/sandbox/airtable/api`` (= https://api.airtable.com) and ``/web`` (= https://airtable.com):
  GET   /v0/meta/whoami                         {id, scopes, email}
  POST  /v0/{baseId}/{tableIdOrName}            200 {id: rec..., createdTime, fields}; unknown field names are
                                                422 UNKNOWN_FIELD_NAME
  GET   /v0/{baseId}/{tableIdOrName}            {records, offset}: pageSize (max 100), offset, maxRecords
  /web/oauth2/v1/authorize, /web/oauth2/v1/token
Each account holds base BASE_ID with table TABLE ("Tasks", id TABLE_ID) and three records. A base or table
it lacks is 404. Errors are ``{"error": {"type", "message"}}`` (a path Airtable lacks: ``{"error":
"NOT_FOUND"}``). Sources: airtable.com/developers/web/api/introduction (Bearer token, JSON, V),
/api/get-user-id-scopes (whoami, V), /api/create-records and /api/list-records (shapes, V), /api/rate-limits
(5 requests per second per base, 429 then 30 seconds, V), /api/errors (error types, V; wording B),
/api/oauth-reference (authorize/token URLs, PKCE S256, V).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.declared import obj as _obj
from services.sandbox.declared import schema as _t
from services.sandbox.openapi import Operation
from services.sandbox.standin import RateLimit, StandIn

SLUG = "airtable"
BASE_ID = "appsandbox0000001"                 # app + 14 characters
TABLE_ID = "tblsandbox0000001"
TABLE = "Tasks"
FIELDS = {"Name", "Notes", "Status", "Due", "Done"}              # the sandbox table's fields
USER_ID = "usrsandbox0000001"

OAUTH = OAuthServer(provider="Airtable", authorize_path="/web/oauth2/v1/authorize",
                    token_path="/web/oauth2/v1/token", access_ttl=3600, refresh="rotate", pkce=True,
                    client_auth="basic", token_type="Bearer",
                    extras=lambda account, request: {"refresh_expires_in": 5184000})   # B: 60 days


RECORD = _obj(id=_t("string"), createdTime=_t("string", "2026-01-01T09:00:00.000Z"),
              fields=_t("object", {}, additionalProperties=True))
TABLE_PARAMS = [{"name": "baseId", "in": "path", "required": True, "schema": _t("string")},
                {"name": "tableIdOrName", "in": "path", "required": True, "schema": _t("string")}]
LIST_PARAMS = [{"name": n, "in": "query", "schema": s} for n, s in (
    ("pageSize", _t("integer", minimum=1, maximum=100)), ("maxRecords", _t("integer", minimum=1)),
    ("offset", _t("string")), ("view", _t("string")), ("filterByFormula", _t("string")),
    ("cellFormat", _t("string", enum=["json", "string"])), ("timeZone", _t("string")),
    ("userLocale", _t("string")), ("returnFieldsByFieldId", _t("boolean")))]

DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Airtable Web API (declared from the documented shapes)", "version": "0"},
    "servers": [{"url": "https://api.airtable.com"}],
    "paths": {
        "/v0/meta/whoami": {"get": {"responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": _obj(id=_t("string", USER_ID), scopes=_t("array", ["data.records:read", "data.records:write",
                                                                         "schema.bases:read", "user.email:read"]),
                           email=_t("string", "owner@example.com"))}}}}}},
        "/v0/{baseId}/{tableIdOrName}": {
            "post": {"parameters": TABLE_PARAMS, "x-standin": {"kind": "create", "collection": "records"},
                     # V: create-records: fields (one record) or records (up to 10); typecast optional
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _obj(
                         fields=_t("object", additionalProperties=True),
                         records=_t("array", maxItems=10, items=_obj(["fields"], fields=_t("object"))),
                         typecast=_t("boolean"), returnFieldsByFieldId=_t("boolean"))}}},
                     "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": RECORD}}}}},
            "get": {"parameters": TABLE_PARAMS + LIST_PARAMS,
                    "x-standin": {"kind": "list", "collection": "records", "record_path": "records"},
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _obj(
                        records=_t("array", items=RECORD), offset=_t("string"))}}}}},
        },
    },
}

# V: errors page (types); messages B
TYPES = {400: "INVALID_REQUEST_UNKNOWN", 401: "AUTHENTICATION_REQUIRED", 403: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
         404: "NOT_FOUND", 413: "REQUEST_TOO_LARGE", 422: "INVALID_REQUEST_UNKNOWN", 429: "RATE_LIMIT_REACHED",
         500: "SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}


def _error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind or TYPES.get(status, "SERVER_ERROR"), "message": message}}


class AirtableStandIn(StandIn):
    """The stand-in with Airtable's bases and tables, field names, record ids and offset paging."""

    async def _read(self, request: Request) -> Any:
        checked = await super()._read(request)
        if isinstance(checked, Response) and checked.status_code == 404:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)   # V: unknown route
        if isinstance(checked, Response) and checked.status_code == 400:
            checked.status_code = 422                                        # V: invalid request is 422
            checked.body = json.dumps(_error(422, "Invalid request: parameter validation failed. Check your "
                                                  "request data. " + json.loads(bytes(checked.body))["error"]
                                             ["message"])).encode()
            checked.headers["content-length"] = str(len(checked.body))
        return checked

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op, path, body = checked
        if op.template != "/v0/{baseId}/{tableIdOrName}":
            return await super()._serve(request, account, checked)
        base, table = request.path_params["path"].split("/")[1:3]
        if base != BASE_ID or table not in (TABLE, TABLE_ID):
            return self._error(403 if base != BASE_ID else 404, "Invalid permissions, or the requested model was "
                               "not found. Check that both your user and your token have the required permissions, "
                               "and that the model names and/or ids are correct.",
                               kind="INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND" if base != BASE_ID else "TABLE_NOT_FOUND")
        if request.method == "POST":
            unknown = sorted(set((body or {}).get("fields") or {}) - FIELDS)
            if unknown and not (body or {}).get("typecast"):
                return self._error(422, f'Unknown field name: "{unknown[0]}"', kind="UNKNOWN_FIELD_NAME")
            if "records" in (body or {}):
                return self._error(422, "The sandbox creates one record per call (fields).",
                                   kind="INVALID_REQUEST_UNKNOWN")
            response = await super()._serve(request, account, checked)
            record = json.loads(bytes(response.body))
            return JSONResponse({k: record[k] for k in ("id", "createdTime", "fields") if k in record})
        response = await super()._serve(request, account, checked)
        return self._page(request, json.loads(bytes(response.body)).get("records") or [])

    def _page(self, request: Request, records: list[dict[str, Any]]) -> Response:
        """V: list-records: pageSize (default and max 100), maxRecords, offset (an opaque cursor)."""
        q = request.query_params
        records = sorted(records, key=lambda r: (r.get("createdTime") or "", r["id"]))
        if q.get("maxRecords"):
            records = records[:int(q["maxRecords"])]
        start = int(q["offset"].rsplit("/", 1)[-1]) if (q.get("offset") or "").startswith("itr") else 0
        size = min(int(q.get("pageSize") or 100), 100)
        page = [{k: r[k] for k in ("id", "createdTime", "fields") if k in r} for r in records[start:start + size]]
        answer: dict[str, Any] = {"records": copy.deepcopy(page)}
        if start + size < len(records):
            answer["offset"] = f"itrsandbox{start + size:07d}/{start + size}"
        return JSONResponse(answer)

    def _handle(self, ep: Any, account: str, item: str, body: dict[str, Any]) -> tuple[int, Any]:
        status, payload = super()._handle(ep, account, item, body)
        if ep.kind == "create" and status < 400:      # ids are rec + 14 characters
            with self.store.use(account) as data:
                rows = data[ep.collection]
                row = rows.pop(str(payload["id"]))
                row["id"] = f"rec{str(payload['id']).removeprefix('rec').zfill(14)}"
                row.pop("typecast", None)
                row.pop("returnFieldsByFieldId", None)
                rows[row["id"]] = row
                payload = copy.deepcopy(row)
        return status, payload

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None, *,
               kind: str | None = None) -> Response:
        return JSONResponse(_error(status, message, kind), status_code=status, headers=headers or {})


SEEDED = [{"id": f"rec{n:014d}", "createdTime": f"2026-01-0{n}T09:00:00.000Z",
           "fields": {"Name": name, "Status": status}}
          for n, (name, status) in enumerate([("Draft the brief", "Done"), ("Review the mockups", "In progress"),
                                              ("Ship the launch email", "Todo")], start=1)]

STANDIN = AirtableStandIn(
    SLUG, "Airtable", DEFINITION, origins={"https://api.airtable.com": "/api", "https://airtable.com": "/web"},
    seed={"records": SEEDED}, id_prefixes={"records": "rec"},
    error=_error,
    messages={"unauthorized": "Authentication required", "not_found": "Could not find what you are looking for",
              "rate_limit": "Rate limit exceeded. Please try again later", "server_error": "Server error",
              "unavailable": "Service unavailable", "expired_token": "Authentication required",
              "bad_json": "Invalid request: the body is not valid JSON"},                        # B: wording
    rate_limit=RateLimit(5, 1.0, headers=()),      # V: 5 requests per second per base; no limit headers (B)
)
SANDBOX = SandboxProvider(slug=SLUG, name="Airtable", origins=STANDIN.origins, oauth=OAUTH,
                          api_routes=STANDIN.routes())
