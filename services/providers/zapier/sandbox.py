"""Zapier sandbox: Catch Hooks ``https://hooks.zapier.com/hooks/catch/{account_id}/{hook_id}/``.

A Catch Hook takes JSON, form or query data and always answers the same fixed success body, which
cannot be customised: ``{"attempt", "id", "request_id", "status": "success"}`` (V2: Zapier community
manager; B: exact fields and id formats); ``.../silent/`` answers an empty body (V2). Over 30 requests
per second per hook Zapier answers 429 (V: operating constraints); payloads are at most 10 MB (V).

There is no authentication (the URL is the secret). The account is the URL's account id; received
payloads are kept per account and hook: ``received(hook_id)``, ``state(account_id)``.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.api import SandboxApi, query, read_payload
from services.sandbox.common import SandboxProvider
from services.sandbox.limits import SlidingWindow
from services.sandbox.store import AccountStore, State

SLUG = "zapier"
PAYLOAD_MAX = 10 * 1024 * 1024           # V: 10 MB
LIMITER = SlidingWindow(30, 1.0)         # V: 30 per second per Zap
STORE = AccountStore(SLUG, lambda account: {"hooks": {}})
_seq = {"next": 1}


def state(account: str) -> State:
    """Deep copy of the payloads one Zapier account's Catch Hooks received (per hook id)."""
    return STORE.snapshot(account)


def received(hook_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for account in STORE.accounts():
        found.extend(STORE.snapshot(account)["hooks"].get(hook_id, []))
    return sorted(found, key=lambda d: d["seq"])


# No auth (the account is the URL's), fault switches, 30 requests/s per hook, the payload cap, then the hook with
# the payload (JSON or form fields, else {"raw": text}; the query parameters when the body is empty). B: bodies.
API = SandboxApi(
    SLUG, auth=lambda request: request.path_params["account_id"],
    limit=lambda request, account: LIMITER.hit(f"{account}/{request.path_params['hook_id']}"),
    too_many=lambda decision: JSONResponse({"status": "throttled", "message": "Too many requests to this hook; "
                                            "retry later."}, status_code=429, headers={"Retry-After": "1"}),
    body=True, read=read_payload(lambda text: {"raw": text}), empty=query, max_body=PAYLOAD_MAX,
    too_large=lambda: JSONResponse({"status": "error", "message": "Payload too large (at most 10 MB)."},
                                   status_code=413),
)
_CATCH = "/hooks/catch/{account_id}/{hook_id}"


async def catch(request: Request, account: str, payload: Any) -> Response:
    hook_id = request.path_params["hook_id"]
    attempt = str(uuid.uuid4())
    request_id = secrets.token_hex(8)
    with STORE.use(account) as data:
        seq = _seq["next"]
        _seq["next"] += 1
        data["hooks"].setdefault(hook_id, []).append({
            "seq": seq, "attempt": attempt, "request_id": request_id, "method": request.method,
            "payload": payload, "content_type": request.headers.get("content-type", ""),
            "received_at": datetime.now(UTC).isoformat()})
    if request.url.path.rstrip("/").endswith("/silent"):
        return Response(status_code=200)
    return JSONResponse({"attempt": attempt, "id": attempt, "request_id": request_id, "status": "success"})


for path in (_CATCH + "/", _CATCH, _CATCH + "/silent/", _CATCH + "/silent"):
    API.route(path, ["GET", "POST", "PUT"])(catch)
SANDBOX = SandboxProvider(
    slug=SLUG, name="Zapier",
    origins={"https://hooks.zapier.com": ""},
    api_routes=API.routes,
    defaults={"webhook_url": "/hooks/catch/000000/layers/"},
)
