"""Google Workspace sandbox: Google's OAuth server and the four APIs the actions use, each on its own host.

OAuth (``/accounts`` = https://accounts.google.com, ``/oauth2`` = https://oauth2.googleapis.com): the web-server
flow with PKCE; access tokens last 3599 s; a refresh answers a new access token and no refresh token (the
refresh token is reused, not rotated); ``POST /revoke`` takes the token as a form field (V: "Using OAuth 2.0 for
Web Server Applications", developers.google.com/identity/protocols/oauth2/web-server).

APIs, every request checked against Google's discovery documents in shared/specs/google-workspace/ (``SPEC``,
services/sandbox/discovery.py; a violation is Google's 400 INVALID_ARGUMENT):
  GET  /www/oauth2/v2/userinfo                                     oauth2.userinfo.get (the credential check)
  POST /gmail/gmail/v1/users/{userId}/messages/send               gmail.users.messages.send (raw RFC 2822)
  POST /www/calendar/v3/calendars/{calendarId}/events              calendar.events.insert
  POST /sheets/v4/spreadsheets/{spreadsheetId}/values/{range}:append   sheets.spreadsheets.values.append
  GET  /www/drive/v3/files                                         drive.files.list (a subset of ``q``)

Errors are Google's JSON body ``{"error": {"code", "message", "errors": [{message, domain, reason}], "status"}}``:
401 UNAUTHENTICATED for a bad token, 429 RESOURCE_EXHAUSTED past a per-user per-minute quota (no Retry-After:
Google asks for exponential backoff, B), 404 NOT_FOUND for an unknown spreadsheet or calendar. Quotas per user
per minute: Gmail 15,000 units (send = 100, so 150 sends), Sheets 60 writes, Drive 12,000 queries (V: each
API's usage-limits page), Calendar 600 (B: the console default). ``state(account)`` returns a deep copy of an
account's data for tests.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import getaddresses
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox import faults
from services.sandbox.api import BodyError, SandboxApi, bearer_token, read_json
from services.sandbox.common import OAuthServer, SandboxProvider
from services.sandbox.discovery import Spec, check_method
from services.sandbox.limits import Decision, FixedWindow
from services.sandbox.schema_checks import NO_BODY
from services.sandbox.store import AccountStore, State

SLUG = "google-workspace"
ORIGINS = {"https://accounts.google.com": "/accounts", "https://oauth2.googleapis.com": "/oauth2",
           "https://www.googleapis.com": "/www", "https://gmail.googleapis.com": "/gmail",
           "https://sheets.googleapis.com": "/sheets"}
SPEC = Spec(SLUG, "Google's discovery documents", origins=ORIGINS)
SPREADSHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789xxxxxxx"   # the catalog example (obviously fake)
SEED_TIME = "2026-01-01T09:00:00.000Z"
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
REASON = {400: "badRequest", 401: "authError", 403: "forbidden", 404: "notFound", 429: "rateLimitExceeded",
          500: "backendError", 503: "backendError"}
UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                   "or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")   # V: real 401 bodies
# Per user per minute (see the module docstring); the API is the method id's first part.
QUOTAS = {"gmail": (150, "Queries per minute per user"), "sheets": (60, "Write requests per minute per user"),
          "drive": (12000, "Queries per minute per user"), "calendar": (600, "Queries per minute per user")}
WINDOWS = {api: FixedWindow(limit, 60.0) for api, (limit, _) in QUOTAS.items()}


def error(status: int, message: str, reason: str | None = None, *, location: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    """Google's error body (B: errors[] with domain/reason as the v1 APIs still send them)."""
    item: dict[str, Any] = {"message": message, "domain": "global", "reason": reason or REASON.get(status, "error")}
    if location:
        item.update(location=location, locationType="parameter")
    body = {"error": {"code": status, "message": message, "errors": [item], "status": STATUS.get(status, "UNKNOWN")}}
    return JSONResponse(body, status_code=status, headers=headers)


def _fault(status: int, message: str, reason: str) -> Any:
    def make(fault: faults.Fault) -> tuple[int, object, dict[str, str]]:
        body = {"error": {"code": status, "message": message, "status": STATUS[status],
                          "errors": [{"message": message, "domain": "global", "reason": reason}]}}
        return status, body, faults.retry_after(fault) if status == 503 else {}
    return make


