"""n8n sandbox: one instance (``/instance``) with Webhook-node workflows and the public REST API.

Webhooks: ``POST /instance/webhook/<path>`` (production) and ``/webhook-test/<path>`` (the editor is
always listening in the sandbox; ``set_listening(False)`` makes test URLs answer the real 404). Every
path is served by the sandbox *echo workflow* unless ``register_workflow`` configured it otherwise:
it records an execution and its "Respond to Webhook" node answers 200
``{"executionId", "workflowId", "received"}``. Auth follows the Webhook node (V2): Basic Auth, Header
Auth (401 ``Authorization is required!``, 403 ``Authorization data is wrong!``, plain text) or none.
An echo workflow accepts any caller, and a credential following the sandbox rule (a Basic password or
a header value beginning ``sbx_``) names the account; a non-sbx Basic password is refused (403).

Public API (``X-N8N-API-KEY``): ``GET /api/v1/workflows``, ``GET /api/v1/executions`` and
``GET /api/v1/executions/{id}?includeData=true`` → ``{id, finished, mode, retryOf, retrySuccessId,
status, startedAt, stoppedAt, workflowId, waitTill, customData[, data]}`` (V: getExecution spec);
unknown ids 404 ``{"message"}`` (B). An API key reads its own account's executions and those of
unauthenticated workflows (account ``default``, the instance owner's). Every account starts with one
finished execution, ``EXAMPLE_EXECUTION_ID`` (the catalog's get_execution example); new execution ids
come from one instance-wide counter that starts after it.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.sandbox.api import SandboxApi, empty_object, header_key, read_payload
from services.sandbox.common import SandboxProvider, basic, sandbox_account
from services.sandbox.store import AccountStore, State

SLUG = "n8n"
PAYLOAD_MAX = 16 * 1024 * 1024           # V2: N8N_PAYLOAD_SIZE_MAX default 16 MB
SHARED = "default"                       # account of calls to unauthenticated workflows
_NOT_LISTENING_HINT = ("Click the 'Execute workflow' button on the canvas, then try again. (In test mode, the "
                       "webhook only works for one call after you click this button)")
_INACTIVE_HINT = ("The workflow must be active for a production URL to run successfully. You can activate the "
                  "workflow using the toggle in the top-right of the editor.")
_HIDDEN_HEADERS = {"authorization", "cookie", "x-n8n-api-key"}


@dataclass
class Workflow:
    """A Webhook-node workflow configured for one path (the echo workflow when not registered)."""

    path: str
    auth: Literal["auto", "none", "basic", "header"] = "auto"
    header: str = "X-Layers-Webhook-Secret"      # Header Auth name (the Hub's default header)
    value: str | None = None                     # expected value; None = any value under the sbx_ rule
    methods: tuple[str, ...] = ("POST",)
    respond: Literal["node", "immediately", "last_node"] = "node"
    active: bool = True
    status: str = "success"                      # the execution's outcome

    @property
    def id(self) -> str:
        return base64.b32encode(hashlib.sha256(self.path.encode()).digest()).decode()[:16]


_lock = threading.Lock()
_workflows: dict[str, Workflow] = {}
_listening = {"on": True}


def register_workflow(path: str, **settings: Any) -> Workflow:
    """Configure the workflow behind a webhook path (tests, demos)."""
    workflow = Workflow(path=path.strip("/"), **settings)
    with _lock:
        _workflows[workflow.path] = workflow
    return workflow


def workflow_for(path: str) -> Workflow:
    with _lock:
        return _workflows.get(path.strip("/")) or Workflow(path=path.strip("/"))


def set_listening(on: bool) -> None:
    """Whether the editor listens for test webhooks (the sandbox default is yes)."""
    _listening["on"] = on


def reset_workflows() -> None:
    """Forget registered workflows and listen for test webhooks again (executions live in ``STORE``)."""
    with _lock:
        _workflows.clear()
    _listening["on"] = True


EXAMPLE_EXECUTION_ID = "1001"   # the catalog's get_execution example, seeded in every account
EXAMPLE_WORKFLOW = Workflow(path="layers")


def _example_execution() -> dict[str, Any]:
    """A webhook run of the echo workflow that finished before the account was first used."""
    started, stopped = "2026-01-01T09:00:00.000Z", "2026-01-01T09:00:00.042Z"
    payload = {"email": "jane.doe@example.com"}
    item = {"headers": {"content-type": "application/json"}, "params": {}, "query": {}, "body": payload,
            "webhookUrl": "https://example.app.n8n.cloud/webhook/layers", "executionMode": "production"}
    respond = {"executionId": EXAMPLE_EXECUTION_ID, "workflowId": EXAMPLE_WORKFLOW.id, "received": payload}
    return {
        "id": EXAMPLE_EXECUTION_ID, "finished": True, "mode": "webhook", "retryOf": None, "retrySuccessId": None,
        "status": "success", "startedAt": started, "stoppedAt": stopped, "workflowId": EXAMPLE_WORKFLOW.id,
        "waitTill": None, "customData": {},
        "data": {"startData": {}, "resultData": {
            "runData": {"Webhook": [{"startTime": started, "executionTime": 1, "executionStatus": "success",
                                     "data": {"main": [[{"json": item}]]}}],
                        "Respond to Webhook": [{"startTime": started, "executionTime": 1,
                                                "executionStatus": "success",
                                                "data": {"main": [[{"json": respond}]]}}]},
            "lastNodeExecuted": "Respond to Webhook"}},
    }


def _seed(account: str) -> State:
    return {"executions": {EXAMPLE_EXECUTION_ID: _example_execution()}}


STORE = AccountStore(SLUG, _seed)
_ids = {"next": int(EXAMPLE_EXECUTION_ID) + 1}
_id_lock = threading.Lock()


def state(account: str) -> State:
    """Deep copy of one sandbox account's executions (tests compare it before/after)."""
    return STORE.snapshot(account)


