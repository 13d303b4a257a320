"""ActiveCampaign sandbox: the account API (``/account``) with ``Api-Token``.

v3 (``/account/api/3``): users/me, contact sync (upsert by email, fieldValues), contacts, contactLists,
contactTags (201), deals (value in cents), fieldValues, campaigns and the campaign schedule call, which
answers **200 with ``succeeded: 0``** when a business rule refuses (V: schedule-a-campaign). Legacy v1
(``/account/admin/api.php?api_action=campaign_send``) sends a campaign now and reports failure with
HTTP 200 and ``result_code: 0`` (B). Errors: 422 ``{"errors":[{title, detail, code, source:{pointer}}]}``,
404 ``{"errors":[{"detail"}]}``, 403 ``{"message"}`` for a bad key (V2: mirror response schemas).

Every account is limited to 5 requests per second, shared by all its keys (V2); the sixth gets 429.
State lives per sandbox account (``state(account)``) and is seeded with the catalog's example ids
(contact 51, list 2, tag 20, pipeline/stage/owner 1, field 1, campaign 7).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults
from services.sandbox.api import SandboxApi, empty_object, header_key, read_object
from services.sandbox.common import SandboxProvider, sandbox_account
from services.sandbox.limits import SlidingWindow
from services.sandbox.store import AccountStore, State, next_id

SLUG = "activecampaign"
LIMITER = SlidingWindow(5, 1.0)          # V2: 5 requests per second per account
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEAL_STATUSES = {"0", "1", "2"}          # open, won, lost (V2)
LIST_STATUSES = {"1", "2"}               # 1 subscribe, 2 unsubscribe (B)
CAMPAIGN_DRAFT, CAMPAIGN_SCHEDULED, CAMPAIGN_COMPLETED = "0", "1", "5"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


SEED_TIME = "2026-01-01T09:00:00-06:00"


def _seed(account: str) -> State:
    return {
        "contacts": {"51": {"id": "51", "email": "jane.doe@example.com", "firstName": "Jane", "lastName": "Doe",
                            "phone": "+15555550100", "cdate": SEED_TIME, "udate": SEED_TIME, "orgid": "0",
                            "deleted": "0"}},
        "lists": {"1": {"id": "1", "name": "Newsletter", "stringid": "newsletter"},
                  "2": {"id": "2", "name": "Customers", "stringid": "customers"}},
        "tags": {"20": {"id": "20", "tag": "vip", "tagType": "contact", "description": ""},
                 "21": {"id": "21", "tag": "lead", "tagType": "contact", "description": ""}},
        "fields": {"1": {"id": "1", "title": "Membership level", "type": "text", "perstag": "MEMBERSHIP_LEVEL"},
                   "2": {"id": "2", "title": "Company size", "type": "text", "perstag": "COMPANY_SIZE"}},
        "users": {"1": {"id": "1", "username": account, "email": f"{account}@sandbox.example"}},
        "pipelines": {"1": {"id": "1", "title": "Sales", "currency": "usd"},
                      "2": {"id": "2", "title": "Partnerships", "currency": "usd"}},
        "stages": {"1": {"id": "1", "title": "To contact", "group": "1"},
                   "2": {"id": "2", "title": "Qualified", "group": "1"},
                   "3": {"id": "3", "title": "Intro", "group": "2"}},
        "campaigns": {
            "7": {"id": "7", "name": "Welcome series", "type": "single", "status": CAMPAIGN_DRAFT, "lists": ["2"],
                  "messageid": "3", "sdate": None, "send_amt": "0"},
            "8": {"id": "8", "name": "Half-built draft", "type": "single", "status": CAMPAIGN_DRAFT, "lists": [],
                  "messageid": None, "sdate": None, "send_amt": "0"},   # not ready: no list, no message
        },
        "contactLists": {}, "contactTags": {}, "fieldValues": {}, "deals": {}, "sends": [],
        "_counters": {"contacts": 52},
    }


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox account's ActiveCampaign data (tests compare it before/after)."""
    return STORE.snapshot(account)


# ---------------------------------------------------------------- error bodies
def _error(title: str, pointer: str, code: str = "field_invalid") -> dict[str, Any]:
    return {"title": title, "detail": "", "code": code, "source": {"pointer": pointer}}


def unprocessable(*errors: dict[str, Any]) -> Response:
    return JSONResponse({"errors": list(errors)}, status_code=422)


def not_found(kind: str, ident: str) -> Response:
    return JSONResponse({"errors": [{"detail": f"No Result found for {kind} with id {ident}"}]}, status_code=404)