faults.bodies[SLUG] = {
    "rate_limit": _fault(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
                         "rateLimitExceeded"),   # B: wording
    "expired_token": _fault(401, UNAUTHENTICATED, "authError"),
    "server_error": _fault(500, "Internal error encountered.", "backendError"),   # B: wording
    "unavailable": _fault(503, "The service is currently unavailable.", "backendError"),   # B: wording
}

OAUTH = OAuthServer(
    provider="Google", authorize_path="/accounts/o/oauth2/v2/auth", token_path="/oauth2/token", access_ttl=3599,
    refresh="reuse", refresh_returns_token=False, pkce=True, client_auth="post", token_type="Bearer",
    revoke_path="/oauth2/revoke",
)


# --------------------------------------------------------------------------- state
def email_of(account: str) -> str:
    return f"{account}@example.com"


def _seed(account: str) -> State:
    """Every sandbox account has the spreadsheet the catalog example names (header row on Sheet1), a primary
    calendar and a few Drive files."""
    return {
        "spreadsheets": {SPREADSHEET_ID: {"title": "Sandbox leads", "sheets": {"Sheet1": [["Name", "Email", "Plan"]]}}},
        "calendars": [email_of(account)],
        "events": {},
        "messages": {},
        "files": [
            {"kind": "drive#file", "id": SPREADSHEET_ID, "name": "Sandbox leads",
             "mimeType": "application/vnd.google-apps.spreadsheet", "trashed": False, "parents": ["root"]},
            {"kind": "drive#file", "id": "1XyZxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "Quarterly report",
             "mimeType": "application/vnd.google-apps.document", "trashed": False, "parents": ["root"]},
            {"kind": "drive#file", "id": "1QrSxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "team-photo.png",
             "mimeType": "image/png", "trashed": False, "parents": ["root"]},
        ],
    }


STORE = AccountStore(SLUG, _seed)


def state(account: str) -> State:
    """Deep copy of one sandbox account's Google data (tests compare it before and after)."""
    return STORE.snapshot(account)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


def _hex_id() -> str:
    return secrets.token_hex(8)


# --------------------------------------------------------------------------- request plumbing
async def _read(request: Request) -> Any:
    """The request matched to its discovery method and checked: (method id, path values, query, body) or the
    404/400 answer. Sandbox URLs are read back to Google's hosts through ``ORIGINS``."""
    try:
        body = await read_json(request)
    except BodyError as exc:
        return error(400, f"Invalid JSON payload received. {exc}", "parseError")
    url = str(request.url)
    found, values = SPEC.find_method(request.method, url)
    if found is None:
        return error(404, "Not Found", "notFound")
    _, _, query = SPEC.split(url)
    problems = check_method(found, values, query, body)
    if problems:
        first = problems[0]
        location = first.where.split(":", 1)[1] if first.where.startswith(("query:", "path:")) else None
        return error(400, "; ".join(str(p) for p in problems[:5]), "invalid" if location else "badRequest",
                     location=location)
    return found.id, values, query, (None if body is NO_BODY else body)


def _api(path: str) -> str | None:
    """Which API's quota a sandbox path counts against: its host (gmail, sheets), else the www API's first
    segment (calendar, drive); None for the userinfo call."""
    host, _, tail = path.split(f"/{SLUG}/", 1)[-1].partition("/")
    name = host if host in ("gmail", "sheets") else tail.split("/", 1)[0]
    return name if name in QUOTAS else None


def _limit(request: Request, account: str) -> Decision:
    api = _api(request.url.path)
    if api is None:
        return Decision(True, 0, 0, 0.0)
    return WINDOWS[api].hit(f"{account}:{api}")


def _too_many(decision: Decision) -> Response:
    return error(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
                 "rateLimitExceeded")


API = SandboxApi(SLUG, auth=bearer_token(OAUTH.account_for_token),
                 refuse=lambda request: error(401, UNAUTHENTICATED, "authError"),
                 limit=_limit, too_many=_too_many, read=_read, body=True)


async def serve(request: Request, account: str, checked: tuple[str, dict[str, str], dict[str, list[str]], Any]
                ) -> Response:
    method_id, values, query, body = checked
    handler = HANDLERS.get(method_id)
    if handler is None:
        return error(404, "Not Found", "notFound")
    with STORE.use(account) as data:
        return handler(account, data, values, {k: v[-1] for k, v in query.items()}, body or {})


