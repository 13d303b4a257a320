"""Salesforce sandbox: web-server flow with PKCE; the token response carries instance_url, id,
issued_at and signature but no expires_in; sessions last 2 hours; the refresh response has no new
refresh token. The instance (``/instance`` = https://*.my.salesforce.com) answers the REST API calls
the executors use, with Salesforce's JSON-array error bodies.

Served under ``/sandbox/salesforce/instance``:
  GET   /services/data/                                     version list (not counted, V)
  GET   /services/data/vXX.X/limits                         DailyApiRequests (B)
  POST  /services/data/vXX.X/sobjects/{Object}              201 {id, success, errors}
  GET   /services/data/vXX.X/sobjects/{Object}/{id}         the record with attributes
  PATCH /services/data/vXX.X/sobjects/{Object}/{id}         204
  GET   /services/data/vXX.X/sobjects/{Object}/{Field}/{value}   the record, or 300 when several match
  PATCH /services/data/vXX.X/sobjects/{Object}/{Field}/{value}   upsert: 201 created; 200 (v46.0+) or 204
        updated; 300 several matches; ?updateOnly=true never creates
Objects: Lead, Contact, Opportunity, Account, Campaign, CampaignMember, Task. Unknown fields, read-only
fields, required fields (Lead LastName+Company, Contact LastName, Opportunity Name+StageName+CloseDate),
dates and record references are checked. Every instance response carries ``Sforce-Limit-Info``; past
the account's daily allocation (``api_max`` in its state) the answer is 403 REQUEST_LIMIT_EXCEEDED.
A custom field (``Name__c``) exists in every sandbox org and counts as an External ID (B).
``state(account)`` returns a deep copy of an account's data for tests.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import time
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults
from services.sandbox.api import SandboxApi, bearer_token, read_json
from services.sandbox.common import OAuthServer, SandboxProvider, rfc_error
from services.sandbox.limits import Decision
from services.sandbox.schema_checks import is_datetime
from services.sandbox.store import AccountStore, State, next_id

SLUG = "salesforce"
LATEST = 66.0
OLDEST = 31.0
DAILY_MAX = 15000                 # B: Developer Edition daily API allocation
_DESCRIPTIONS = {"bad_code": "invalid authorization code", "bad_refresh": "expired access/refresh token",
                 "bad_verifier": "invalid code verifier", "bad_redirect": "redirect_uri mismatch",
                 "bad_client": "invalid client credentials"}   # B: wording


def _error(reason: str, description: str) -> Response:
    response = rfc_error(reason, _DESCRIPTIONS.get(reason, description))
    if reason == "bad_client":
        response.status_code = 400
    return response


def _extras(account: str, request: Request) -> dict[str, object]:
    org = hashlib.sha256(account.encode()).hexdigest()[:12].upper()
    issued = str(int(time.time() * 1000))
    return {"instance_url": f"{request.url.scheme}://{request.url.netloc}/sandbox/salesforce/instance",
            "id": f"https://login.salesforce.com/id/00D{org}/005{org}", "issued_at": issued,
            "signature": base64.b64encode(hashlib.sha256((org + issued).encode()).digest()).decode()}


OAUTH = OAuthServer(
    provider="Salesforce", authorize_path="/login/services/oauth2/authorize",
    token_path="/login/services/oauth2/token", access_ttl=7200, refresh="reuse", refresh_returns_token=False,
    expires_in=False, pkce=True, client_auth="post", token_type="Bearer",
    revoke_path="/login/services/oauth2/revoke", extras=_extras, error=_error,
)

# --------------------------------------------------------------------------- the sandbox org's schema (B)
# field -> kind: text | number | int | bool | date | datetime | ref:<Object>[,<Object>] ; "*" = required
SCHEMA: dict[str, dict[str, str]] = {
    "Lead": {"FirstName": "text", "LastName": "text*", "Company": "text*", "Email": "text", "Phone": "text",
             "MobilePhone": "text", "Title": "text", "Status": "text", "LeadSource": "text", "Industry": "text",
             "Website": "text", "Street": "text", "City": "text", "State": "text", "PostalCode": "text",
             "Country": "text", "Description": "text", "Rating": "text", "NumberOfEmployees": "int",
             "AnnualRevenue": "number", "HasOptedOutOfEmail": "bool", "OwnerId": "ref:User"},
    "Contact": {"FirstName": "text", "LastName": "text*", "Email": "text", "Phone": "text", "MobilePhone": "text",
                "Title": "text", "Department": "text", "LeadSource": "text", "MailingStreet": "text",
                "MailingCity": "text", "MailingState": "text", "MailingPostalCode": "text",
                "MailingCountry": "text", "Description": "text", "Birthdate": "date", "HasOptedOutOfEmail": "bool",
                "AccountId": "ref:Account", "OwnerId": "ref:User"},
    "Opportunity": {"Name": "text*", "StageName": "text*", "CloseDate": "date*", "Amount": "number",
                    "Probability": "number", "Type": "text", "LeadSource": "text", "NextStep": "text",
                    "Description": "text", "AccountId": "ref:Account", "CampaignId": "ref:Campaign",
                    "OwnerId": "ref:User"},
    "Account": {"Name": "text*", "Website": "text", "Phone": "text", "Industry": "text", "Type": "text",
                "BillingCity": "text", "BillingCountry": "text", "Description": "text", "NumberOfEmployees": "int",
                "OwnerId": "ref:User"},
    "Campaign": {"Name": "text*", "Status": "text", "Type": "text", "StartDate": "date", "EndDate": "date",
                 "IsActive": "bool", "Description": "text", "OwnerId": "ref:User"},
    "CampaignMember": {"CampaignId": "ref:Campaign*", "LeadId": "ref:Lead", "ContactId": "ref:Contact",
                       "Status": "text"},
    "Task": {"Subject": "text", "WhoId": "ref:Lead,Contact", "WhatId": "ref:Opportunity,Account,Campaign",
             "ActivityDate": "date", "Status": "text", "Priority": "text", "Description": "text", "Type": "text",
             "IsReminderSet": "bool", "ReminderDateTime": "datetime", "CallDurationInSeconds": "int",
             "OwnerId": "ref:User"},
}
PREFIX = {"Lead": "00Q", "Contact": "003", "Opportunity": "006", "Account": "001", "Campaign": "701",
          "CampaignMember": "00v", "Task": "00T", "User": "005"}   # V2/B: key prefixes
DEFAULTS = {"Task": {"Status": "Not Started", "Priority": "Normal"},   # B: picklist defaults
            "CampaignMember": {"Status": "Sent"}, "Lead": {"Status": "Open - Not Contacted"}}
LABELS = {"CampaignId": "Campaign ID", "LeadId": "Lead ID", "ContactId": "Contact ID", "WhoId": "Name ID",
          "WhatId": "Related To ID", "AccountId": "Account ID", "OwnerId": "Owner ID"}
SYSTEM = {"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted", "CreatedById",
          "LastModifiedById"}
_CUSTOM = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def checksum_id(id15: str) -> str:
    """The 18-character form of a 15-character Salesforce id (case-safe suffix)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += alphabet[bits]
    return id15 + suffix


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}+0000"