def forbidden() -> Response:   # V2: 403 {"message"}; wording B
    return JSONResponse({"message": "No Result found for User with id 0"}, status_code=403)


def too_many(retry_after: float = 1) -> Response:   # 429 (V2); body and Retry-After B
    return JSONResponse({"message": "Too Many Requests: the account is limited to 5 requests per second."},
                        status_code=429, headers={"Retry-After": str(max(1, round(retry_after)))})


faults.bodies[SLUG] = {
    "rate_limit": lambda f: (429, {"message": "Too Many Requests: the account is limited to 5 requests per "
                                              "second."}, faults.retry_after(f, 1)),
    # API keys do not expire; a revoked key is the 403 of a bad key (V2).
    "expired_token": lambda f: (403, {"message": "No Result found for User with id 0"}, {}),
    "server_error": lambda f: (500, {"message": "An unexpected error occurred (sandbox)."}, {}),   # B
    "unavailable": lambda f: (503, {"message": "Service Unavailable"}, faults.retry_after(f)),   # B
}


# ---------------------------------------------------------------- plumbing
# Api-Token auth, fault switches, then the 5/s account limiter; a body that is not a JSON object reads as {}.
API = SandboxApi(SLUG, auth=header_key("api-token"), refuse=lambda request: forbidden(), limit=LIMITER,
                 too_many=lambda decision: too_many(decision.reset), read=read_object, empty=empty_object)
V3 = "/account/api/3"


def _id(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value).strip()


def _links(request: Request, kind: str, ident: str, *names: str) -> dict[str, str]:
    base = str(request.url).split("/api/3", 1)[0] + "/api/3"
    return {name: f"{base}/{kind}/{ident}/{name}" for name in names}


def _contact(request: Request, contact: dict[str, Any]) -> dict[str, Any]:
    return {**contact, "links": _links(request, "contacts", contact["id"], "contactLists", "contactTags",
                                       "fieldValues", "deals")}


# ---------------------------------------------------------------- v3 endpoints
@API.route(f"{V3}/users/me", ["GET"])
async def users_me(request: Request, account: str) -> Response:
    return JSONResponse({"user": {"id": "1", "username": account, "firstName": account.title(), "lastName": "",
                                  "email": f"{account}@sandbox.example"}})


@API.route(f"{V3}/contact/sync", ["POST"], body=True)
async def contact_sync(request: Request, account: str, body: dict[str, Any]) -> Response:
    contact_in = body.get("contact")
    if not isinstance(contact_in, dict):
        return unprocessable(_error("The contact was not provided.", "/data/attributes", "field_missing"))  # B
    email = str(contact_in.get("email") or "").strip()
    if not email:
        return unprocessable(_error("The contact email was not provided.", "/data/attributes/email",
                                    "field_missing"))   # B: wording
    if not EMAIL.match(email):
        return unprocessable(_error("Contact Email Address is not valid.", "/data/attributes/email",
                                    "email_invalid"))   # B: wording
    values = contact_in.get("fieldValues") or []
    if not isinstance(values, list):
        return unprocessable(_error("fieldValues must be a list.", "/data/attributes/fieldValues"))
    with STORE.use(account) as data:
        for index, item in enumerate(values):
            field = _id(item.get("field")) if isinstance(item, dict) else ""
            if field not in data["fields"]:
                return unprocessable(_error(f"The related field {field or '(none)'} does not exist.",   # B
                                            f"/data/attributes/fieldValues/{index}/field", "related_missing"))
        existing = next((c for c in data["contacts"].values() if c["email"].lower() == email.lower()), None)
        created = existing is None
        if existing is None:
            ident = str(next_id(data, "contacts"))
            existing = data["contacts"][ident] = {"id": ident, "email": email, "firstName": "", "lastName": "",
                                                  "phone": "", "cdate": _now(), "udate": _now(), "orgid": "0",
                                                  "deleted": "0"}
        for key in ("firstName", "lastName", "phone"):
            if key in contact_in and contact_in[key] is not None:
                existing[key] = str(contact_in[key])
        existing["udate"] = _now()
        written = [_field_value(data, existing["id"], _id(item["field"]), item.get("value")) for item in values]
        contact = _contact(request, existing)
    # B: 201 when the contact was created, 200 when it was updated
    return JSONResponse({"fieldValues": written, "contact": contact}, status_code=201 if created else 200)