def _execution_id() -> str:
    with _id_lock:
        value = _ids["next"]
        _ids["next"] += 1
    return str(value)


def _now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- webhooks
def _auth_error(status: int) -> Response:
    # V2: n8n's Webhook node answers in plain text with WWW-Authenticate
    message = "Authorization is required!" if status == 401 else "Authorization data is wrong!"
    return PlainTextResponse(message, status_code=status, headers={"WWW-Authenticate": 'Basic realm="Webhook"'})


def _authenticate(request: Request, workflow: Workflow) -> tuple[str | None, Response | None, str | None]:
    """(account, refusal, auth header name to hide) for a webhook call."""
    if workflow.auth == "none":
        return SHARED, None, None
    pair = basic(request)
    if workflow.auth == "basic" or (workflow.auth == "auto" and pair is not None):
        if pair is None:
            return None, _auth_error(401), None
        if workflow.value is not None:
            if pair[1] != workflow.value:
                return None, _auth_error(403), None
            return sandbox_account(pair[1]) or SHARED, None, "authorization"
        account = sandbox_account(pair[1])
        return (account, None, "authorization") if account else (None, _auth_error(403), None)
    if workflow.auth == "header":
        value = request.headers.get(workflow.header)
        if value is None or (workflow.value is not None and value != workflow.value):
            return None, _auth_error(403), None
        if workflow.value is not None:
            return sandbox_account(value) or SHARED, None, workflow.header.lower()
        account = sandbox_account(value)
        return (account, None, workflow.header.lower()) if account else (None, _auth_error(403), None)
    # auto: any header carrying an sbx_ credential names the account; otherwise an open workflow
    for name, value in request.headers.items():
        if name not in _HIDDEN_HEADERS and value.startswith("sbx_"):
            return sandbox_account(value), None, name
    return SHARED, None, None


def _test(request: Request) -> bool:
    return request.url.path.rsplit("/instance/", 1)[1].startswith("webhook-test/")


def _caller(request: Request) -> str | Response | None:
    """The account of a webhook call, or the answer when no workflow takes it (the Webhook node's auth)."""
    test, path = _test(request), request.path_params["path"].strip("/")
    workflow = workflow_for(path)
    if test and not _listening["on"]:
        return JSONResponse({"code": 404, "message": f'The requested webhook "{path}" is not registered.',
                             "hint": _NOT_LISTENING_HINT}, status_code=404)
    if not workflow.active and not test:
        return JSONResponse({"code": 404, "message": f'The requested webhook "{request.method} {path}" is not '
                             "registered.", "hint": _INACTIVE_HINT}, status_code=404)
    if request.method not in workflow.methods:
        return JSONResponse({"code": 404, "message": f"This webhook is not registered for {request.method} "
                             f"requests. Did you mean to make a {', '.join(workflow.methods)} request?",
                             "hint": ""}, status_code=404)   # V2: wording
    account, refused, _ = _authenticate(request, workflow)
    return refused or account


# The Webhook node: its auth, fault switches, the payload cap (B: 413 body), then the workflow with the payload
# (JSON, form fields or text; {} when empty).
HOOKS = SandboxApi(
    SLUG, auth=_caller, refuse=lambda request: _auth_error(403), body=True, read=read_payload(), empty=empty_object,
    max_body=PAYLOAD_MAX, too_large=lambda: JSONResponse({"message": "request entity too large"}, status_code=413),
)
WEBHOOK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


