"""Pipedrive sandbox: the spec-driven stand-in (services/sandbox/standin.py) over the v1 endpoints the Hub uses.

Pipedrive publishes its OpenAPI file only on developers.pipedrive.com (shared/specs/pipedrive/SOURCE.txt),
so ``DEFINITION`` is declared here from the documented shapes; swap it for the official file's path when
one is brought in. Sources: authentication, requests, rate limiting and getting-user-data pages of
pipedrive.readme.io (V); field lists of addPerson / addDeal / updateDeal are from the v1 reference (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.declared import schema as _t
from services.sandbox.standin import RateLimit, StandIn

SLUG = "pipedrive"


TIME = _t("string", "2026-01-01 09:00:00")          # V: "YYYY-MM-DD HH:MM:SS" (users/me)
ID, REF = _t("integer"), _t("integer", nullable=True)
CONTACT = _t("array", items={"type": "object", "properties": {   # B: email/phone as labelled values
    "value": _t("string"), "primary": _t("boolean"), "label": _t("string")}})
VISIBLE_TO = _t("string", enum=["1", "3", "5", "7"])              # B


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    """V: every answer is {success, data}."""
    return _t("object", properties={"success": _t("boolean", True), "data": data,
                                     "additional_data": _t("object", properties={})})


def _answer(status: str, data: dict[str, Any]) -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": _envelope(data)}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PERSON_FIELDS = {"name": _t("string"), "owner_id": ID, "org_id": REF, "visible_to": VISIBLE_TO,
                 "email": {"oneOf": [_t("string"), CONTACT]}, "phone": {"oneOf": [_t("string"), CONTACT]},
                 "add_time": _t("string")}
DEAL_FIELDS = {"title": _t("string"), "value": _t("string"), "currency": _t("string"), "user_id": ID,
               "person_id": REF, "org_id": REF, "pipeline_id": ID, "stage_id": ID,
               "status": _t("string", enum=["open", "won", "lost", "deleted"]),
               "expected_close_date": _t("string", format="date"), "probability": _t("number", nullable=True),
               "lost_reason": _t("string"), "visible_to": VISIBLE_TO, "add_time": _t("string")}
PERSON = _t("object", properties={
    "id": ID, "name": _t("string"), "owner_id": _t("integer", 1), "org_id": REF, "email": CONTACT,
    "phone": CONTACT, "active_flag": _t("boolean", True), "visible_to": {**VISIBLE_TO, "example": "3"},
    "add_time": TIME, "update_time": TIME})
DEAL = _t("object", properties={
    "id": ID, "title": _t("string"), "value": _t("number"), "currency": _t("string", "USD"),
    "user_id": _t("integer", 1), "person_id": REF, "org_id": REF, "pipeline_id": _t("integer", 1),
    "stage_id": _t("integer", 1), "status": _t("string", "open"), "active": _t("boolean", True),
    "probability": _t("number", None, nullable=True), "add_time": TIME, "update_time": TIME,
    "stage_change_time": _t("string", None, nullable=True)})
USER = _t("object", properties={   # V: marketplace-getting-user-data (sandbox values)
    "id": _t("integer", 1), "name": _t("string", "Sandbox User"), "email": _t("string", "owner@example.com"),
    "default_currency": _t("string", "USD"), "locale": _t("string", "en_US"), "is_admin": _t("integer", 1),
    "company_id": _t("integer", 1), "company_name": _t("string", "Sandbox Company"),
    "company_domain": _t("string", "sandbox"), "timezone_name": _t("string", "Europe/Tallinn")})
ITEM = [{"name": "id", "in": "path", "required": True, "schema": ID}]

DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Pipedrive API v1 (declared from the documented shapes)", "version": "1"},
    "servers": [{"url": "https://api.pipedrive.com"}],
    "paths": {
        "/v1/users/me": {"get": {"responses": _answer("200", USER)}},
        "/v1/persons": {"post": {"requestBody": _body({"type": "object", "required": ["name"],
                                                       "properties": PERSON_FIELDS}),
                                 "responses": _answer("201", PERSON)}},           # B: 201 on create
        "/v1/persons/{id}": {"get": {"parameters": ITEM, "responses": _answer("200", PERSON)}},
        "/v1/deals": {"post": {"requestBody": _body({"type": "object", "required": ["title"],
                                                     "properties": DEAL_FIELDS}),
                               "responses": _answer("201", DEAL)}},
        "/v1/deals/{id}": {"get": {"parameters": ITEM, "responses": _answer("200", DEAL)},
                           "put": {"parameters": ITEM, "requestBody": _body({"type": "object",
                                                                             "properties": DEAL_FIELDS}),
                                   "responses": _answer("200", DEAL)}},
    },
}


def _error(status: int, message: str) -> dict[str, Any]:
    # B: {success: false, error, errorCode, error_info} (third-party copies of the reference; wording B)
    return {"success": False, "error": message, "errorCode": status,
            "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API."}


STANDIN = StandIn(
    SLUG, "Pipedrive", DEFINITION, origins={"https://api.pipedrive.com": "/api"}, record_path="data",
    seed={"deals": [{"id": 1, "title": "Sandbox deal", "value": 1000, "person_id": 1}],
          "persons": [{"id": 1, "name": "Jane Doe"}]},
    error=_error, messages={"unauthorized": "unauthorized access", "not_found": "Item not found",   # B: wording
                            "rate_limit": "Request over limit"},
    rate_limit=RateLimit(20, 2.0),     # V: Essential plan api_token, per 2-second window, x-ratelimit-* headers
)
SANDBOX = STANDIN.provider()