def _field_value(data: State, contact: str, field: str, value: Any) -> dict[str, Any]:
    """Create or update the contact's value of a field (call inside ``STORE.use``)."""
    current = next((v for v in data["fieldValues"].values() if v["contact"] == contact and v["field"] == field),
                   None)
    if current is None:
        ident = str(next_id(data, "fieldValues"))
        current = data["fieldValues"][ident] = {"id": ident, "contact": contact, "field": field, "value": "",
                                                "cdate": _now(), "udate": _now()}
    current["value"] = "" if value is None else str(value)
    current["udate"] = _now()
    return dict(current)


@API.route(f"{V3}/contacts/{{id}}", ["GET"])
async def get_contact(request: Request, account: str) -> Response:
    ident = request.path_params["id"]
    with STORE.use(account) as data:
        contact = data["contacts"].get(ident)
        if contact is None:
            return not_found("Subscriber", ident)   # B: AC names contacts "Subscriber" here
        return JSONResponse({"contact": _contact(request, contact)})


@API.route(f"{V3}/contacts", ["GET"])
async def list_contacts(request: Request, account: str) -> Response:
    email = request.query_params.get("email", "").lower()
    with STORE.use(account) as data:
        found = [_contact(request, c) for c in data["contacts"].values() if not email or c["email"].lower() == email]
    return JSONResponse({"contacts": found, "meta": {"total": str(len(found))}})


@API.route(f"{V3}/contactLists", ["POST"], body=True)
async def contact_lists(request: Request, account: str, body: dict[str, Any]) -> Response:
    item = body.get("contactList")
    item = item if isinstance(item, dict) else {}
    missing = [_error(f"The {name} was not provided.", f"/data/attributes/{name}", "field_missing")
               for name in ("list", "contact", "status") if _id(item.get(name)) == ""]
    if missing:
        return unprocessable(*missing)
    list_id, contact_id, status = _id(item["list"]), _id(item["contact"]), _id(item["status"])
    if status not in LIST_STATUSES:
        return unprocessable(_error("Status must be 1 (subscribed) or 2 (unsubscribed).",
                                    "/data/attributes/status"))
    with STORE.use(account) as data:
        if list_id not in data["lists"]:
            return unprocessable(_error("The related list does not exist.", "/data/attributes/list",
                                        "related_missing"))   # B
        contact = data["contacts"].get(contact_id)
        if contact is None:
            return unprocessable(_error("The related contact does not exist.", "/data/attributes/contact",
                                        "related_missing"))   # B
        current = next((m for m in data["contactLists"].values()
                        if m["list"] == list_id and m["contact"] == contact_id), None)
        created = current is None
        if current is None:
            ident = str(next_id(data, "contactLists"))
            current = data["contactLists"][ident] = {"id": ident, "list": list_id, "contact": contact_id,
                                                     "sdate": _now(), "udate": None}
        current["status"] = status
        current["udate" if status == "2" else "sdate"] = _now()
        body = {"contacts": [_contact(request, contact)],
                "contactList": {**current, "first_name": contact["firstName"], "last_name": contact["lastName"]}}
    return JSONResponse(body, status_code=201 if created else 200)   # B: status codes


@API.route(f"{V3}/contactTags", ["POST"], body=True)
async def contact_tags(request: Request, account: str, body: dict[str, Any]) -> Response:
    item = body.get("contactTag")
    item = item if isinstance(item, dict) else {}
    missing = [_error(f"The {name} was not provided.", f"/data/attributes/{name}", "field_missing")
               for name in ("contact", "tag") if _id(item.get(name)) == ""]
    if missing:
        return unprocessable(*missing)
    contact_id, tag_id = _id(item["contact"]), _id(item["tag"])
    with STORE.use(account) as data:
        if contact_id not in data["contacts"]:
            return unprocessable(_error("The related contact does not exist.", "/data/attributes/contact",
                                        "related_missing"))   # B
        if tag_id not in data["tags"]:
            return unprocessable(_error("The related tag does not exist.", "/data/attributes/tag",
                                        "related_missing"))   # B
        current = next((t for t in data["contactTags"].values()
                        if t["contact"] == contact_id and t["tag"] == tag_id), None)
        if current is None:   # B: applying a tag twice answers 201 with the existing contactTag
            ident = str(next_id(data, "contactTags"))
            current = data["contactTags"][ident] = {"id": ident, "contact": contact_id, "tag": tag_id,
                                                    "cdate": _now()}
        body = {"contactTag": {**current, "links": _links(request, "contactTags", current["id"], "contact", "tag")}}
    return JSONResponse(body, status_code=201)   # V2: 201