@HOOKS.route("/instance/webhook/{path:path}", WEBHOOK_METHODS)
@HOOKS.route("/instance/webhook-test/{path:path}", WEBHOOK_METHODS)
async def webhook(request: Request, account: str, payload: Any) -> Response:
    test, workflow = _test(request), workflow_for(request.path_params["path"])
    _, _, auth_header = _authenticate(request, workflow)
    headers = {k: v for k, v in request.headers.items() if k not in _HIDDEN_HEADERS and k != auth_header}
    item = {"headers": headers, "params": {}, "query": dict(request.query_params), "body": payload,
            "webhookUrl": str(request.url).split("?")[0], "executionMode": "test" if test else "production"}
    started = _now()
    ident = _execution_id()
    # B: a "Respond to Webhook" node returning {{$execution.id}} is how callers poll the result later
    respond = {"executionId": ident, "workflowId": workflow.id, "received": payload}
    execution = {   # V: fields of getExecution; ids are strings as the server sends them (the spec says number)
        "id": ident, "finished": workflow.status == "success", "mode": "manual" if test else "webhook",
        "retryOf": None, "retrySuccessId": None, "status": workflow.status, "startedAt": started,
        "stoppedAt": _now(), "workflowId": workflow.id, "waitTill": None, "customData": {},
        "data": {"startData": {}, "resultData": {
            "runData": {"Webhook": [{"startTime": started, "executionTime": 1, "executionStatus": "success",
                                     "data": {"main": [[{"json": item}]]}}],
                        "Respond to Webhook": [{"startTime": started, "executionTime": 1,
                                                "executionStatus": workflow.status,
                                                "data": {"main": [[{"json": respond}]]}}]},
            "lastNodeExecuted": "Respond to Webhook"}},
    }
    with STORE.use(account) as data:
        data["executions"][ident] = execution
    if workflow.respond == "immediately":
        return JSONResponse({"message": "Workflow was started"})
    if workflow.respond == "last_node":
        return JSONResponse(payload if isinstance(payload, dict | list) else {"data": payload})
    return JSONResponse(respond)


# ---------------------------------------------------------------- public API
def _key_refused(request: Request) -> Response:   # B: 401 {"message"}
    message = "'X-N8N-API-KEY' header required" if "x-n8n-api-key" not in request.headers else "unauthorized"
    return JSONResponse({"message": message}, status_code=401)


API = SandboxApi(SLUG, auth=header_key("x-n8n-api-key"), refuse=_key_refused)


@API.route("/instance/api/v1/workflows", ["GET"])
async def workflows(request: Request, account: str) -> Response:
    with _lock:
        items = [{"id": w.id, "name": f"Sandbox workflow ({w.path})", "active": w.active}
                 for w in _workflows.values()]
    return JSONResponse({"data": items, "nextCursor": None})


def _visible(account: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}   # by id: the seeded example is in both accounts
    for owner in dict.fromkeys((account, SHARED)):
        with STORE.use(owner) as data:
            for execution in data["executions"].values():
                found.setdefault(execution["id"], dict(execution))
    return list(found.values())


def _view(execution: dict[str, Any], include_data: bool) -> dict[str, Any]:
    return execution if include_data else {k: v for k, v in execution.items() if k != "data"}


@API.route("/instance/api/v1/executions/{id}", ["GET"])
async def get_execution(request: Request, account: str) -> Response:
    ident = request.path_params["id"]
    execution = next((e for e in _visible(account) if e["id"] == ident), None)
    if execution is None:
        return JSONResponse({"message": "Not Found"}, status_code=404)   # B: wording
    return JSONResponse(_view(execution, request.query_params.get("includeData") == "true"))


@API.route("/instance/api/v1/executions", ["GET"])
async def list_executions(request: Request, account: str) -> Response:
    query = request.query_params
    limit_raw = query.get("limit", "100")
    if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 250:
        return JSONResponse({"message": "request/query/limit must be <= 250"}, status_code=400)   # B
    items = sorted(_visible(account), key=lambda e: int(e["id"]), reverse=True)
    items = [e for e in items if (not query.get("workflowId") or e["workflowId"] == query["workflowId"])
             and (not query.get("status") or e["status"] == query["status"])]
    if query.get("cursor", "").isdigit():
        items = [e for e in items if int(e["id"]) < int(query["cursor"])]
    page = items[:int(limit_raw)]
    more = len(items) > len(page)
    return JSONResponse({"data": [_view(e, query.get("includeData") == "true") for e in page],
                         "nextCursor": page[-1]["id"] if more else None})


SANDBOX = SandboxProvider(
    slug=SLUG, name="n8n",
    origins={"https://*.app.n8n.cloud": "/instance"},
    api_routes=[*API.routes, *HOOKS.routes],
    defaults={"instance_url": "/instance", "webhook_url": "/instance/webhook/layers"},
)
