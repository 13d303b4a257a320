"""What a check or a test run sent on the wire, so what staff are shown is what happened and its time adds up.

The provider client lists the API calls it made (``Exchange``), but two kinds of request happen below it: the
OAuth token refresh (authlib's token client, before a call or after a 401) and a response the auth object
consumed (the 401 that led to the refresh). ``Recorder`` is a transport that sees every request of one check
or run, so ``merge`` can list those too, in order, with the time each took on the wire; ``breakdown`` then
splits the total time into what is listed and the Hub's own work (reading and decrypting the connection,
pacing and retry waits, writing the call log).

A token request's form is shown with every value but ``grant_type``, ``client_id`` and ``scope`` redacted, and
a token response is kept only when it is a refusal (an accepted one holds the new tokens).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from services.connect.outbound import Outbound, scrub
from services.runtime import http
from services.runtime.redaction import redact_url

TOKEN_REFRESH = "token refresh"
API_CALL = "API call"
SHOWN_FORM_FIELDS = frozenset({"grant_type", "client_id", "scope"})
BODY_LIMIT = 4000

@dataclass(frozen=True)
class WireCall:
    method: str
    url: str
    headers: dict[str, str]
    form: dict[str, str] | None      # a token request's form fields (raw: redacted when shown)
    status: int | None               # None: no answer (transport error)
    duration_ms: float
    response_text: str | None
    purpose: str                     # TOKEN_REFRESH or API_CALL


def _form(request: Any) -> dict[str, str] | None:
    if request.method != "POST" or "form-urlencoded" not in request.headers.get("content-type", ""):
        return None
    try:
        return dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    except (UnicodeDecodeError, RuntimeError):    # RuntimeError: a streaming body that was not read
        return None


class Recorder(http.BaseTransport):
    """A transport that passes each request on and notes what was sent, its answer and its time on the wire.

    Wraps the outbound's transport (the sweep's pools, a test's MockTransport) or, without one, a pooled
    transport of its own that ``shutdown`` closes; a client closing does not close it (a check's API client and
    token client share it)."""

    def __init__(self, inner: http.BaseTransport | None = None) -> None:
        self._own = inner is None
        self._inner = inner if inner is not None else http.pooled_transport(4, http.tls_context())
        self._lock = threading.Lock()
        self.calls: list[WireCall] = []

    def handle_request(self, request: http.Request) -> http.Response:
        form = _form(request)
        purpose = TOKEN_REFRESH if form is not None and form.get("grant_type") == "refresh_token" else API_CALL
        started = time.perf_counter()
        response: http.Response | None = None
        try:
            response = self._inner.handle_request(request)
            response.read()          # the whole answer is on the wire time; the client reads the kept content
            return response
        finally:
            status = response.status_code if response is not None else None
            text = None
            if response is not None and (purpose == API_CALL or status is None or status >= 400):
                try:
                    text = response.text[:BODY_LIMIT]
                except Exception:   # noqa: BLE001 - the body was not read (the read failed): nothing to keep
                    text = None
            call = WireCall(request.method, str(request.url), dict(request.headers), form, status,
                            round((time.perf_counter() - started) * 1000, 2), text, purpose)
            with self._lock:
                self.calls.append(call)

    def close(self) -> None:      # called by each client of the check: the transport stays open
        pass

    def shutdown(self) -> None:
        if self._own:
            self._inner.close()


def recording(out: Outbound | None) -> tuple[Outbound, Recorder]:
    """An outbound whose requests go through a new recorder (the given outbound's transport, if any, inside)."""
    out = out or Outbound()
    recorder = Recorder(out.transport)
    return replace(out, transport=recorder), recorder


def _body(text: str | None, secrets: dict[str, Any]) -> Any:
    if text is None:
        return None
    text = scrub(text, secrets)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _row(call: WireCall, secrets: dict[str, Any], attempt: int = 1) -> dict[str, Any]:
    """A wire call the client did not list, in the shape of ``Exchange.as_dict`` (redacted)."""
    form = None
    if call.form is not None:
        form = {k: (v if k in SHOWN_FORM_FIELDS else "[redacted]") for k, v in call.form.items()}
    failed = call.status is None or call.status >= 400
    category = ("network" if call.status is None else "auth" if call.status in (400, 401, 403) else
                "provider") if failed else None
    return {"method": call.method, "url": redact_url(call.url, secrets),
            "request_headers": http.redact_headers({k: v for k, v in call.headers.items()
                                                    if k.lower() not in ("content-length", "host")}, secrets),
            "request_body": form, "sent": True, "status": call.status,
            "response_body": _body(call.response_text, secrets) if failed else None,
            "duration_ms": call.duration_ms, "attempt": attempt, "error_category": category, "purpose": call.purpose}


def merge(exchanges: list[dict[str, Any]], calls: list[WireCall], secrets: dict[str, Any] | None = None
          ) -> list[dict[str, Any]]:
    """The client's exchanges (``Exchange.as_dict``) with what happened below the client, in wire order.

    Each sent exchange is matched, in order, with the API request on the wire that answered it and takes that
    request's wire time (the exchange's own time includes the pacing wait and, after a 401, the refresh and the
    retry). API requests beyond the client's list are responses the auth object consumed (a 401 before a
    refresh): the earliest 401s are taken as those. Every row gets a ``purpose``."""
    secrets = secrets or {}
    rows = [{**e, "purpose": e.get("purpose", API_CALL)} for e in exchanges]
    api = [n for n, c in enumerate(calls) if c.purpose == API_CALL]
    extra = len(api) - sum(1 for r in rows if r["sent"])
    consumed = set([n for n in api if calls[n].status == 401][:max(0, extra)])
    if extra > 0 and len(consumed) < extra:      # not 401s: keep the count right, earliest first
        consumed |= set([n for n in api if n not in consumed][:extra - len(consumed)])
    out: list[dict[str, Any]] = []
    pending = iter(rows)
    nxt = next(pending, None)
    for n, call in enumerate(calls):
        if call.purpose == TOKEN_REFRESH or n in consumed:
            out.append(_row(call, secrets))
            continue
        while nxt is not None and not nxt["sent"]:   # writes built but not sent (test mode) keep their place
            out.append(nxt)
            nxt = next(pending, None)
        if nxt is not None:
            out.append({**nxt, "duration_ms": call.duration_ms})
            nxt = next(pending, None)
    while nxt is not None:
        out.append(nxt)
        nxt = next(pending, None)
    return out


def breakdown(requests: list[dict[str, Any]], total_ms: float) -> list[tuple[str, float]]:
    """The total time of a check or run in parts that add up to it: API calls, token refresh (when there was
    one) and the Hub's own work (the rest: reading the connection, pacing and retry waits, the call log)."""
    sent = [r for r in requests if r.get("sent")]
    token = sum(float(r.get("duration_ms") or 0) for r in sent if r.get("purpose") == TOKEN_REFRESH)
    calls = sum(float(r.get("duration_ms") or 0) for r in sent if r.get("purpose", API_CALL) != TOKEN_REFRESH)
    parts = [("API calls", round(calls, 2))]
    if any(r.get("purpose") == TOKEN_REFRESH for r in sent):
        parts.append(("token refresh", round(token, 2)))
    parts.append(("the Hub's own work", round(max(0.0, total_ms - calls - token), 2)))
    return parts
