"""HubSpot sandbox: OAuth (v1 token endpoint, 30-minute access tokens, reusable refresh tokens, PKCE on
the token side), the account-info who-am-I call, and the CRM / marketing endpoints the executors use.

Every API request is checked against the official OpenAPI files (``SPEC``, services/sandbox/openapi.py) and a
violation is answered with HubSpot's VALIDATION_ERROR body; then the sandbox applies HubSpot's own rules
(known properties and options, unique email, MANUAL/SNAPSHOT lists only, ``hs_timestamp`` required on
notes and tasks, Marketing Hub Enterprise for single-send) to in-memory state per sandbox account.

Served under ``/sandbox/hubspot/api`` (= https://api.hubapi.com):
  POST  /crm/v3/objects/{contacts|deals|notes|tasks}           create (notes/tasks with associations)
  GET   /crm/v3/objects/{type}/{id}[?idProperty=email]         read
  PATCH /crm/v3/objects/{type}/{id}[?idProperty=email]         update (deal stage and pipeline checked)
  POST  /crm/v3/objects/{type}/batch/upsert                    upsert (200, or 207 with errors[])
  POST  /crm/v3/lists, GET /crm/v3/lists/{id}, GET .../memberships, PUT .../memberships/add
  POST  /marketing/v4/email/single-send                        403 unless the portal has Marketing Hub Enterprise
  PUT   /crm/v4/objects/{from}/{id}/associations/default/{to}/{id}, GET /crm/v4/objects/{t}/{id}/associations/{to}
  GET   /account-info/v3/details
Object types are accepted as names or ids (deals = 0-3), like HubSpot. ``state(account)`` returns a
deep copy of an account's data for tests. Facts marked B in shared/reference/providers.md carry "# B".
App-level webhooks (developer ``hapikey``) and their deliveries: ``sandbox_webhooks.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults, openapi
from services.sandbox.api import SandboxApi, bearer_token, spec_checked
from services.sandbox.common import OAuthServer, SandboxProvider, bearer
from services.sandbox.schema_checks import Problem, is_datetime
from services.sandbox.store import AccountStore, State, next_id

SLUG = "hubspot"
_STATUS = {"bad_code": "BAD_AUTH_CODE", "bad_refresh": "BAD_REFRESH_TOKEN", "bad_redirect": "BAD_REDIRECT_URI",
           "bad_verifier": "BAD_AUTH_CODE", "bad_client": "BAD_CLIENT_ID", "bad_request": "BAD_REQUEST",
           "unsupported_grant": "BAD_GRANT_TYPE"}

# --------------------------------------------------------------------------- HubSpot's data model (B)
# Object-type ids HubSpot accepts in place of the names (the deals spec only has /crm/v3/objects/0-3).
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "notes": "0-46",
                   "tasks": "0-27", "calls": "0-48", "emails": "0-49", "meetings": "0-47"}
TYPES = {name: OBJECT_TYPE_IDS[name] for name in ("contacts", "deals", "notes", "tasks")}   # stored here
_TYPE_ALIASES = {**{k: k for k in TYPES}, **{v: k for k, v in TYPES.items()},
                 **{k[:-1]: k for k in TYPES}, "companies": "companies", "company": "companies", "0-2": "companies"}
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_createdate", "hs_lastmodifieddate"}
PROPERTIES: dict[str, set[str]] = {   # B: default properties of each object (internal names)
    "contacts": {"email", "firstname", "lastname", "phone", "mobilephone", "company", "website", "jobtitle",
                 "lifecyclestage", "hs_lead_status", "address", "city", "state", "zip", "country",
                 "hubspot_owner_id", "fax", "industry", "annualrevenue", "numemployees", "message"},
    "deals": {"dealname", "dealstage", "pipeline", "amount", "closedate", "dealtype", "hubspot_owner_id",
              "description", "hs_priority"},
    "notes": {"hs_note_body", "hs_timestamp", "hubspot_owner_id", "hs_attachment_ids"},
    "tasks": {"hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority", "hs_task_type",
              "hs_timestamp", "hubspot_owner_id"},
}
OPTIONS: dict[tuple[str, str], list[str]] = {   # B: enumeration options of default properties
    ("contacts", "lifecyclestage"): ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                     "opportunity", "customer", "evangelist", "other"],
    ("contacts", "hs_lead_status"): ["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
                                     "CONNECTED", "BAD_TIMING"],
    ("tasks", "hs_task_status"): ["NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"],
    ("tasks", "hs_task_priority"): ["NONE", "LOW", "MEDIUM", "HIGH"],
    ("tasks", "hs_task_type"): ["TODO", "CALL", "EMAIL", "LINKED_IN", "MEETING"],
}
PIPELINES = {"default": ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",   # B: default stages
                         "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]}
REQUIRED_ON_CREATE = {"notes": ["hs_timestamp"], "tasks": ["hs_timestamp"]}   # V: notes guide; tasks V2
UNIQUE_ID_PROPERTIES = {"contacts": {"email", "hs_object_id"}, "deals": {"hs_object_id"},
                        "notes": {"hs_object_id"}, "tasks": {"hs_object_id"}}
# HUBSPOT_DEFINED association type ids: (from, to) -> default id. 202 note->contact is V2; the rest B.
DEFAULT_ASSOCIATION = {("notes", "contacts"): 202, ("contacts", "notes"): 201, ("tasks", "contacts"): 204,
                       ("contacts", "tasks"): 203, ("notes", "deals"): 214, ("deals", "notes"): 213,
                       ("tasks", "deals"): 216, ("deals", "tasks"): 215, ("contacts", "deals"): 4,
                       ("deals", "contacts"): 3, ("notes", "companies"): 190, ("tasks", "companies"): 192,
                       ("contacts", "companies"): 279, ("deals", "companies"): 341}
_TYPE_BY_ASSOCIATION = {(src, type_id): dst for (src, dst), type_id in DEFAULT_ASSOCIATION.items()}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Marketing Hub tier of a fresh portal (single-send needs Enterprise): the tier an account's name names
# ("acme-enterprise", "starter-portal"), else Enterprise, so the catalog's send_email example runs on a
# fresh account and a portal named for a lower tier shows the real 403.
MARKETING_TIERS = ("enterprise", "professional", "starter", "free")


def marketing_tier(account: str) -> str:
    return next((tier for tier in MARKETING_TIERS if tier in account), "enterprise")


def portal_id(account: str) -> int:
    return int(hashlib.sha256(account.encode()).hexdigest()[:7], 16)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _record(record_id: str, properties: dict[str, str], ts: float) -> dict[str, Any]:
    stamp = _iso(ts)
    props = {**properties, "hs_object_id": record_id, "createdate": stamp, "lastmodifieddate": stamp}
    return {"id": record_id, "properties": props, "createdAt": stamp, "updatedAt": stamp, "archived": False}


def _seed(account: str) -> State:
    """Every sandbox account starts with the records the catalog's examples name (contact 51, deal 9001,
    lists 123-125, marketing email 123456) and its Marketing Hub tier, so the examples run as they are."""
    ts = 1767225600.0   # 2026-01-01T00:00:00Z
    return {
        "objects": {
            "contacts": {"51": _record("51", {"email": "jane.doe@example.com", "firstname": "Jane",
                                              "lastname": "Doe", "lifecyclestage": "lead"}, ts)},
            "deals": {"9001": _record("9001", {"dealname": "Example renewal", "pipeline": "default",
                                               "dealstage": "appointmentscheduled", "amount": "1000"}, ts)},
            "notes": {}, "tasks": {},
        },
        "lists": {
            "123": _list("123", "Newsletter", "MANUAL", ts), "124": _list("124", "Active leads", "DYNAMIC", ts),
            "125": _list("125", "Webinar 2025 attendees", "SNAPSHOT", ts),
        },
        "associations": [],          # {fromType, fromId, toType, toId, category, typeId}
        "emails": {"123456": {"name": "Welcome email", "state": "PUBLISHED"}},
        "sends": [],                 # single-send requests accepted
        "marketing_tier": marketing_tier(account),
        "custom_properties": {t: [] for t in TYPES},
    }


def _list(list_id: str, name: str, processing: str, ts: float) -> dict[str, Any]:
    return {"listId": list_id, "name": name, "objectTypeId": "0-1", "processingType": processing,
            "processingStatus": "COMPLETE", "listVersion": 1, "createdAt": _iso(ts), "updatedAt": _iso(ts),
            "members": {}}


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox account's HubSpot data (tests compare it before and after)."""
    return STORE.snapshot(account)