# --------------------------------------------------------------------------- the methods
def userinfo(account: str, data: State, values: dict[str, str], query: dict[str, str], body: Any) -> Response:
    digits = str(int(hashlib.sha256(account.encode()).hexdigest()[:15], 16)).rjust(21, "1")[:21]
    return JSONResponse({"id": digits, "email": email_of(account), "verified_email": True,
                         "name": "Sandbox User", "given_name": "Sandbox", "family_name": "User",
                         "picture": "https://lh3.googleusercontent.com/a/sandbox", "locale": "en"})


def send_message(account: str, data: State, values: dict[str, str], query: dict[str, str], body: Any) -> Response:
    user = values["userId"]
    if user not in ("me", email_of(account)):
        return error(403, f"Delegation denied for {email_of(account)}", "forbidden")   # B: wording
    raw = str(body.get("raw", ""))
    try:
        message = message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), policy=policy.default)
    except (binascii.Error, ValueError):
        return error(400, "Invalid value for ByteString: " + raw[:20], "invalidArgument")
    recipients = [a for _, a in getaddresses([str(message.get(h, "")) for h in ("To", "Cc", "Bcc")]) if a]
    if not recipients:
        return error(400, "Recipient address required", "invalidArgument")   # V: Gmail's answer without To
    ident = _hex_id()
    data["messages"][ident] = {"id": ident, "threadId": body.get("threadId") or ident, "labelIds": ["SENT"],
                               "to": recipients, "subject": str(message.get("Subject", "")),
                               "from": str(message.get("From") or email_of(account))}
    stored = data["messages"][ident]
    return JSONResponse({"id": ident, "threadId": stored["threadId"], "labelIds": stored["labelIds"]})


def _when(value: dict[str, Any]) -> str | None:
    """The comparable instant of an EventDateTime (``dateTime``, else an all-day ``date``)."""
    if value.get("dateTime"):
        return datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00")).astimezone(UTC).isoformat()
    if value.get("date"):
        return str(value["date"]) + "T00:00:00+00:00"
    return None


def insert_event(account: str, data: State, values: dict[str, str], query: dict[str, str], body: Any) -> Response:
    calendar = values["calendarId"]
    if calendar != "primary" and calendar not in data["calendars"]:
        return error(404, "Not Found", "notFound")
    start, end = _when(body.get("start") or {}), _when(body.get("end") or {})
    if start is None or end is None:
        return error(400, "Missing end time." if start else "Missing start time.", "required")   # B: wording
    if end < start:
        return error(400, "The specified time range is empty.", "timeRangeEmpty")   # B: wording
    ident = base64.b32hexencode(secrets.token_bytes(10)).decode().lower().rstrip("=")
    owner = {"email": email_of(account), "self": True}
    now = _now()
    event = {"kind": "calendar#event", "etag": f'"{secrets.randbits(52)}"', "id": ident, "status": "confirmed",
             "htmlLink": f"https://www.google.com/calendar/event?eid={ident}", "created": now, "updated": now,
             **copy.deepcopy(body), "creator": owner, "organizer": owner, "iCalUID": f"{ident}@google.com",
             "sequence": 0, "reminders": body.get("reminders") or {"useDefault": True}, "eventType": "default"}
    if isinstance(body.get("attendees"), list):
        event["attendees"] = [{**a, "responseStatus": a.get("responseStatus", "needsAction")}
                              for a in body["attendees"] if isinstance(a, dict)]
    data["events"][ident] = event
    return JSONResponse(event)


_CELLS = re.compile(r"[A-Z]*\d*(?::[A-Z]*\d*)?")


