"""Make sandbox: custom webhooks ``https://hook.{zone}.make.com/{token}`` → ``/sandbox/make/hook/{zone}/{token}``.

A custom webhook takes any GET or POST with JSON, form or query data (V: apps.make.com/gateway) and,
once the request is queued, answers ``200 Accepted`` in plain text (B); the scenario runs later. A hook
may require API-key authentication: callers then send ``x-make-apikey`` (V). Payloads over 5 MB get
413 (V2: payload max 5 MB); about 30 requests per second per webhook, then 429 (B).

Every token is a live webhook without API-key authentication unless ``register_hook`` configured it
(required key, a Webhook response module, or deleted → 410). A key following the sandbox rule
(``sbx_<account>``) names the account; otherwise deliveries belong to account ``default``. Received
payloads are kept per account and token: ``received(token)``, ``state(account)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.sandbox.api import SandboxApi, query, read_payload
from services.sandbox.common import SandboxProvider, sandbox_account
from services.sandbox.limits import SlidingWindow
from services.sandbox.store import AccountStore, State

SLUG = "make"
ZONES = ("eu1", "eu2", "us1", "us2")     # B: URL format and zones
PAYLOAD_MAX = 5 * 1024 * 1024            # V2: 5 MB
LIMITER = SlidingWindow(30, 1.0)         # B: about 30 requests/s per webhook
SHARED = "default"
DEMO_TOKEN = "layerssandbox0000000000000000000"   # 32 characters, like a real hook token


@dataclass
class Hook:
    """Settings of one custom webhook (the default: no API-key auth, answers Accepted)."""

    token: str
    require_key: bool = False
    api_key: str | None = None           # the expected key; None = any key under the sbx_ rule
    response: tuple[int, Any, dict[str, str]] | None = None   # a Webhook response module: status, body, headers
    echo: bool = False                   # a Webhook response module that returns the payload as JSON
    gone: bool = False                   # the webhook was deleted


_lock = threading.Lock()
_hooks: dict[str, Hook] = {}


def register_hook(token: str, **settings: Any) -> Hook:
    hook = Hook(token=token, **settings)
    with _lock:
        _hooks[token] = hook
    return hook


def hook_for(token: str) -> Hook:
    with _lock:
        return _hooks.get(token) or Hook(token=token)


def reset_hooks() -> None:
    with _lock:
        _hooks.clear()


STORE = AccountStore(SLUG, lambda account: {"hooks": {}})


def state(account: str) -> State:
    """Deep copy of the payloads one sandbox account's webhooks received (per token)."""
    return STORE.snapshot(account)


def received(token: str) -> list[dict[str, Any]]:
    """Every delivery to ``token`` (whatever the account), oldest first."""
    found: list[dict[str, Any]] = []
    for account in STORE.accounts():
        found.extend(STORE.snapshot(account)["hooks"].get(token, []))
    return sorted(found, key=lambda d: d["seq"])


_seq = {"next": 1}


def _caller(request: Request) -> str | None | Response:
    """The account of a delivery (SHARED without a key), or the answer when the hook does not take it."""
    if request.path_params["zone"] not in ZONES:
        return PlainTextResponse("Not Found", status_code=404)   # B: an unknown zone has no such host
    settings = hook_for(request.path_params["token"])
    if settings.gone:   # B: status and wording
        return PlainTextResponse("There is no scenario listening for this webhook.", status_code=410)
    key = request.headers.get("x-make-apikey")
    account = sandbox_account(key) if key else None
    if settings.require_key and (key is None or (settings.api_key is not None and key != settings.api_key)
                                 or (settings.api_key is None and account is None)):
        return None
    return account or SHARED


# The hook's API key, fault switches, about 30 requests/s per webhook, the payload cap, then the scenario with the
# payload (JSON, form fields or text; the query parameters when the body is empty). B: refusal bodies.
API = SandboxApi(
    SLUG, auth=_caller, refuse=lambda request: PlainTextResponse("Unauthorized", status_code=401),
    limit=lambda request, account: LIMITER.hit(request.path_params["token"]),
    too_many=lambda decision: PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "1"}),
    body=True, read=read_payload(), empty=query, max_body=PAYLOAD_MAX,
    too_large=lambda: PlainTextResponse("Payload Too Large", status_code=413),
)


@API.route("/hook/{zone}/{token}", ["GET", "POST"])
async def hook(request: Request, account: str, payload: Any) -> Response:
    zone, token = request.path_params["zone"], request.path_params["token"]
    settings = hook_for(token)
    with STORE.use(account) as data:
        seq = _seq["next"]
        _seq["next"] += 1
        data["hooks"].setdefault(token, []).append({
            "seq": seq, "method": request.method, "zone": zone, "payload": payload,
            "content_type": request.headers.get("content-type", ""), "query": dict(request.query_params),
            "received_at": datetime.now(UTC).isoformat()})
    if settings.echo:
        return JSONResponse({"received": payload})
    if settings.response is not None:
        status, body, headers = settings.response
        if isinstance(body, str):
            return PlainTextResponse(body, status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)
    return PlainTextResponse("Accepted")   # B: 200 "Accepted" once queued


SANDBOX = SandboxProvider(
    slug=SLUG, name="Make",
    origins={"https://hook.*.make.com": "/hook/*"},
    api_routes=API.routes,
    defaults={"webhook_url": f"/hook/eu1/{DEMO_TOKEN}"},
)
