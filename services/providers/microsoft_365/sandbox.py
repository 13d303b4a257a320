"""Microsoft 365 sandbox: the Microsoft identity platform's OAuth 2.0 (v2.0 endpoints, PKCE, rotating refresh
tokens, one-hour access tokens) and the Microsoft Graph v1.0 calls the Hub makes, checked against Graph's
official CSDL metadata (``SPEC``, services/sandbox/csdl.py) and served by the spec-driven stand-in.

Served under ``/sandbox/microsoft-365``:
  /login/{tenant}/oauth2/v2.0/authorize, /token    (= https://login.microsoftonline.com; tenant: common,
                                                    organizations, consumers or a tenant id)
  /api/v1.0/me                     GET    the signed-in user
  /api/v1.0/me/messages            GET    {"@odata.context", "value": [...]}; $top pages with @odata.nextLink,
                                          $select projects (id always kept)
  /api/v1.0/me/messages/{id}       GET
  /api/v1.0/me/sendMail            POST   202, no body; the message is saved to Sent Items (so listed by
                                          /me/messages) unless SaveToSentItems is false
  /api/v1.0/me/events              POST   201, the created event
  /api/v1.0/me/events/{id}         GET
Every request is first checked against the CSDL (path, method, query options, body property names and
types): a path Graph lacks is 400 BadRequest "Resource not found for the segment ...", a bad body 400. Errors
are Graph's ``{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}``; every
answer carries ``request-id`` and ``client-request-id``. Throttling is 429 with Retry-After and no
rate-limit headers (learn.microsoft.com/graph/throttling, V).
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.api import read_body
from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.csdl import Spec
from services.sandbox.declared import schema as _t
from services.sandbox.openapi import Operation, check_request_in
from services.sandbox.schema_checks import NO_BODY
from services.sandbox.standin import RateLimit, StandIn

SLUG = "microsoft-365"
GRAPH = "https://graph.microsoft.com"
SPEC = Spec("microsoft-365", "cleanMetadata.v1.0.xml", base="/v1.0", name="the Microsoft Graph v1.0 metadata")
USER_ID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"      # the reference pages' example user id
MESSAGE_IDS = ("AAMkAGUAAAwTW09AAA=", "AAMkAGUAAAwTW0-AAA=")

# B: access tokens live 60-90 minutes (random; the sandbox uses 60); a refresh returns a new refresh token
OAUTH = OAuthServer(
    provider="Microsoft", authorize_path="/login/{tenant}/oauth2/v2.0/authorize",
    token_path="/login/{tenant}/oauth2/v2.0/token", access_ttl=3600, refresh="rotate", pkce=True,
    client_auth="post", token_type="Bearer",
    extras=lambda account, request: {"ext_expires_in": 3600},
)


def _obj(**props: Any) -> dict[str, Any]:
    return _t("object", properties=props)


ADDRESS = _obj(emailAddress=_obj(name=_t("string", "Megan Bowen"), address=_t("string", "megan@example.com")))
TIME = _obj(dateTime=_t("string", "2026-01-02T09:00:00.0000000"), timeZone=_t("string", "UTC"))
USER = _obj(**{
    "@odata.context": _t("string", f"{GRAPH}/v1.0/$metadata#users/$entity"),
    "businessPhones": _t("array", ["+1 555 0100"], items=_t("string")), "displayName": _t("string", "Megan Bowen"),
    "givenName": _t("string", "Megan"), "jobTitle": _t("string", "Marketing Manager"),
    "mail": _t("string", "megan@example.com"), "mobilePhone": _t("string", None, nullable=True),
    "officeLocation": _t("string", "12/1110"), "preferredLanguage": _t("string", "en-US"),
    "surname": _t("string", "Bowen"), "userPrincipalName": _t("string", "megan@example.com"),
    "id": _t("string", USER_ID)})
MESSAGE = _obj(
    id=_t("string"), createdDateTime=_t("string", "2026-01-01T09:00:00Z"),
    lastModifiedDateTime=_t("string", "2026-01-01T09:00:00Z"), receivedDateTime=_t("string", "2026-01-01T09:00:00Z"),
    sentDateTime=_t("string", "2026-01-01T08:59:58Z"), hasAttachments=_t("boolean", False),
    subject=_t("string", "Welcome"), bodyPreview=_t("string", "Thanks for signing up."),
    importance=_t("string", "normal"), conversationId=_t("string", "AAQkAGUAAAQTW09AAA="),
    isRead=_t("boolean", False), isDraft=_t("boolean", False), parentFolderId=_t("string", "inbox"),
    webLink=_t("string", "https://outlook.office365.com/owa/?ItemID=AAMkAGUAAAwTW09AAA%3D&exvsurl=1&viewmodel=ReadMessageItem"),
    body=_obj(contentType=_t("string", "html"), content=_t("string", "<p>Thanks for signing up.</p>")),
    sender=ADDRESS, **{"from": ADDRESS},
    toRecipients=_t("array", [{"emailAddress": {"name": "Jane Doe", "address": "jane.doe@example.com"}}],
                    items=ADDRESS),
    ccRecipients=_t("array", [], items=ADDRESS), bccRecipients=_t("array", [], items=ADDRESS))
EVENT = _obj(
    id=_t("string"), createdDateTime=_t("string", "2026-01-01T09:00:00Z"),
    lastModifiedDateTime=_t("string", "2026-01-01T09:00:00Z"), subject=_t("string", ""),
    bodyPreview=_t("string", ""), importance=_t("string", "normal"), sensitivity=_t("string", "normal"),
    isAllDay=_t("boolean", False), isCancelled=_t("boolean", False), isOrganizer=_t("boolean", True),
    isOnlineMeeting=_t("boolean", False), showAs=_t("string", "busy"), type=_t("string", "singleInstance"),
    webLink=_t("string", "https://outlook.office365.com/owa/?itemid=AAMkAGI1AAAt9AHjAAA%3D&exvsurl=1&path=/calendar/item"),
    body=_obj(contentType=_t("string", "html"), content=_t("string", "")), start=TIME, end=TIME,
    location=_obj(displayName=_t("string", "")), attendees=_t("array", [], items=_obj()),
    organizer=ADDRESS)
ITEM = [{"name": "id", "in": "path", "required": True, "schema": _t("string")}]
ANY_BODY = {"content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}}}


def _answer(status: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if schema is None:
        return {status: {"description": "Accepted"}}
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


# What the stand-in serves (the CSDL has no paths): shapes from the Graph v1.0 reference pages (user-get,
# user-list-messages, user-sendmail, user-post-events; V) and their example values. Requests are checked
# against the CSDL before these are looked at.
DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Microsoft Graph v1.0 (the calls the Hub makes; checked against the CSDL)", "version": "1"},
    "servers": [{"url": GRAPH}],
    "paths": {
        "/v1.0/me": {"get": {"responses": _answer("200", USER)}},
        "/v1.0/me/messages": {"get": {
            "x-standin": {"kind": "list", "collection": "messages", "record_path": "value"},
            "responses": _answer("200", _obj(**{"@odata.context": _t(
                "string", f"{GRAPH}/v1.0/$metadata#users('{USER_ID}')/messages"),
                "value": _t("array", items=MESSAGE)}))}},
        "/v1.0/me/messages/{id}": {"get": {"parameters": ITEM, "x-standin": {"collection": "messages"},
                                           "responses": _answer("200", MESSAGE)}},
        "/v1.0/me/sendMail": {"post": {"x-standin": {"kind": "static"}, "requestBody": ANY_BODY,
                                       "responses": _answer("202", None)}},
        "/v1.0/me/events": {"post": {"x-standin": {"kind": "create", "collection": "events"},
                                     "requestBody": ANY_BODY, "responses": _answer("201", EVENT)}},
        "/v1.0/me/events/{id}": {"get": {"parameters": ITEM, "x-standin": {"collection": "events"},
                                         "responses": _answer("200", EVENT)}},
    },
}

# B: codes by status (learn.microsoft.com/graph/errors lists the shape and generic codes; Outlook's own codes
# such as ErrorItemNotFound and ApplicationThrottled are from observed answers)
CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "ErrorAccessDenied", 404: "ErrorItemNotFound",
         429: "ApplicationThrottled", 500: "generalException", 501: "notImplemented", 503: "serviceNotAvailable"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _error(status: int, message: str, request_id: str | None = None) -> dict[str, Any]:
    rid = request_id or str(uuid.uuid4())
    return {"error": {"code": CODES.get(status, "generalException"), "message": message,
                      "innerError": {"date": _now(), "request-id": rid, "client-request-id": rid}}}


class GraphStandIn(StandIn):
    """The stand-in with Graph's request check (the CSDL), request ids, $top/$select and Sent Items."""

    async def _read(self, request: Request) -> Any:
        body = await read_body(request)
        path = "/" + request.path_params["path"] + (f"?{request.url.query}" if request.url.query else "")
        target, problems = SPEC.check_request(request.method, path, body)
        if target is None or problems:
            return self._error(400, "; ".join(p.message if p.where == "$" else str(p) for p in problems[:5]))
        op, _ = check_request_in(self.operations, request.method, path, body, source="the sandbox")
        if op is None:
            return self._error(501, f"The sandbox does not serve {request.method} {path.split('?')[0]} "
                                    "(valid in Graph's metadata).")
        return op, path, None if body is NO_BODY else body

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op, path, body = checked
        if op.template == "/v1.0/me/sendMail":
            self._save_sent(account, body or {})
            return self._ids(request, Response(status_code=202))
        response = await super()._serve(request, account, checked)
        if op.template == "/v1.0/me/messages" and response.status_code == 200:
            response = self._page(request, json.loads(bytes(response.body)))
        return self._ids(request, response)

    def _page(self, request: Request, payload: dict[str, Any]) -> Response:
        """$top / $skip paging with @odata.nextLink, $select projection (V: user-list-messages, paging)."""
        items = sorted(payload.get("value") or [], key=lambda m: m.get("receivedDateTime") or "", reverse=True)
        top, skip = int(request.query_params.get("$top") or 10), int(request.query_params.get("$skip") or 0)
        page = items[skip:skip + top]
        fields = [f.strip() for f in (request.query_params.get("$select") or "").split(",") if f.strip()]
        if fields:
            page = [{k: v for k, v in m.items() if k in fields or k == "id"} for m in page]
            for m in page:
                m["@odata.etag"] = 'W/"CQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAAAAAAA"'
        payload["value"] = page
        if skip + top < len(items):
            query = {k: v for k, v in request.query_params.items() if k != "$skip"}
            payload["@odata.nextLink"] = f"{GRAPH}/v1.0/me/messages?{urlencode({**query, '$skip': skip + top})}"
        return JSONResponse(payload)

    def _save_sent(self, account: str, body: dict[str, Any]) -> None:
        params = {k.lower(): v for k, v in body.items()}
        if params.get("savetosentitems") is False:
            return
        message = params.get("message") or {}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.store.use(account) as data:
            rows = data.setdefault("messages", {})
            ident = f"AAMkAGUAAAwTW{len(rows) + 1:02d}AAA="
            content = (message.get("body") or {}).get("content", "")
            rows[ident] = {**copy.deepcopy(self._record_base("messages", stamp)), **copy.deepcopy(message),
                           "id": ident, "parentFolderId": "sentitems", "isRead": True, "isDraft": False,
                           "sentDateTime": stamp, "receivedDateTime": stamp, "createdDateTime": stamp,
                           "lastModifiedDateTime": stamp, "bodyPreview": str(content)[:255]}

    def _ids(self, request: Request, response: Response) -> Response:
        rid = str(uuid.uuid4())
        response.headers["request-id"] = rid
        response.headers["client-request-id"] = request.headers.get("client-request-id") or rid
        return response

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        rid = str(uuid.uuid4())
        return JSONResponse(_error(status, message, rid), status_code=status,
                            headers={**(headers or {}), "request-id": rid, "client-request-id": rid})