@API.route(f"{V3}/deals", ["POST"], body=True)
async def create_deal(request: Request, account: str, body: dict[str, Any]) -> Response:
    item = body.get("deal")
    item = item if isinstance(item, dict) else {}
    required = ("title", "value", "currency", "group", "stage", "owner")
    errors = [_error(f"The deal {name} was not provided.", f"/data/attributes/{name}", "field_missing")
              for name in required if _id(item.get(name)) == ""]
    if _id(item.get("contact")) == "" and _id(item.get("account")) == "":
        errors.append(_error("A deal needs a contact or an account.", "/data/attributes/contact", "field_missing"))
    if errors:
        return unprocessable(*errors)
    value = item["value"]
    # B: value is in cents, a whole number (45600 = $456.00); "456.00" or a float is refused
    if isinstance(value, bool) or not re.fullmatch(r"\d+", str(value).strip()):
        return unprocessable(_error("The deal value must be a whole number of cents.", "/data/attributes/value"))
    currency = str(item["currency"]).strip().lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        return unprocessable(_error("The deal currency must be a three-letter currency code.",
                                    "/data/attributes/currency"))
    status = _id(item.get("status")) or "0"
    if status not in DEAL_STATUSES:
        return unprocessable(_error("The deal status must be 0 (open), 1 (won) or 2 (lost).",
                                    "/data/attributes/status"))
    group, stage, owner, contact = (_id(item["group"]), _id(item["stage"]), _id(item["owner"]),
                                    _id(item.get("contact")))
    with STORE.use(account) as data:
        checks = [("group", group, data["pipelines"]), ("stage", stage, data["stages"]),
                  ("owner", owner, data["users"])] + ([("contact", contact, data["contacts"])] if contact else [])
        for name, ident, table in checks:
            if ident not in table:
                return unprocessable(_error(f"The related {name} does not exist.", f"/data/attributes/{name}",
                                            "related_missing"))   # B
        if data["stages"][stage]["group"] != group:
            return unprocessable(_error("The stage does not belong to the deal's pipeline.",
                                        "/data/attributes/stage"))   # B
        ident = str(next_id(data, "deals"))
        deal = data["deals"][ident] = {
            "id": ident, "title": str(item["title"]), "contact": contact or None, "account": _id(item.get("account"))
            or None, "value": str(int(str(value).strip())), "currency": currency, "group": group, "stage": stage,
            "owner": owner, "status": status, "description": str(item.get("description") or ""),
            "percent": str(item.get("percent") or "0"), "cdate": _now(), "mdate": _now()}
        body = {"deal": {**deal, "links": _links(request, "deals", ident, "activities", "contact", "stage")}}
    return JSONResponse(body, status_code=201)   # B: 201


@API.route(f"{V3}/deals/{{id}}", ["GET"])
async def get_deal(request: Request, account: str) -> Response:
    ident = request.path_params["id"]
    with STORE.use(account) as data:
        deal = data["deals"].get(ident)
        return JSONResponse({"deal": deal}) if deal else not_found("Deal", ident)


@API.route(f"{V3}/fieldValues", ["POST"], body=True)
async def create_field_value(request: Request, account: str, body: dict[str, Any]) -> Response:
    item = body.get("fieldValue")
    item = item if isinstance(item, dict) else {}
    missing = [_error(f"The {name} was not provided.", f"/data/attributes/{name}", "field_missing")
               for name in ("contact", "field") if _id(item.get(name)) == ""]
    if "value" not in item:
        missing.append(_error("The value was not provided.", "/data/attributes/value", "field_missing"))
    if missing:
        return unprocessable(*missing)
    contact, field = _id(item["contact"]), _id(item["field"])
    with STORE.use(account) as data:
        if contact not in data["contacts"]:
            return unprocessable(_error("The related contact does not exist.", "/data/attributes/contact",
                                        "related_missing"))
        if field not in data["fields"]:
            return unprocessable(_error("The related field does not exist.", "/data/attributes/field",
                                        "related_missing"))
        existed = any(v["contact"] == contact and v["field"] == field for v in data["fieldValues"].values())
        value = _field_value(data, contact, field, item["value"])
    return JSONResponse({"contacts": [], "fieldValue": value}, status_code=200 if existed else 201)   # B


@API.route(f"{V3}/fieldValues/{{id}}", ["PUT"], body=True)
async def update_field_value(request: Request, account: str, body: dict[str, Any]) -> Response:
    ident = request.path_params["id"]
    item = body.get("fieldValue")
    item = item if isinstance(item, dict) else {}
    if "value" not in item:
        return unprocessable(_error("The value was not provided.", "/data/attributes/value", "field_missing"))
    with STORE.use(account) as data:
        current = data["fieldValues"].get(ident)
        if current is None:
            return not_found("FieldValue", ident)
        current["value"], current["udate"] = "" if item["value"] is None else str(item["value"]), _now()
        return JSONResponse({"fieldValue": dict(current)})