def define_property(account: str, object_type: str, name: str) -> None:
    """Create a custom property in a sandbox account (HubSpot rejects properties that do not exist)."""
    with STORE.use(account) as data:
        data["custom_properties"].setdefault(object_type, []).append(name)


# --------------------------------------------------------------------------- errors (HubSpot's body)
def _error(status: int, category: str, message: str, *, context: dict[str, list[str]] | None = None,
           errors: list[dict[str, Any]] | None = None, sub_category: str | None = None,
           headers: dict[str, str] | None = None, **extra: Any) -> Response:
    # Error schema (status, message, correlationId, category, context, errors) is V (specs/hubspot).
    correlation = str(uuid.uuid4())
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": correlation,
                            "category": category}
    if sub_category:
        body["subCategory"] = sub_category
    if context is not None:
        body["context"] = context
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status,
                        headers={"X-HubSpot-Correlation-Id": correlation, **(headers or {})})   # B: header


def _token_error(reason: str, description: str) -> Response:
    return JSONResponse({"status": _STATUS[reason], "message": description, "correlationId": str(uuid.uuid4())},
                        status_code=400)


def _unauthorized() -> Response:
    # Error schema (category, correlationId, message) is V (specs/hubspot); the wording is B.
    return JSONResponse({"status": "error", "message": "Authentication credentials not found. This API supports "
                         "OAuth 2.0 authentication and you can find more details at "
                         "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                         "correlationId": str(uuid.uuid4()), "category": "INVALID_AUTHENTICATION"}, status_code=401)


def _auth_failure(request: Request) -> Response:
    grant = OAUTH._access.get(bearer(request) or "")   # a token the sandbox issued that has expired or was revoked
    if grant is not None and not grant.revoked and grant.expires is not None:
        minutes = max(1, int((OAUTH.now() - grant.expires) // 60))
        return _error(401, "EXPIRED_AUTHENTICATION", f"The OAuth token used to make this call expired {minutes} "
                      "minute(s) ago.")   # B: wording and category
    return _unauthorized()


def _not_found(message: str = "resource not found") -> Response:
    return _error(404, "OBJECT_NOT_FOUND", message)   # B: category and wording


def _invalid_properties(results: list[dict[str, Any]]) -> Response:
    """HubSpot's property validation error: the results are embedded as JSON in the message (V2 wording)."""
    return _error(400, "VALIDATION_ERROR", "Property values were not valid: " + json.dumps(results),
                  errors=[{"message": r["message"], "code": r["error"], "context": {"propertyName": [r["name"]]}}
                          for r in results])   # B: errors[] detail for property problems


def _object_type_spellings(path: str) -> list[str]:
    """The path with its CRM object type written the other way (deals <-> 0-3), as HubSpot accepts both."""
    match = re.match(r"^(/crm/v3/objects/)([^/]+)(.*)$", path)
    if not match:
        return []
    ids_to_names = {v: k for k, v in OBJECT_TYPE_IDS.items()}
    other = OBJECT_TYPE_IDS.get(match.group(2)) or ids_to_names.get(match.group(2))
    return [match.group(1) + other + match.group(3)] if other else []


# The official OpenAPI files ($HUB_SPECS_DIR/hubspot/*.json): the sandbox's check and the contract suite's.
SPEC = openapi.Spec(SLUG, "the HubSpot OpenAPI definitions", variants=_object_type_spellings)
find_operation, validate_hubspot_request = SPEC.find_operation, SPEC.problems


def _spec_error(problems: list[Problem]) -> Response:
    """HubSpot's answer to a body its deserializer rejects (V2 wording: "Invalid input JSON on line 1, ...")."""
    first = problems[0]
    if first.kind == "required" and first.missing:
        message = (f"Invalid input JSON on line 1, column 2: Cannot build {first.schema or 'request'}, "
                   f"some of required attributes are not set [{', '.join(first.missing)}]")
    elif first.kind == "operation":
        return _error(404, "OBJECT_NOT_FOUND", first.message)
    else:
        message = f"Invalid input JSON on line 1, column 2: {first}"
    return _error(400, "VALIDATION_ERROR", message, errors=[{"message": str(p), "in": p.where} for p in problems])


def _rate_limited(fault: faults.Fault) -> tuple[int, object, dict[str, str]]:
    # V2 body (mk-node-hubspot issues): errorType RATE_LIMIT + policyName; TEN_SECONDLY_ROLLING is V2 too.
    headers = {"X-HubSpot-RateLimit-Max": "110", "X-HubSpot-RateLimit-Remaining": "0",   # B: header names
               "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    headers.update(faults.retry_after(fault))   # B: HubSpot itself sends no Retry-After; the switch may add one
    return 429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                 "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                 "policyName": "TEN_SECONDLY_ROLLING", "groupName": "publicapi:oauth-secondly"}, headers


faults.bodies[SLUG] = {
    "rate_limit": _rate_limited,
    "expired_token": lambda f: (401, {"status": "error", "message": "The OAuth token used to make this call "
                                      "expired 1 minute(s) ago.", "correlationId": str(uuid.uuid4()),
                                      "category": "EXPIRED_AUTHENTICATION"}, {}),   # B: wording and category
    "server_error": lambda f: (500, {"status": "error", "message": "internal error",
                                     "correlationId": str(uuid.uuid4()), "category": "INTERNAL_ERROR"}, {}),  # B
    "unavailable": lambda f: (503, {"status": "error", "message": "Service Unavailable",
                                    "correlationId": str(uuid.uuid4()), "category": "SERVICE_UNAVAILABLE"},
                              faults.retry_after(f)),   # B
}

OAUTH = OAuthServer(
    provider="HubSpot", authorize_path="/app/oauth/authorize", token_path="/api/oauth/v1/token",
    access_ttl=1800, refresh="reuse", pkce=True, client_auth="post", error=_token_error,
    revoke_path="/api/oauth/v1/refresh-tokens/{token}", revoke_style="token_in_path",
    extras=lambda account, request: {"hub_id": portal_id(account), "user_id": portal_id(account + "-user"),
                                     "token_use": "access_token"},
)


# --------------------------------------------------------------------------- request plumbing
# Fault switches (even for a bad token), auth, JSON parsing and the OpenAPI check, then the handler with
# (request, account, body or None); X-HubSpot-Correlation-Id on every answer (B).
API = SandboxApi(
    SLUG, auth=bearer_token(OAUTH.account_for_token), refuse=_auth_failure, faults_first=True, body=True,
    read=spec_checked(SPEC.check_request, _spec_error),
    bad_body=lambda exc: _error(400, "VALIDATION_ERROR", f"Invalid input JSON on line 1, column 1: {exc}"),
    headers=lambda decision: {"X-HubSpot-Correlation-Id": str(uuid.uuid4())},
)
_OBJ = "/api/crm/v3/objects/{object_type}"


def _object_type(name: str) -> str | None:
    kind = _TYPE_ALIASES.get(name)
    return kind if kind in TYPES else None


def _now() -> float:
    return STORE.clock()


def _known(data: State, kind: str, name: str) -> bool:
    return name in PROPERTIES[kind] or name in data["custom_properties"].get(kind, [])


def _invalid(name: str, message: str, error: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": error, "name": name}


def _check_properties(data: State, kind: str, props: dict[str, str],
                      current: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """HubSpot's property validation (B: error codes PROPERTY_DOESNT_EXIST, INVALID_OPTION, INVALID_EMAIL,
    READ_ONLY_VALUE, INVALID_DATE, INVALID_INTEGER)."""
    results = []
    for name, value in props.items():
        if name in READ_ONLY:
            results.append(_invalid(name, f"{name} is a read only property; its value cannot be set.",
                                    "READ_ONLY_VALUE"))
        elif not _known(data, kind, name):
            results.append(_invalid(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"))
        elif value == "":
            continue   # V (contacts spec): an empty string clears the value
        elif name == "email" and not _EMAIL.match(value):
            results.append(_invalid(name, f"Email address {value} is invalid", "INVALID_EMAIL"))
        elif (kind, name) in OPTIONS and value not in OPTIONS[(kind, name)]:
            results.append(_invalid(name, f"{value} was not one of the allowed options: "
                                    f"[{', '.join(OPTIONS[(kind, name)])}]", "INVALID_OPTION"))
        elif name in ("hs_timestamp", "closedate") and not _timestamp(value):
            results.append(_invalid(name, f"{value} is not a valid datetime (ISO 8601 or epoch milliseconds)",
                                    "INVALID_DATE"))
        elif name == "amount" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
            results.append(_invalid(name, f"{value} is not a valid number", "INVALID_INTEGER"))
    if kind == "deals" and ("dealstage" in props or "pipeline" in props):
        pipeline = props.get("pipeline") or (current or {}).get("pipeline") or "default"
        if pipeline not in PIPELINES:
            results.append(_invalid("pipeline", f"{pipeline} was not one of the allowed options: "
                                    f"[{', '.join(PIPELINES)}]", "INVALID_OPTION"))
        elif props.get("dealstage") and props["dealstage"] not in PIPELINES[pipeline]:
            results.append(_invalid("dealstage", f"{props['dealstage']} was not one of the allowed options: "
                                    f"[{', '.join(PIPELINES[pipeline])}]", "INVALID_OPTION"))   # B: stage ids
    return results


def _timestamp(value: str) -> bool:
    return bool(re.fullmatch(r"\d{10,13}", value)) or is_datetime(value) or bool(
        re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _find(data: State, kind: str, value: str, id_property: str | None) -> dict[str, Any] | None:
    records = data["objects"][kind]
    if not id_property or id_property == "hs_object_id":
        return records.get(value)
    needle = value.lower() if id_property == "email" else value
    for record in records.values():
        have = record["properties"].get(id_property)
        if have is not None and (have.lower() if id_property == "email" else have) == needle:
            return record
    return None


def _email_owner(data: State, email: str | None, exclude: str | None = None) -> dict[str, Any] | None:
    if not email:
        return None
    found = _find(data, "contacts", email, "email")
    return found if found and found["id"] != exclude else None


def _create(data: State, kind: str, props: dict[str, str]) -> dict[str, Any]:
    record_id = str(next_id(data, "object", 1001))
    record = _record(record_id, {k: v for k, v in props.items() if v != ""}, _now())
    data["objects"][kind][record_id] = record
    return record


def _update(record: dict[str, Any], props: dict[str, str]) -> None:
    for name, value in props.items():
        if value == "":
            record["properties"].pop(name, None)
        else:
            record["properties"][name] = value
    record["updatedAt"] = record["properties"]["lastmodifieddate"] = _iso(_now())


def _public(record: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**{k: record[k] for k in ("id", "properties", "createdAt", "updatedAt", "archived")}, **(extra or {})}


# --------------------------------------------------------------------------- CRM objects
@API.route(_OBJ, ["POST"])
async def create_object(request: Request, account: str, body: Any) -> Response:
    kind = _object_type(request.path_params["object_type"])
    if kind is None:
        return _not_found(f"Unable to infer object type from: {request.path_params['object_type']}")   # B
    props = body["properties"]
    with STORE.use(account) as data:
        invalid = _check_properties(data, kind, props)
        if invalid:
            return _invalid_properties(invalid)
        missing = [name for name in REQUIRED_ON_CREATE.get(kind, []) if not props.get(name)]
        if missing:   # V2 (Pipedream issue): "Error creating TASK. Some required properties were not set."
            return _error(400, "VALIDATION_ERROR", f"Error creating {kind[:-1].upper()}. Some required properties "
                          "were not set.", context={"properties": missing})
        if kind == "contacts" and (owner := _email_owner(data, props.get("email"))):
            return _error(409, "CONFLICT", f"Contact already exists. Existing ID: {owner['id']}")   # B
        if kind == "deals":
            props = {"pipeline": "default", **props}
        links, problem = _resolve_associations(data, kind, body.get("associations", []))
        if problem:
            return problem
        record = _create(data, kind, props)
        for to_kind, to_id, category, type_id in links:
            _associate(data, kind, record["id"], to_kind, to_id, category, type_id)
        return JSONResponse(_public(record), status_code=201)


def _resolve_associations(data: State, kind: str, associations: list[dict[str, Any]]
                          ) -> tuple[list[tuple[str, str, str, int]], Response | None]:
    links = []
    for association in associations:
        to_id = association["to"]["id"]
        for spec in association["types"]:
            type_id, category = spec["associationTypeId"], spec["associationCategory"]
            to_kind = _TYPE_BY_ASSOCIATION.get((kind, type_id)) if category == "HUBSPOT_DEFINED" else None
            if to_kind is None:
                return [], _error(400, "VALIDATION_ERROR", f"{category} association type id {type_id} is not "
                                  f"valid for {kind[:-1]} associations", context={"associationTypeId":
                                                                                  [str(type_id)]})   # B
            if to_kind not in data["objects"] or to_id not in data["objects"][to_kind]:
                return [], _error(400, "VALIDATION_ERROR", f"One or more associations are invalid: {to_kind} "
                                  f"{to_id} does not exist", context={"toObjectId": [to_id]})   # B: wording
            links.append((to_kind, to_id, category, type_id))
    return links, None


def _associate(data: State, from_kind: str, from_id: str, to_kind: str, to_id: str, category: str,
               type_id: int) -> None:
    edges = data["associations"]
    inverse = DEFAULT_ASSOCIATION.get((to_kind, from_kind))
    for a, a_id, b, b_id, tid in ((from_kind, from_id, to_kind, to_id, type_id),
                                  (to_kind, to_id, from_kind, from_id, inverse)):
        if tid is None:
            continue
        edge = {"fromType": a, "fromId": a_id, "toType": b, "toId": b_id, "category": category, "typeId": tid}
        if edge not in edges:
            edges.append(edge)


@API.route(f"{_OBJ}/{{object_id}}", ["GET"])
async def get_object(request: Request, account: str, body: Any) -> Response:
    kind = _object_type(request.path_params["object_type"])
    if kind is None:
        return _not_found()
    with STORE.use(account) as data:
        record = _find(data, kind, request.path_params["object_id"], request.query_params.get("idProperty"))
        if record is None:
            return _not_found()
        wanted = request.query_params.get("properties")
        public = _public(record)
        if wanted:
            names = set(wanted.split(",")) | {"hs_object_id", "createdate", "lastmodifieddate"}
            public["properties"] = {k: v for k, v in record["properties"].items() if k in names}
        return JSONResponse(public)


@API.route(f"{_OBJ}/{{object_id}}", ["PATCH"])
async def patch_object(request: Request, account: str, body: Any) -> Response:
    kind = _object_type(request.path_params["object_type"])
    if kind is None:
        return _not_found()
    props = body["properties"]
    if not props:   # V2 (hubspot-api-ruby #121): wording and context
        return _error(400, "VALIDATION_ERROR", "No properties found to update, please provide at least one.",
                      context={"properties": ["{}"]})
    id_property = request.query_params.get("idProperty")
    with STORE.use(account) as data:
        if id_property and id_property not in UNIQUE_ID_PROPERTIES[kind]:
            return _error(400, "VALIDATION_ERROR", f"{id_property} is not a unique property of {kind}")   # B
        record = _find(data, kind, request.path_params["object_id"], id_property)
        if record is None:
            return _not_found()
        invalid = _check_properties(data, kind, props, record["properties"])
        if invalid:
            return _invalid_properties(invalid)
        if kind == "contacts" and (owner := _email_owner(data, props.get("email"), exclude=record["id"])):
            return _error(409, "CONFLICT", f"Contact already exists. Existing ID: {owner['id']}")   # B
        _update(record, props)
        return JSONResponse(_public(record))


@API.route(f"{_OBJ}/batch/upsert", ["POST"])
async def batch_upsert(request: Request, account: str, body: Any) -> Response:
    kind = _object_type(request.path_params["object_type"])
    if kind is None:
        return _not_found()
    inputs = body["inputs"]
    ids = [item["id"].lower() if item.get("idProperty") == "email" else item["id"] for item in inputs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        return _error(400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {duplicates}. IDs must be "
                      "unique", context={"ids": duplicates})   # B: wording
    started = _iso(_now())
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    with STORE.use(account) as data:
        for item in inputs:
            id_property = item.get("idProperty")
            props = dict(item["properties"])
            if id_property and id_property not in UNIQUE_ID_PROPERTIES[kind]:
                errors.append(_batch_error("VALIDATION_ERROR", f"{id_property} is not a unique property",
                                           item["id"]))
                continue
            record = _find(data, kind, item["id"], id_property)
            if id_property == "email":
                props.setdefault("email", item["id"])
            invalid = _check_properties(data, kind, props, record["properties"] if record else None)
            if id_property == "email" and props["email"] != item["id"] and not _EMAIL.match(item["id"]):
                invalid.append(_invalid("email", f"Email address {item['id']} is invalid", "INVALID_EMAIL"))
            if invalid:
                errors.append(_batch_error("VALIDATION_ERROR", "Property values were not valid: "
                                           + json.dumps(invalid), item["id"]))
                continue
            if record is None and id_property in (None, "hs_object_id"):
                errors.append(_batch_error("OBJECT_NOT_FOUND", f"No {kind[:-1]} with id {item['id']}", item["id"]))
                continue
            if record is None:
                record, new = _create(data, kind, props), True
            else:
                _update(record, props)
                new = False
            results.append(_public(record, {"new": new}))
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": _iso(_now()), "requestedAt": started}
    if errors:   # V: 207 = BatchResponseSimplePublicUpsertObjectWithErrors
        answer.update(errors=errors, numErrors=len(errors))
        return JSONResponse(answer, status_code=207)
    return JSONResponse(answer)


def _batch_error(category: str, message: str, item_id: str) -> dict[str, Any]:
    # V: StandardError requires category, context, errors, links, message, status
    return {"status": "error", "category": category, "message": message, "context": {"ids": [item_id]},
            "errors": [], "links": {}}


# --------------------------------------------------------------------------- lists
def _public_list(entry: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in entry.items() if k != "members"}
    return {**public, "size": len(entry["members"])}


@API.route("/api/crm/v3/lists", ["POST"])
async def create_list(request: Request, account: str, body: Any) -> Response:
    if body["processingType"] not in ("MANUAL", "SNAPSHOT", "DYNAMIC"):
        return _error(400, "VALIDATION_ERROR", f"Invalid processingType {body['processingType']}")   # B
    with STORE.use(account) as data:
        if any(entry["name"] == body["name"] for entry in data["lists"].values()):
            return _error(400, "VALIDATION_ERROR", f"A list named {body['name']} already exists",   # B
                          sub_category="ILS.LIST_NAME_ALREADY_EXISTS")
        list_id = str(next_id(data, "list", 200))
        entry = _list(list_id, body["name"], body["processingType"], _now())
        entry["objectTypeId"] = body["objectTypeId"]
        data["lists"][list_id] = entry
        return JSONResponse({"list": _public_list(entry)})


@API.route("/api/crm/v3/lists/{list_id}", ["GET"])
async def get_list(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        entry = data["lists"].get(request.path_params["list_id"])
        if entry is None:
            return _list_not_found(request.path_params["list_id"])
        return JSONResponse({"list": _public_list(entry)})


@API.route("/api/crm/v3/lists/{list_id}/memberships", ["GET"])
async def list_memberships(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        entry = data["lists"].get(request.path_params["list_id"])
        if entry is None:
            return _list_not_found(request.path_params["list_id"])
        results = [{"recordId": rid, "membershipTimestamp": ts} for rid, ts in entry["members"].items()]
        return JSONResponse({"results": results, "total": len(results)})


def _list_not_found(list_id: str) -> Response:
    return _error(404, "OBJECT_NOT_FOUND", f"List does not exist with ID {list_id}.",   # B: wording
                  sub_category="ILS.LIST_DOES_NOT_EXIST")


@API.route("/api/crm/v3/lists/{list_id}/memberships/add", ["PUT"])
async def add_members(request: Request, account: str, body: Any) -> Response:
    list_id = request.path_params["list_id"]
    with STORE.use(account) as data:
        entry = data["lists"].get(list_id)
        if entry is None:
            return _list_not_found(list_id)
        if entry["processingType"] not in ("MANUAL", "SNAPSHOT"):   # V: lists spec
            return _error(400, "VALIDATION_ERROR", f"List {list_id} has processingType {entry['processingType']}; "
                          "only MANUAL or SNAPSHOT lists accept added records.",   # B: wording
                          sub_category="ILS.INVALID_LIST_PROCESSING_TYPE")
        kind = _TYPE_ALIASES.get(entry["objectTypeId"], "contacts")
        records = data["objects"].get(kind, {})
        added, missing = [], []
        for record_id in body:
            if record_id not in records:
                missing.append(record_id)
            elif record_id not in entry["members"]:
                entry["members"][record_id] = _iso(_now())
                added.append(record_id)
        if added:
            entry["listVersion"] += 1
            entry["updatedAt"] = _iso(_now())
        # V: MembershipsUpdateResponse really spells "recordsIdsAdded"
        return JSONResponse({"recordsIdsAdded": added, "recordIdsMissing": missing, "recordIdsRemoved": []})


# --------------------------------------------------------------------------- marketing single-send
@API.route("/api/marketing/v4/email/single-send", ["POST"])
async def single_send(request: Request, account: str, body: Any) -> Response:
    with STORE.use(account) as data:
        tier = data.get("marketing_tier") or marketing_tier(account)
    if tier != "enterprise":   # V: requires Marketing Hub Enterprise; V2: MISSING_SCOPES shape
        return _error(403, "MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call. "
                      "The marketing single-send API requires a Marketing Hub Enterprise account and the "
                      "marketing-email scope (sandbox: this portal is on Marketing Hub " + tier.title() + ").",
                      errors=[{"message": "One or more of the following scopes are required.",
                               "context": {"requiredGranularScopes": ["marketing-email", "transactional-email"]}}],
                      links={"scopes": "https://developers.hubspot.com/scopes"})   # B: wording
    email_id = str(body["emailId"])
    message = body["message"]
    now = _iso(_now())
    with STORE.use(account) as data:
        if email_id not in data["emails"]:
            return _error(404, "OBJECT_NOT_FOUND", f"No email found with id {email_id}")   # B
        send_id = message.get("sendId")
        if send_id and any(s["sendId"] == send_id for s in data["sends"]):
            return JSONResponse({"status": "COMPLETE", "statusId": str(uuid.uuid4()), "requestedAt": now,
                                 "completedAt": now, "sendResult": "IDEMPOTENT_IGNORE"})   # V: enum value
        to = message["to"]
        if not _EMAIL.match(to):
            return JSONResponse({"status": "COMPLETE", "statusId": str(uuid.uuid4()), "requestedAt": now,
                                 "completedAt": now, "sendResult": "INVALID_TO_ADDRESS"})
        contact_props = {k: v for k, v in body.get("contactProperties", {}).items() if _known(data, "contacts", k)}
        contact = _find(data, "contacts", to, "email")   # V (guide): creates or updates the contact
        if contact is None:
            contact = _create(data, "contacts", {"email": to, **contact_props})
        elif contact_props:
            _update(contact, contact_props)
        status_id = str(uuid.uuid4())
        data["sends"].append({"statusId": status_id, "emailId": email_id, "to": to, "sendId": send_id,
                              "from": message.get("from"), "contactId": contact["id"],
                              "customProperties": body.get("customProperties", {})})
        return JSONResponse({"status": "PENDING", "statusId": status_id, "requestedAt": now,
                             "eventId": {"id": str(uuid.uuid4()), "created": now}})


# --------------------------------------------------------------------------- associations v4
@API.route("/api/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}", ["PUT"])
async def associate_default(request: Request, account: str, body: Any) -> Response:
    p = request.path_params
    from_kind, to_kind = _object_type(p["from_type"]), _object_type(p["to_type"])
    if from_kind is None or to_kind is None or (from_kind, to_kind) not in DEFAULT_ASSOCIATION:
        return _error(400, "VALIDATION_ERROR", f"No default association between {p['from_type']} and "
                      f"{p['to_type']}")   # B
    with STORE.use(account) as data:
        for kind, object_id in ((from_kind, p["from_id"]), (to_kind, p["to_id"])):
            if object_id not in data["objects"][kind]:
                return _not_found(f"{kind[:-1]} {object_id} does not exist")   # B
        type_id = DEFAULT_ASSOCIATION[(from_kind, to_kind)]
        _associate(data, from_kind, p["from_id"], to_kind, p["to_id"], "HUBSPOT_DEFINED", type_id)
    now = _iso(_now())
    results = [{"from": {"id": p["from_id"]}, "to": {"id": p["to_id"]},
                "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}]
    inverse = DEFAULT_ASSOCIATION.get((to_kind, from_kind))
    if inverse:
        results.append({"from": {"id": p["to_id"]}, "to": {"id": p["from_id"]},
                        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": inverse}})
    return JSONResponse({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})


@API.route("/api/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}", ["GET"])
async def list_associations(request: Request, account: str, body: Any) -> Response:
    p = request.path_params
    from_kind, to_kind = _object_type(p["object_type"]), _object_type(p["to_type"])
    if from_kind is None or to_kind is None:
        return _not_found()
    with STORE.use(account) as data:
        if p["object_id"] not in data["objects"][from_kind]:
            return _not_found()
        grouped: dict[str, list[dict[str, Any]]] = {}
        for edge in data["associations"]:
            if (edge["fromType"], edge["fromId"], edge["toType"]) == (from_kind, p["object_id"], to_kind):
                grouped.setdefault(edge["toId"], []).append({"category": edge["category"],
                                                             "typeId": edge["typeId"]})
    # V: MultiAssociatedObjectWithLabel (toObjectId is a string in the v4 spec)
    results = [{"toObjectId": to_id, "associationTypes": types} for to_id, types in grouped.items()]
    return JSONResponse({"results": results})


@API.route("/api/account-info/v3/details", ["GET"])
async def account_info(request: Request, account: str, body: Any) -> Response:
    return JSONResponse({"portalId": portal_id(account), "accountType": "STANDARD", "timeZone": "US/Eastern",
                         "companyCurrency": "USD",
                         "additionalCurrencies": [], "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
                         "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"})


SANDBOX = SandboxProvider(
    slug=SLUG, name="HubSpot", oauth=OAUTH,
    origins={"https://app.hubspot.com": "/app", "https://api.hubapi.com": "/api"},
    api_routes=API.routes,   # sandbox_webhooks.py adds the app webhooks to the same list
    spec=SPEC,
)