STANDIN = GraphStandIn(
    SLUG, "Microsoft 365", DEFINITION, origins={"https://login.microsoftonline.com": "/login", GRAPH: "/api"},
    seed={"messages": [
        {"id": MESSAGE_IDS[0], "subject": "Welcome to Contoso", "receivedDateTime": "2026-01-01T09:00:00Z"},
        {"id": MESSAGE_IDS[1], "subject": "Your invoice", "receivedDateTime": "2026-01-01T08:00:00Z",
         "bodyPreview": "Please find the invoice attached.", "isRead": True}]},
    id_prefixes={"events": "AAMkAGI1AAAt9AHj", "messages": "AAMkAGUAAAwTW"},
    error=_error,
    messages={"unauthorized": "IDX14100: JWT is not well formed, there are no dots (.).",            # B: wording
              "expired_token": "Lifetime validation failed, the token is expired.",                 # B
              "not_found": "The specified object was not found in the store.",                      # B
              "rate_limit": "Application is over its MailboxConcurrency limit.",                    # B
              "server_error": "General exception while processing.",                                # B
              "unavailable": "The service is not available. Try the request again after a delay.",  # B
              "bad_json": "Unable to read JSON request payload. Please ensure Content-Type header is set and "
                          "payload is of valid JSON format."},                                      # B
    # V: Outlook service limits, 10,000 requests per 10 minutes per app per mailbox; 429 + Retry-After only
    rate_limit=RateLimit(10000, 600.0, headers=(), retry_after=True),
)
SANDBOX = SandboxProvider(slug=SLUG, name="Microsoft 365", origins=STANDIN.origins, oauth=OAUTH,
                          api_routes=STANDIN.routes(), spec=SPEC)
