"""Fault switches of the sandbox: make a provider answer 429, 401, 5xx or slowly, for error-handling
tests, demos and the health sweep.

A switch is armed per provider and sandbox account (``*`` = every account) for the next ``times``
API requests. The shared request plumbing (``api.py``) asks ``injected(slug, account)`` before the
limiter and handler and answers the fault response when there is one; the provider module supplies its
own error body through ``bodies`` (``retry_after`` builds their Retry-After header) so a simulated
failure looks like the real provider's.

Control: ``POST /sandbox/_faults`` with JSON ``{"provider": "calendly", "account": "acme", "kind":
"rate_limit", "times": 2, "retry_after": 40}``; ``DELETE /sandbox/_faults`` clears all; ``GET`` lists.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Kind = Literal["rate_limit", "expired_token", "server_error", "unavailable", "slow"]
KINDS: tuple[str, ...] = ("rate_limit", "expired_token", "server_error", "unavailable", "slow")


@dataclass
class Fault:
    provider: str
    account: str
    kind: str
    times: int = 1
    retry_after: float | None = None   # seconds, for rate_limit / unavailable
    delay_ms: int = 0                  # for slow (the request then succeeds)


_lock = threading.Lock()
_faults: list[Fault] = []
# Provider-specific bodies: slug -> kind -> (status, body, headers). Providers register theirs at import.
bodies: dict[str, dict[str, Callable[[Fault], tuple[int, object, dict[str, str]]]]] = {}


def retry_after(fault: Fault, default: float | None = None) -> dict[str, str]:
    """The Retry-After header of a fault answer: the switch's ``retry_after``, else ``default`` (else none)."""
    seconds = fault.retry_after or default
    return {"Retry-After": str(int(seconds))} if seconds else {}


_DEFAULTS: dict[str, Callable[[Fault], tuple[int, object, dict[str, str]]]] = {
    "rate_limit": lambda f: (429, {"message": "Rate limit exceeded (sandbox)"}, retry_after(f, 1)),
    "expired_token": lambda f: (401, {"message": "The access token expired (sandbox)"}, {}),
    "server_error": lambda f: (500, {"message": "Internal error (sandbox)"}, {}),
    "unavailable": lambda f: (503, {"message": "Service unavailable (sandbox)"}, retry_after(f)),
}


def arm(fault: Fault) -> None:
    if fault.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if fault.times < 1:
        raise ValueError("times must be at least 1")
    with _lock:
        _faults.append(fault)


def clear() -> None:
    with _lock:
        _faults.clear()


def armed() -> list[Fault]:
    with _lock:
        return list(_faults)


def take(provider: str, account: str | None) -> Fault | None:
    """Consume one use of the first switch matching this provider and account."""
    with _lock:
        for fault in _faults:
            if fault.provider == provider and fault.account in ("*", account):
                fault.times -= 1
                if fault.times <= 0:
                    _faults.remove(fault)
                return fault
    return None


async def injected(provider: str, account: str | None) -> Response | None:
    """The fault response for this request, or None to carry on (after any delay)."""
    fault = take(provider, account)
    if fault is None:
        return None
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_ms / 1000)
        return None
    make = bodies.get(provider, {}).get(fault.kind) or _DEFAULTS[fault.kind]
    status, body, headers = make(fault)
    return JSONResponse(body, status_code=status, headers=headers)


async def control(request: Request) -> Response:
    if request.method == "DELETE":
        clear()
        return JSONResponse({"cleared": True})
    if request.method == "GET":
        return JSONResponse([asdict(f) for f in armed()])
    try:
        data = await request.json()
        arm(Fault(provider=str(data["provider"]), account=str(data.get("account", "*")), kind=str(data["kind"]),
                  times=int(data.get("times", 1)), retry_after=data.get("retry_after"),
                  delay_ms=int(data.get("delay_ms", 0))))
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"error": f"bad fault: {exc}"}, status_code=400)
    return JSONResponse({"armed": [asdict(f) for f in armed()]}, status_code=201)


ROUTE = Route("/_faults", control, methods=["GET", "POST", "DELETE"])