@API.route(f"{V3}/campaigns/{{id}}", ["GET"])
async def get_campaign(request: Request, account: str) -> Response:
    ident = request.path_params["id"]
    with STORE.use(account) as data:
        campaign = data["campaigns"].get(ident)
        return JSONResponse({"campaign": campaign}) if campaign else not_found("Campaign", ident)


def _not_ready(campaign: dict[str, Any]) -> str | None:
    if not campaign["lists"]:
        return "The campaign has no list to send to."
    if not campaign["messageid"]:
        return "The campaign has no message."
    return None


@API.route(f"{V3}/campaigns/{{id}}/schedule", ["PUT"], body=True)   # B: path
async def schedule_campaign(request: Request, account: str, body: dict[str, Any]) -> Response:
    """V: a refused schedule is HTTP 200 with succeeded 0 (schedule-a-campaign). B: path and body."""
    ident = request.path_params["id"]
    when = str(body.get("scheduledDate") or "").strip()
    if not when:
        return unprocessable(_error("The scheduled date was not provided.", "/data/attributes/scheduledDate",
                                    "field_missing"))
    try:
        datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return unprocessable(_error("The scheduled date is not a valid date.", "/data/attributes/scheduledDate"))
    with STORE.use(account) as data:
        campaign = data["campaigns"].get(ident)
        if campaign is None:
            return not_found("Campaign", ident)
        if campaign["status"] != CAMPAIGN_DRAFT:
            return JSONResponse({"succeeded": 0, "message": "Only draft campaigns can be scheduled."})
        reason = _not_ready(campaign)
        if reason:
            return JSONResponse({"succeeded": 0, "message": f"The campaign is not ready to be scheduled. {reason}"})
        campaign["status"], campaign["sdate"] = CAMPAIGN_SCHEDULED, when
    return JSONResponse({"succeeded": 1, "message": "The campaign was scheduled."})


# ---------------------------------------------------------------- legacy v1 (B: parameters and bodies)
def _v1(code: int, message: str) -> Response:
    return JSONResponse({"result_code": code, "result_message": message, "result_output": "json"})


async def _v1_params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
    return params


async def _v1_account(request: Request) -> str | None:
    return sandbox_account((await _v1_params(request)).get("api_key") or request.headers.get("api-token"))


# The same fault switches and limiter as v3; the key may come in the query or the form, and v1 refuses with
# HTTP 200 and result_code 0 (B).
V1 = API.but(auth=_v1_account, refuse=lambda request: _v1(0, "You are not authorized to access this file"),
             read=_v1_params, body=True)


@V1.route("/account/admin/api.php", ["GET", "POST"])
async def api_php(request: Request, account: str, params: dict[str, str]) -> Response:
    if params.get("api_action") != "campaign_send":
        return _v1(0, f"api_action {params.get('api_action')!r} is not available in the sandbox")
    email, campaign_id = params.get("email", "").strip(), params.get("campaignid", "").strip()
    action = params.get("action") or "send"
    if not email or not campaign_id:
        return _v1(0, "Missing required parameter: email and campaignid are required")
    if action not in ("send", "copy", "test", "source", "messagesize", "spamcheck", "preview"):
        return _v1(0, f"Unknown action {action!r}")
    if params.get("type", "mime") not in ("html", "text", "mime"):
        return _v1(0, "type must be html, text or mime")
    with STORE.use(account) as data:
        campaign = data["campaigns"].get(campaign_id)
        if campaign is None:
            return _v1(0, "Campaign not found")
        contact = next((c for c in data["contacts"].values() if c["email"].lower() == email.lower()), None)
        if contact is None:
            return _v1(0, "Contact not found")
        reason = _not_ready(campaign)
        if reason:
            return _v1(0, reason)
        if action in ("send", "test"):
            data["sends"].append({"campaign": campaign_id, "contact": contact["id"], "email": contact["email"],
                                  "messageid": params.get("messageid") or campaign["messageid"], "action": action,
                                  "type": params.get("type", "mime"), "at": _now()})
            if action == "send":
                campaign["send_amt"] = str(int(campaign["send_amt"]) + 1)
    return _v1(1, "Message sent" if action in ("send", "test") else "Message processed")


SANDBOX = SandboxProvider(
    slug=SLUG, name="ActiveCampaign",
    origins={"https://*.api-us1.com": "/account"},
    api_routes=API.routes,
    defaults={"account_url": "/account"},
)