def _seed(account: str) -> State:
    """Every sandbox org has the records the catalog's examples name (campaign 701..., lead 00Q..., ...)."""
    ts = 1767225600.0
    rows: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "Account": [("001000000000001", {"Name": "Example Inc"})],
        "Campaign": [("701000000000001", {"Name": "Spring Webinar", "Status": "Planned", "IsActive": True})],
        "Lead": [("00Q000000000001", {"FirstName": "Jane", "LastName": "Doe", "Company": "Example Inc",
                                      "Email": "jane.doe@example.com", "Status": "Open - Not Contacted"})],
        "Contact": [("003000000000001", {"FirstName": "John", "LastName": "Roe", "Email": "john.roe@example.com",
                                         "AccountId": "001000000000001AAA"})],
        "Opportunity": [("006000000000001", {"Name": "Example renewal", "StageName": "Prospecting",
                                             "CloseDate": "2026-03-31", "AccountId": "001000000000001AAA"})],
        "CampaignMember": [], "Task": [],
    }
    records: dict[str, dict[str, Any]] = {}
    for obj, entries in rows.items():
        records[obj] = {}
        for id15, fields in entries:
            rid = checksum_id(id15)
            records[obj][rid] = {"Id": rid, **fields, "CreatedDate": _stamp(ts), "LastModifiedDate": _stamp(ts)}
    return {"records": records, "api_max": DAILY_MAX, "api_usage": {"day": "", "count": 0}}


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox org's Salesforce data (tests compare it before and after)."""
    snap = STORE.snapshot(account)
    snap.pop("api_usage", None)    # request counting is not data
    return snap


