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

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.sandbox import faults
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


def _payload(request: Request, raw: bytes) -> Any:
    content_type = request.headers.get("content-type", "")
    if not raw:
        return dict(request.query_params)
    if "json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode(errors="replace")))
    return raw.decode(errors="replace")


def _unauthorized() -> Response:   # B: status and body of a refused API key
    return PlainTextResponse("Unauthorized", status_code=401)


async def hook(request: Request) -> Response:
    zone, token = request.path_params["zone"], request.path_params["token"]
    if zone not in ZONES:
        return PlainTextResponse("Not Found", status_code=404)   # B: an unknown zone has no such host
    settings = hook_for(token)
    if settings.gone:   # B: status and wording
        return PlainTextResponse("There is no scenario listening for this webhook.", status_code=410)
    key = request.headers.get("x-make-apikey")
    account = sandbox_account(key) if key else None
    if settings.require_key:
        if key is None or (settings.api_key is not None and key != settings.api_key):
            return _unauthorized()
        if settings.api_key is None and account is None:
            return _unauthorized()
    account = account or SHARED
    fault = await faults.injected(SLUG, account)
    if fault is not None:
        return fault
    if not LIMITER.hit(token).allowed:
        return PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "1"})   # B
    if int(request.headers.get("content-length") or 0) > PAYLOAD_MAX:
        return PlainTextResponse("Payload Too Large", status_code=413)   # B: body
    raw = await request.body()
    if len(raw) > PAYLOAD_MAX:
        return PlainTextResponse("Payload Too Large", status_code=413)
    payload = _payload(request, raw)
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


PROVIDER = SandboxProvider(
    slug=SLUG, name="Make",
    origins={"https://hook.*.make.com": "/hook/*"},
    api_routes=[Route("/hook/{zone}/{token}", hook, methods=["GET", "POST"])],
    defaults={"webhook_url": f"/hook/eu1/{DEMO_TOKEN}"},
)