def _column(index: int) -> str:
    """A1 column letters of a 1-based column index (1 = A, 27 = AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def append_values(account: str, data: State, values: dict[str, str], query: dict[str, str], body: Any) -> Response:
    sheet_id, given = values["spreadsheetId"], values["range"]
    spreadsheet = data["spreadsheets"].get(sheet_id)
    if spreadsheet is None:
        return error(404, "Requested entity was not found.", "notFound")
    if not query.get("valueInputOption") or query["valueInputOption"] == "INPUT_VALUE_OPTION_UNSPECIFIED":
        # V: the method's description ("The caller must specify the spreadsheet ID, range, and a
        # valueInputOption"); B: the message
        return error(400, "'valueInputOption' is required but not specified", "badRequest")
    if "!" in given:
        sheet = given.split("!", 1)[0].strip("'")
    elif given in spreadsheet["sheets"] or not _CELLS.fullmatch(given):
        sheet = given
    else:                                   # cells only: the first sheet
        sheet = next(iter(spreadsheet["sheets"]))
    if sheet not in spreadsheet["sheets"]:
        return error(400, f"Unable to parse range: {given}", "badRequest")
    rows = body.get("values") or []
    if body.get("majorDimension") == "COLUMNS":
        rows = [list(r) for r in zip(*rows, strict=False)]
    table = spreadsheet["sheets"][sheet]
    before = len(table)
    width = max((len(r) for r in [*table, *rows]), default=0)
    table.extend([list(r) for r in rows])
    cells = sum(len(r) for r in rows)
    updated_cols = max((len(r) for r in rows), default=0)
    answer: dict[str, Any] = {
        "spreadsheetId": sheet_id,
        "updates": {"spreadsheetId": sheet_id,
                    "updatedRange": f"{sheet}!A{before + 1}:{_column(max(updated_cols, 1))}{before + len(rows)}",
                    "updatedRows": len(rows), "updatedColumns": updated_cols, "updatedCells": cells},
    }
    if before:
        answer["tableRange"] = f"{sheet}!A1:{_column(max(width, 1))}{before}"
    if query.get("includeValuesInResponse") == "true":
        answer["updates"]["updatedData"] = {"range": answer["updates"]["updatedRange"], "majorDimension": "ROWS",
                                            "values": rows}
    return JSONResponse(answer)


_CLAUSE = re.compile(r"^\s*(?:(?P<field>name|mimeType|fullText)\s*(?P<op>contains|=|!=)\s*'(?P<value>(?:[^'\\]|\\.)*)'"
                     r"|trashed\s*(?P<top>=|!=)\s*(?P<trashed>true|false)"
                     r"|'(?P<parent>[^']+)'\s+in\s+parents)\s*$")


FileTest = Callable[[dict[str, Any]], bool]


def _clause(m: re.Match[str]) -> FileTest:
    if m.group("parent"):
        parent = m.group("parent")
        return lambda f: parent in f.get("parents", [])
    if m.group("trashed"):
        want = (m.group("trashed") == "true") == (m.group("top") == "=")
        return lambda f: bool(f.get("trashed")) == want
    field, op, value = m.group("field"), m.group("op"), m.group("value").replace("\\'", "'")
    key = "name" if field == "fullText" else field
    if op == "contains":
        return lambda f: value.lower() in str(f.get(key, "")).lower()
    return lambda f: (str(f.get(key, "")) == value) == (op == "=")


def _matcher(q: str) -> FileTest | None:
    """A filter for the subset of Drive's query language the sandbox knows (clauses joined by ``and``), or None
    for a query it cannot read (Google answers 400 Invalid Value for a malformed one)."""
    tests: list[FileTest] = []
    for clause in re.split(r"\s+and\s+", q.strip()) if q.strip() else []:
        m = _CLAUSE.match(clause)
        if m is None:
            return None
        tests.append(_clause(m))
    return lambda f: all(t(f) for t in tests)


def list_files(account: str, data: State, values: dict[str, str], query: dict[str, str], body: Any) -> Response:
    match = _matcher(query.get("q", ""))
    if match is None:
        return error(400, "Invalid Value", "invalid", location="q")
    size = int(query.get("pageSize") or 100)
    start = int(query["pageToken"]) if query.get("pageToken", "").isdigit() else 0
    found = [f for f in data["files"] if match(f) and (not f.get("trashed") or "trashed" in query.get("q", ""))]
    page = [{k: f[k] for k in ("kind", "mimeType", "id", "name")} for f in found[start:start + size]]
    answer: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": page}
    if start + size < len(found):
        answer["nextPageToken"] = str(start + size)
    return JSONResponse(answer)


for _host in ("/www", "/gmail", "/sheets"):   # the API hosts (ORIGINS); every method goes through ``serve``
    API.route(_host + "/{path:path}", ["GET", "POST"])(serve)

HANDLERS = {"oauth2.userinfo.get": userinfo, "gmail.users.messages.send": send_message,
            "calendar.events.insert": insert_event, "sheets.spreadsheets.values.append": append_values,
            "drive.files.list": list_files}

SANDBOX = SandboxProvider(slug=SLUG, name="Google Workspace", oauth=OAUTH, origins=ORIGINS,
                          api_routes=API.routes, spec=SPEC)
