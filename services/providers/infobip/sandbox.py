"""Infobip sandbox: the spec-driven stand-in (services/sandbox/standin.py) over the endpoints the Hub uses.

Infobip serves its OpenAPI file only from its API (shared/specs/infobip/SOURCE.txt), so ``DEFINITION`` is
declared here from the documented shapes: GET /account/1/balance (V: dev.infobip.com/settings/account-balance),
POST /sms/2/text/advanced and POST /whatsapp/1/message/text (B: field names and answers as in Infobip's API
reference and client libraries). Every account has its own host (``https://<id>.api.infobip.com``, V: base-url
page): the sandbox answers any of them. Errors: ``{requestError: {serviceException: {messageId, text}}}`` (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.declared import answer as _answer
from services.sandbox.declared import obj as _obj
from services.sandbox.declared import schema as _t
from services.sandbox.standin import RateLimit, StandIn

SLUG = "infobip"


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _status(group: str, group_id: int, name: str, ident: int, description: str) -> dict[str, Any]:
    return _obj(groupId=_t("integer", group_id), groupName=_t("string", group), id=_t("integer", ident),
                name=_t("string", name), description=_t("string", description))


STATIC = {"x-standin": {"kind": "static"}}      # sends answer the documented example; nothing is stored
DESTINATION = _obj(["to"], to=_t("string"), messageId=_t("string"))
SMS_MESSAGE = _obj(["destinations"], **{
    "from": _t("string"), "destinations": _t("array", items=DESTINATION, minItems=1), "text": _t("string"),
    "flash": _t("boolean"), "language": _obj(languageCode=_t("string")), "transliteration": _t("string"),
    "notifyUrl": _t("string"), "notifyContentType": _t("string"), "callbackData": _t("string"),
    "validityPeriod": _t("integer"), "sendAt": _t("string"), "intermediateReport": _t("boolean")})
SMS_SENT = _obj(bulkId=_t("string", "2034072219640523072"), messages=_t("array", items=_obj(
    to=_t("string"), messageId=_t("string"),
    status=_status("PENDING", 1, "PENDING_ACCEPTED", 26, "Message sent to next instance")),
    example=[{"to": "41793026727", "messageId": "2250be2d4219-3af1-78856-aabe-1362af1edfd2",
              "status": {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED",
                         "description": "Message sent to next instance"}}]))
WHATSAPP_TEXT = _obj(["from", "to", "content"], **{
    "from": _t("string"), "to": _t("string"), "messageId": _t("string"),
    "content": _obj(["text"], text=_t("string", minLength=1, maxLength=4096), previewUrl=_t("boolean")),
    "callbackData": _t("string"), "notifyUrl": _t("string"), "urlOptions": _obj()})
WHATSAPP_SENT = _obj(to=_t("string", "441134960001"), messageCount=_t("integer", 1),
                     messageId=_t("string", "a28dd97c-1ffb-4fcf-99f1-0b557ed381da"),
                     status=_status("PENDING", 1, "PENDING_ENROUTE", 7, "Message sent to next instance"))

DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Infobip API (declared from the documented shapes)", "version": "1"},
    "servers": [{"url": "https://api.infobip.com"}],
    "paths": {
        "/account/1/balance": {"get": {"responses": _answer(_obj(balance=_t("number", 47.79),
                                                                  currency=_t("string", "EUR")))}},
        "/sms/2/text/advanced": {"post": {**STATIC, "requestBody": _body(_obj(
            ["messages"], messages=_t("array", items=SMS_MESSAGE, minItems=1), bulkId=_t("string"),
            tracking=_obj(), sendingSpeedLimit=_obj())), "responses": _answer(SMS_SENT)}},
        "/whatsapp/1/message/text": {"post": {**STATIC, "requestBody": _body(WHATSAPP_TEXT),
                                              "responses": _answer(WHATSAPP_SENT)}},
    },
}
MESSAGE_IDS = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               429: "TOO_MANY_REQUESTS", 500: "GENERAL_ERROR", 503: "GENERAL_ERROR"}          # B


def _error(status: int, message: str) -> dict[str, Any]:
    return {"requestError": {"serviceException": {"messageId": MESSAGE_IDS.get(status, "GENERAL_ERROR"),
                                                  "text": message}}}


STANDIN = StandIn(
    SLUG, "Infobip", DEFINITION, origins={"https://*.api.infobip.com": "/api", "https://api.infobip.com": "/api"},
    error=_error,
    messages={"unauthorized": "Invalid login details", "not_found": "Requested URL not found",
              "rate_limit": "Too many requests", "server_error": "Something went wrong. Please contact support.",
              "bad_json": "Bad request"},                                                     # B: wording
    rate_limit=RateLimit(100, 1.0, headers=()),                                             # B
)
SANDBOX = STANDIN.provider()
