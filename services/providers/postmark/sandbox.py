"""Postmark sandbox: the spec-driven stand-in (services/sandbox/standin.py) over the Server API the Hub uses.

Postmark publishes its Swagger files only on its website (shared/specs/postmark/SOURCE.txt), so ``DEFINITION`` is
declared here from the documented shapes. Sources (V = read there): postmarkapp.com/developer/api/overview
(X-Postmark-Server-Token, 401 for a wrong or missing token, errors as ``{ErrorCode, Message}`` with 422 for a
request Postmark refuses), postmarkapp.com/developer/user-guide/sending-with-api (POST /email fields,
MessageStream ``outbound``), postmarkapp.com/developer/api/templates-api (POST /email/withTemplate: TemplateId or
TemplateAlias, TemplateModel, From and To required), postmarkapp.com/developer/api/server-api (GET /server
fields). The send answer ``{To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK"}`` is the email API page's
(B: not re-read here); error codes 10 (bad or missing token) and 429 (rate limit) from the overview's error-code
list (B: read in a copy of it); Postmark publishes no rate-limit numbers or headers (B).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.declared import answer as _answer
from services.sandbox.declared import schema as _t
from services.sandbox.standin import RateLimit, StandIn

SLUG = "postmark"


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


MESSAGE = {"From": _t("string"), "To": _t("string"), "Cc": _t("string"), "Bcc": _t("string"),
           "ReplyTo": _t("string"), "Tag": _t("string"), "Subject": _t("string"), "HtmlBody": _t("string"),
           "TextBody": _t("string"), "MessageStream": _t("string"), "TrackOpens": _t("boolean"),
           "TrackLinks": _t("string", enum=["None", "HtmlAndText", "HtmlOnly", "TextOnly"]),
           "Metadata": _t("object", additionalProperties={"type": "string"}),
           "Headers": _t("array", items={"type": "object", "properties": {"Name": _t("string"),
                                                                          "Value": _t("string")}})}
TEMPLATED = {**{k: v for k, v in MESSAGE.items() if k not in ("Subject", "HtmlBody", "TextBody")},
             "TemplateId": _t("integer"), "TemplateAlias": _t("string"), "TemplateModel": _t("object"),
             "InlineCss": _t("boolean")}
SENT = _t("object", properties={
    "To": _t("string", "jane.doe@example.com"), "SubmittedAt": _t("string", "2026-01-01T09:00:00.0000000Z"),
    "MessageID": _t("string", "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"), "ErrorCode": _t("integer", 0),
    "Message": _t("string", "OK")})
SERVER = _t("object", properties={
    "ID": _t("integer", 1), "Name": _t("string", "Sandbox Server"), "ApiTokens": _t("array", ["sbx_****"]),
    "Color": _t("string", "blue"), "SmtpApiActivated": _t("boolean", True), "RawEmailEnabled": _t("boolean", False),
    "DeliveryType": _t("string", "Live"), "ServerLink": _t("string", "https://account.postmarkapp.com/servers/1/"
                                                                       "streams/outbound/overview"),
    "InboundAddress": _t("string", "xxxx@inbound.postmarkapp.com"), "TrackOpens": _t("boolean", False),
    "TrackLinks": _t("string", "None")})

DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Postmark Server API (declared from the documented shapes)", "version": "1"},
    "servers": [{"url": "https://api.postmarkapp.com"}],
    "paths": {
        "/server": {"get": {"responses": _answer(SERVER)}},
        "/email": {"post": {"requestBody": _body(_t("object", required=["From", "To"], properties=MESSAGE)),
                            "responses": _answer(SENT), "x-standin": {"kind": "static"}}},
        "/email/withTemplate": {"post": {
            "requestBody": _body(_t("object", required=["From", "To", "TemplateModel"], properties=TEMPLATED,
                                    anyOf=[{"required": ["TemplateId"]}, {"required": ["TemplateAlias"]}])),
            "responses": _answer(SENT), "x-standin": {"kind": "static"}}},
    },
}
CODES = {401: 10, 404: 404, 429: 429, 500: 500, 503: 100}      # B: 10 bad token, 429 rate limit, 100 maintenance


def _error(status: int, message: str) -> dict[str, Any]:
    return {"ErrorCode": CODES.get(status, 300 if status in (400, 422) else 500), "Message": message}


class PostmarkStandIn(StandIn):
    async def _read(self, request: Request) -> Any:
        checked = await super()._read(request)
        if isinstance(checked, Response) and checked.status_code == 400:
            return self._error(422, "Invalid email request. " + _detail(checked))   # V: 422, ErrorCode 300
        return checked

    async def _serve(self, request: Request, account: str, checked: Any) -> Response:
        response = await super()._serve(request, account, checked)
        if checked[0].method != "POST":
            return response
        to = (checked[2] or {}).get("To", "") if isinstance(checked[2], dict) else ""
        return JSONResponse({"To": to, "SubmittedAt": "2026-01-01T09:00:00.0000000Z",      # a fresh MessageID
                             "MessageID": str(uuid.uuid4()), "ErrorCode": 0, "Message": "OK"})


def _detail(response: Response) -> str:
    return str(json.loads(bytes(response.body)).get("Message", ""))


STANDIN = PostmarkStandIn(
    SLUG, "Postmark", DEFINITION, origins={"https://api.postmarkapp.com": "/api"},
    error=_error,
    messages={"unauthorized": "No Account or Server API tokens were supplied in the HTTP headers. Please add a "
                              "header for either X-Postmark-Server-Token or X-Postmark-Account-Token.",   # B: wording
              "not_found": "Not found", "rate_limit": "Rate Limit Exceeded",                         # B
              "server_error": "Internal server error", "unavailable": "Maintenance"},
    rate_limit=RateLimit(50, 1.0, headers=(), retry_after=False),     # B: no published numbers or headers
)
SANDBOX = STANDIN.provider()