# --------------------------------------------------------------------------- errors (Salesforce's body)
def _errors(status: int, *items: tuple[str, str, list[str] | None], headers: dict[str, str] | None = None
            ) -> Response:
    # B: a JSON array of {message, errorCode[, fields]}
    body = [{"message": m, "errorCode": c, **({"fields": f} if f is not None else {})} for m, c, f in items]
    return JSONResponse(body, status_code=status, headers=headers)


def _session_invalid() -> Response:
    return _errors(401, ("Session expired or invalid", "INVALID_SESSION_ID", None))


def _not_found(message: str = "The requested resource does not exist") -> Response:
    return _errors(404, (message, "NOT_FOUND", None))


faults.bodies[SLUG] = {   # B: Salesforce signals over-limit as 403 REQUEST_LIMIT_EXCEEDED, not 429
    "rate_limit": lambda f: (403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                             faults.retry_after(f)),
    "expired_token": lambda f: (401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                                {}),
    "server_error": lambda f: (500, [{"message": "An unexpected error occurred. Please include this ErrorId if you "
                                      "contact support: 1234567890-12345 (-1234567890)",
                                      "errorCode": "UNKNOWN_EXCEPTION"}], {}),
    "unavailable": lambda f: (503, [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
                              faults.retry_after(f)),
}


# --------------------------------------------------------------------------- plumbing
def _usage(used: int, cap: int) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={used}/{cap}"}   # V: header format


def _fault_usage(account: str) -> dict[str, str]:
    with STORE.use(account) as data:   # V: every response of the org carries Sforce-Limit-Info, faults too
        return _usage(data["api_usage"]["count"], data["api_max"])


def _allocation(request: Request, account: str, *, counted: bool = True) -> Decision:
    """The org's daily API allocation (``api_max`` in its state); the count starts again each day."""
    with STORE.use(account) as data:
        today = datetime.fromtimestamp(STORE.clock(), UTC).strftime("%Y-%m-%d")
        if data["api_usage"]["day"] != today:
            data["api_usage"] = {"day": today, "count": 0}
        allowed = not counted or data["api_usage"]["count"] < data["api_max"]
        if counted and allowed:
            data["api_usage"]["count"] += 1
        return Decision(allowed, data["api_max"], data["api_max"] - data["api_usage"]["count"], 0.0)


def _limit_headers(decision: Decision | None) -> dict[str, str]:
    assert decision is not None
    return _usage(decision.limit - decision.remaining, decision.limit)


def _version(request: Request) -> float:
    """The URL's API version (``vXX.0``); 0.0 when it names none."""
    match = re.fullmatch(r"v(\d+)\.0", request.path_params.get("version", ""))
    return float(match.group(1)) if match else 0.0


async def _read(request: Request) -> Any:
    """The JSON body (None when empty); a versioned URL outside OLDEST..LATEST is a 404 whatever the body."""
    if "version" in request.path_params and not OLDEST <= _version(request) <= LATEST:
        return _not_found()
    return await read_json(request)


# Fault switches (even for a bad session), auth (Bearer or the legacy "OAuth <token>" scheme, B), the daily
# allocation (403 REQUEST_LIMIT_EXCEEDED past it, B), the version, then JSON parsing; Sforce-Limit-Info throughout.
API = SandboxApi(
    SLUG, auth=bearer_token(OAUTH.account_for_token, ("Bearer", "OAuth")), refuse=lambda request: _session_invalid(),
    faults_first=True, fault_headers=_fault_usage, limit=_allocation, headers=_limit_headers, body=True, read=_read,
    too_many=lambda d: _errors(403, ("TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED", None),
                               headers=_limit_headers(d)),
    bad_body=lambda exc: _errors(400, (f"Unexpected character: {exc}", "JSON_PARSER_ERROR", None)),   # B
)
UNCOUNTED = API.but(limit=functools.partial(_allocation, counted=False))   # V: not counted against the allocation
_DATA = "/instance/services/data/{version}"
_SOBJ = _DATA + "/sobjects/{object}"


def _object(request: Request) -> str | None:
    name = request.path_params["object"]
    return next((obj for obj in SCHEMA if obj.lower() == name.lower()), None)


def _field_kind(obj: str, name: str) -> str | None:
    if _CUSTOM.match(name):
        return "custom"
    return SCHEMA[obj].get(name)


def _normalise_id(value: str) -> str:
    """The canonical 18-character id (an 18-character id is looked up by its first 15 characters)."""
    return checksum_id(value[:15]) if len(value) in (15, 18) else value


def _check_fields(data: State, obj: str, fields: Any, *, creating: bool,
                  existing: dict[str, Any] | None = None) -> Response | None:
    if not isinstance(fields, dict):
        return _errors(400, ("Cannot deserialize instance of sObject from a non-object JSON value",   # B
                             "JSON_PARSER_ERROR", None))
    for name in fields:
        if name == "attributes":
            continue
        if name in SYSTEM:
            return _errors(400, (f"Unable to create/update fields: {name}. Please check the security settings of "
                                 "this field and verify that it is read/write for your profile or permission set.",
                                 "INVALID_FIELD_FOR_INSERT_UPDATE", [name]))   # B: wording
        if _field_kind(obj, name) is None:
            return _errors(400, (f"No such column '{name}' on sobject of type {obj}", "INVALID_FIELD", None))   # B
    for name, value in fields.items():
        if name == "attributes" or value is None:
            continue
        problem = _value_problem(data, obj, name, _field_kind(obj, name) or "text", value)
        if problem is not None:
            return problem
    merged = {**(existing or {}), **fields}
    missing = [name for name, kind in SCHEMA[obj].items() if kind.endswith("*") and merged.get(name) in (None, "")]
    if creating and obj == "CampaignMember" and not (merged.get("LeadId") or merged.get("ContactId")):
        missing += ["ContactId", "LeadId"]   # B: one of the two
    if missing and (creating or any(name in fields for name in missing)):
        return _errors(400, (f"Required fields are missing: [{', '.join(missing)}]", "REQUIRED_FIELD_MISSING",
                             missing))   # B: wording
    return None


def _value_problem(data: State, obj: str, name: str, kind: str, value: Any) -> Response | None:
    base = kind.rstrip("*")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    checks: dict[str, bool] = {
        "text": isinstance(value, str | int | float | bool), "custom": isinstance(value, str | int | float | bool),
        "number": numeric or (isinstance(value, str) and bool(re.fullmatch(r"-?\d+(\.\d+)?", value))),
        "int": numeric or (isinstance(value, str) and bool(re.fullmatch(r"-?\d+", value))),
        "bool": isinstance(value, bool),
        "date": isinstance(value, str) and _valid_date(value),
        "datetime": isinstance(value, str) and is_datetime(value),
    }
    bad = None if checks.get(base, True) else ("VALUE_STRING" if isinstance(value, str) else
                                                "START_OBJECT" if isinstance(value, dict | list) else "VALUE_NUMBER")
    if bad:   # B: Salesforce's JSON parser wording
        shown = json.dumps(value)
        return _errors(400, (f"Cannot deserialize instance of {base} from {bad} value {shown} or request may be "
                             f"missing a required field at [line:1, column:2]", "JSON_PARSER_ERROR", None))
    if base.startswith("ref:"):
        targets = base[4:].split(",")
        label = LABELS.get(name, name)
        if not isinstance(value, str) or not _ID.match(value):
            return _errors(400, (f"{label}: id value of incorrect type: {value}", "MALFORMED_ID", [name]))   # B
        rid = _normalise_id(value)
        owner = next((t for t in targets if rid.startswith(PREFIX[t])), None)
        if owner is None:
            return _errors(400, (f"{label}: id value of incorrect type: {value}", "FIELD_INTEGRITY_EXCEPTION",
                                 [name]))   # B
        if owner != "User" and rid not in data["records"][owner]:
            return _errors(400, ("invalid cross reference id", "INVALID_CROSS_REFERENCE_KEY", [name]))   # B
    return None


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _clean(obj: str, fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in fields.items():
        if name == "attributes":
            continue
        kind = (_field_kind(obj, name) or "").rstrip("*")
        if kind.startswith("ref:") and isinstance(value, str):
            value = _normalise_id(value)
        elif kind in ("number", "int") and isinstance(value, str):
            value = float(value) if "." in value else int(value)
        out[name] = value
    return out


def _insert(data: State, obj: str, fields: dict[str, Any]) -> str:
    rid = checksum_id(PREFIX[obj] + f"{next_id(data, obj, 1001):012d}")
    stamp = _stamp(STORE.clock())
    data["records"][obj][rid] = {"Id": rid, **DEFAULTS.get(obj, {}), **_clean(obj, fields),
                                 "CreatedDate": stamp, "LastModifiedDate": stamp}
    return rid


def _apply(obj: str, record: dict[str, Any], fields: dict[str, Any]) -> None:
    record.update(_clean(obj, fields))
    record["LastModifiedDate"] = _stamp(STORE.clock())


def _duplicate_member(data: State, fields: dict[str, Any]) -> Response | None:
    campaign = _normalise_id(str(fields.get("CampaignId", "")))
    who = {_normalise_id(str(fields[k])) for k in ("LeadId", "ContactId") if fields.get(k)}
    for member in data["records"]["CampaignMember"].values():
        if member.get("CampaignId") == campaign and who & {member.get("LeadId"), member.get("ContactId")}:
            return _errors(400, ("Already a campaign member.", "DUPLICATE_VALUE", None))   # B
    return None


def _public(obj: str, record: dict[str, Any], version: float, fields: str | None = None) -> dict[str, Any]:
    data = dict(record)
    if fields:
        wanted = {f.strip() for f in fields.split(",")} | {"Id"}
        data = {k: v for k, v in data.items() if k in wanted}
    return {"attributes": {"type": obj, "url": f"/services/data/v{version:.1f}/sobjects/{obj}/{record['Id']}"},
            **data}


# --------------------------------------------------------------------------- handlers
@UNCOUNTED.route("/instance/services/data/", ["GET"])
async def versions(request: Request, account: str, body: Any) -> Response:
    labels = {66.0: "Spring '26", 65.0: "Winter '26", 64.0: "Summer '25", 63.0: "Spring '25"}
    out = [{"label": labels.get(float(v), f"v{v}.0"), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
           for v in range(int(OLDEST), int(LATEST) + 1)]
    return JSONResponse(out)


@UNCOUNTED.route(_DATA + "/limits", ["GET"])
async def limits(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        used, cap = data["api_usage"]["count"], data["api_max"]
    return JSONResponse({"DailyApiRequests": {"Max": cap, "Remaining": max(0, cap - used)}})   # B: shape


@API.route(_SOBJ, ["POST"])
async def create(request: Request, account: str, body: Any) -> Response:
    obj = _object(request)
    if obj is None:
        return _not_found()
    with STORE.use(account) as data:
        problem = _check_fields(data, obj, body if body is not None else {}, creating=True)
        if problem is None and obj == "CampaignMember":
            problem = _duplicate_member(data, body)
        if problem is not None:
            return problem
        rid = _insert(data, obj, body)
    return JSONResponse({"id": rid, "success": True, "errors": []}, status_code=201)   # B: shape


@API.route(_SOBJ + "/{record_id}", ["GET"])
async def read(request: Request, account: str, body: Any) -> Response:
    obj, version = _object(request), _version(request)
    if obj is None:
        return _not_found()
    with STORE.use(account) as data:
        record = data["records"][obj].get(_normalise_id(request.path_params["record_id"]))
        if record is None:
            return _not_found()
        return JSONResponse(_public(obj, record, version, request.query_params.get("fields")))


@API.route(_SOBJ + "/{record_id}", ["PATCH"])
async def update(request: Request, account: str, body: Any) -> Response:
    obj = _object(request)
    if obj is None:
        return _not_found()
    with STORE.use(account) as data:
        record = data["records"][obj].get(_normalise_id(request.path_params["record_id"]))
        if record is None:
            return _not_found()
        problem = _check_fields(data, obj, body if body is not None else {}, creating=False, existing=record)
        if problem is not None:
            return problem
        _apply(obj, record, body or {})
    return Response(status_code=204)   # B


def _matches(data: State, obj: str, field: str, value: str) -> list[dict[str, Any]]:
    if field == "Id":
        record = data["records"][obj].get(_normalise_id(value))
        return [record] if record else []
    return [r for r in data["records"][obj].values()
            if isinstance(r.get(field), str) and r[field].lower() == value.lower()]   # B: case-insensitive


def _external_field(obj: str, field: str) -> Response | None:
    if field != "Id" and not _CUSTOM.match(field):
        return _errors(404, (f"Provided external ID field does not exist or is not accessible: {field}",
                             "NOT_FOUND", None))   # B: wording
    return None


def _several(obj: str, found: list[dict[str, Any]], version: float) -> Response:
    # V: 300 when the external id matches several records; B: body = the records' URLs
    return JSONResponse([f"/services/data/v{version:.1f}/sobjects/{obj}/{r['Id']}" for r in found], status_code=300)


@API.route(_SOBJ + "/{field}/{value}", ["GET"])
async def read_by_external_id(request: Request, account: str, body: Any) -> Response:
    obj, version = _object(request), _version(request)
    if obj is None:
        return _not_found()
    field, value = request.path_params["field"], request.path_params["value"]
    problem = _external_field(obj, field)
    if problem is not None:
        return problem
    with STORE.use(account) as data:
        found = _matches(data, obj, field, value)
        if not found:
            return _not_found()
        if len(found) > 1:
            return _several(obj, found, version)
        return JSONResponse(_public(obj, found[0], version, request.query_params.get("fields")))


@API.route(_SOBJ + "/{field}/{value}", ["PATCH"])
async def upsert(request: Request, account: str, body: Any) -> Response:
    obj, version = _object(request), _version(request)
    if obj is None:
        return _not_found()
    field, value = request.path_params["field"], request.path_params["value"]
    problem = _external_field(obj, field)
    if problem is not None:
        return problem
    fields = body if body is not None else {}
    with STORE.use(account) as data:
        found = _matches(data, obj, field, value)
        if len(found) > 1:
            return _several(obj, found, version)
        if found:
            problem = _check_fields(data, obj, fields, creating=False, existing=found[0])
            if problem is not None:
                return problem
            _apply(obj, found[0], fields)
            if version >= 46.0:   # B: from v46.0 an update answers 200 with created: false
                return JSONResponse({"id": found[0]["Id"], "success": True, "errors": [], "created": False})
            return Response(status_code=204)
        if request.query_params.get("updateOnly") == "true":   # V: updateOnly (v61.0+) never creates
            return _not_found()
        if field == "Id":
            return _not_found()
        values = {**fields, field: value} if isinstance(fields, dict) else fields
        problem = _check_fields(data, obj, values, creating=True)
        if problem is None and obj == "CampaignMember":
            problem = _duplicate_member(data, values)
        if problem is not None:
            return problem
        rid = _insert(data, obj, values)
    answer: dict[str, Any] = {"id": rid, "success": True, "errors": []}
    if version >= 46.0:
        answer["created"] = True
    return JSONResponse(answer, status_code=201)


SANDBOX = SandboxProvider(
    slug=SLUG, name="Salesforce", oauth=OAUTH,
    origins={"https://login.salesforce.com": "/login", "https://test.salesforce.com": "/login",
             "https://*.my.salesforce.com": "/instance"},
    api_routes=API.routes,
)
