"""Request plumbing of the provider sandbox, written once: each provider API is one ``SandboxApi``.

A provider declares how a request names its sandbox account, what a refusal looks like, its limiter and
the answer past it, the headers its answers carry and how it reads a body; ``route(path, methods)`` then
turns ``async handler(request, account[, body])`` into a Starlette route that runs, in this order:

1. ``auth(request)`` (may be async) -> the account, a refusal ``Response``, or None (answered with
   ``refuse(request)``); with ``faults_first`` the fault switches come before the refusal, so a simulated
   outage answers even a bad credential (HubSpot, Webflow, Salesforce, WordPress);
2. ``connections``: a concurrency slot held until the answer (Mailchimp), ``too_many`` when none is free;
3. the fault switches (``faults.injected``), plus ``fault_headers(account)`` (Salesforce's usage header);
4. ``limit``: a window (``hit(account)``) or ``limit(request, account)`` -> ``limits.Decision``; a refused
   decision is answered with ``too_many(decision)``;
5. routes with a body: the ``max_body`` cap (``too_large``), then ``read(request)``: the body, NO_BODY
   (the handler gets ``empty(request)``) or a Response that answers instead (e.g. ``spec_checked``); a
   ``BodyError`` is answered with ``bad_body(error)``, or without one the handler gets ``empty(request)``;
6. the handler. Every answer from step 5 on gets ``headers(decision)`` (those it does not set itself).

Auth helpers for the common forms: ``bearer_token``, ``header_key``, ``query_key``, ``basic_password``.
Body readers: ``read_json``, ``read_body`` (JSON, or form fields as ``FormFields`` by the content type),
``read_object``, ``read_params`` (query plus a JSON object or form fields),
``read_payload`` (a webhook's JSON, form fields or text) and ``spec_checked`` (a reader plus the check
against an official API definition). Error bodies stay the provider's own (``faults.retry_after`` helps
with those of the fault switches).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.core.forms import FormFields
from services.sandbox import faults
from services.sandbox.common import basic, bearer, sandbox_account
from services.sandbox.limits import Concurrency, Decision
from services.sandbox.schema_checks import NO_BODY, Problem

Found = str | Response | None
Auth = Callable[[Request], Found | Awaitable[Found]]
Handler = Callable[..., Awaitable[Response]]
BodyReader = Callable[[Request], Awaitable[Any]]
Limit = Callable[[Request, str], Decision | None]     # None: this request does not count


class Window(Protocol):
    def hit(self, key: str) -> Decision: ...


class BodyError(ValueError):
    """A body that is not JSON (``kind="json"``; the message is the parser's) or not the JSON object the
    endpoint takes (``kind="object"``)."""

    def __init__(self, kind: Literal["json", "object"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _unauthorized(request: Request) -> Response:
    return JSONResponse({"message": "Unauthorized"}, status_code=401)


# ---------------------------------------------------------------- auth helpers
def bearer_token(accounts: Callable[[str | None], str | None] = sandbox_account,
                 schemes: tuple[str, ...] = ("Bearer",)) -> Auth:
    """The account of the token in ``Authorization: <scheme> <token>`` (the first scheme present wins);
    ``accounts`` is usually the provider's ``OAuthServer.account_for_token``."""
    def auth(request: Request) -> str | None:
        return accounts(next((t for t in (bearer(request, s) for s in schemes) if t), None))
    return auth


def header_key(name: str) -> Auth:
    """An API key in a header, following the sandbox rule (e.g. ActiveCampaign's ``Api-Token``)."""
    return lambda request: sandbox_account(request.headers.get(name))


def query_key(name: str) -> Auth:
    """An API key in a query parameter, following the sandbox rule (e.g. HubSpot's ``hapikey``)."""
    return lambda request: sandbox_account(request.query_params.get(name))


def basic_password(request: Request) -> str | None:
    """HTTP Basic whose password follows the sandbox rule (any username)."""
    pair = basic(request)
    return sandbox_account(pair[1]) if pair else None


# ---------------------------------------------------------------- body readers
async def read_json(request: Request) -> Any:
    """Any JSON value; NO_BODY for an empty (or blank) body."""
    raw = await request.body()
    if not raw.strip():
        return NO_BODY
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BodyError("json", str(exc)) from exc


async def read_body(request: Request) -> Any:
    """A form body (content type ``application/x-www-form-urlencoded``) as ``FormFields`` (flat, bracketed
    names kept, the last value of a repeated field), any other as ``read_json``; NO_BODY when empty."""
    if "x-www-form-urlencoded" not in request.headers.get("content-type", "").lower():
        return await read_json(request)
    raw = await request.body()
    if not raw.strip():
        return NO_BODY
    try:
        return FormFields(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError("json", f"malformed form body: {exc}") from exc


async def read_object(request: Request) -> Any:
    """A JSON object; NO_BODY for an empty body."""
    body = await read_json(request)
    if body is not NO_BODY and not isinstance(body, dict):
        raise BodyError("object", "the body must be a JSON object")
    return body


async def read_params(request: Request) -> dict[str, Any]:
    """The query parameters and, except on GET, the body's: a JSON object (content type ``*json*``) or
    form fields (the last value of a repeated field)."""
    params: dict[str, Any] = dict(request.query_params)
    raw = b"" if request.method == "GET" else await request.body()
    if not raw.strip():
        return params
    if "json" in request.headers.get("content-type", ""):
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise BodyError("json", str(exc)) from exc
        if not isinstance(body, dict):
            raise BodyError("object", "the body must be a JSON object")
        params.update(body)
    else:
        params.update({k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
    return params


def read_payload(text: Callable[[str], Any] = str) -> BodyReader:
    """A webhook payload reader: JSON (content type ``*json*``) or form fields, else the text wrapped by
    ``text`` (also for JSON that does not parse); NO_BODY when empty. Webhook catchers accept anything."""
    async def read(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return NO_BODY
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            try:
                return json.loads(raw)
            except ValueError:
                pass   # kept as text, like the catchers do
        elif "x-www-form-urlencoded" in content_type:
            return dict(parse_qsl(raw.decode(errors="replace")))
        return text(raw.decode(errors="replace"))
    return read


def spec_checked(check_request: Callable[[str, str, Any], tuple[Any, list[Problem]]],
                 answer: Callable[[list[Problem]], Response], read: BodyReader = read_json) -> BodyReader:
    """``read``, then the request checked against an official definition (a ``Spec``'s ``check_request``:
    services/sandbox/openapi.py or fern.py), its problems answered with ``answer``."""
    async def checked(request: Request) -> Any:
        body = await read(request)
        try:
            _, problems = check_request(request.method, str(request.url), body)
        except FileNotFoundError:   # definition folder absent (deployment without ../shared): skip the check
            problems = []
        return answer(problems) if problems else body
    return checked


def no_body(request: Request) -> None:
    return None


def empty_object(request: Request) -> dict[str, Any]:
    return {}


def query(request: Request) -> dict[str, Any]:
    return dict(request.query_params)


async def larger_than(request: Request, limit: int) -> bool:
    """Whether the body is larger than ``limit`` bytes (the declared length is checked before reading)."""
    return int(request.headers.get("content-length") or 0) > limit or len(await request.body()) > limit


# ---------------------------------------------------------------- the API
@dataclass
class SandboxApi:
    """One provider API of the sandbox: its auth, fault switches, limiter, headers and body reading."""

    slug: str                                                    # the fault switches' provider
    auth: Auth
    refuse: Callable[[Request], Response] = _unauthorized        # answer when auth names no account
    faults_first: bool = False
    connections: Concurrency | None = None
    limit: Window | Limit | None = None
    too_many: Callable[[Decision], Response] | None = None
    headers: Callable[[Decision | None], dict[str, str]] | None = None
    fault_headers: Callable[[str], dict[str, str]] | None = None
    read: BodyReader = read_json
    empty: Callable[[Request], Any] = no_body                    # what handlers get for an empty body
    bad_body: Callable[[BodyError], Response] | None = None      # None: a bad body reads as empty
    max_body: int | None = None
    too_large: Callable[[], Response] | None = None
    body: bool = False                                           # whether routes pass the body by default
    routes: list[BaseRoute] = field(default_factory=list)

    def __post_init__(self) -> None:   # a misconfigured API fails at import, not on its first request
        if (self.limit is not None or self.connections is not None) and self.too_many is None:
            raise ValueError(f"{self.slug}: a limiter needs too_many")
        if self.max_body is not None and self.too_large is None:
            raise ValueError(f"{self.slug}: max_body needs too_large")

    def but(self, **changes: Any) -> SandboxApi:
        """The same API with some settings changed; its routes join the same list."""
        return replace(self, **changes)

    def route(self, path: str, methods: list[str], *, body: bool | None = None) -> Callable[[Handler], Handler]:
        """Decorator: serve ``handler(request, account[, body])`` at ``path``; returns the handler unchanged."""
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(path, self.endpoint(handler, body=self.body if body is None else body),
                                     methods=methods, name=f"{self.slug}_{handler.__name__}"))
            return handler
        return register

    def endpoint(self, handler: Handler, *, body: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            found = self.auth(request)
            if inspect.isawaitable(found):
                found = await found
            account = found if isinstance(found, str) else None
            if account is None and not self.faults_first:
                return self._refusal(request, found)
            with self._slot(account) as free:
                if not free:
                    return self._too_many(Decision(False, self.connections.limit if self.connections else 0, 0, 0.0))
                fault = await faults.injected(self.slug, account)
                if fault is not None:
                    if account is not None and self.fault_headers:
                        fault.headers.update(self.fault_headers(account))
                    return fault
                if account is None:
                    return self._refusal(request, found)
                decision = self._decide(request, account)
                if decision is not None and not decision.allowed:
                    return self._too_many(decision)
                response = await self._answer(request, account, handler, body)
                for name, value in (self.headers(decision) if self.headers else {}).items():
                    response.headers.setdefault(name, value)
                return response
        return endpoint

    # ------------------------------------------------------------ steps
    def _refusal(self, request: Request, found: object) -> Response:
        return found if isinstance(found, Response) else self.refuse(request)

    @contextmanager
    def _slot(self, account: str | None) -> Iterator[bool]:
        if self.connections is None or account is None:
            yield True
            return
        with self.connections.slot(account) as free:
            yield free

    def _decide(self, request: Request, account: str) -> Decision | None:
        if self.limit is None:
            return None
        return self.limit(request, account) if callable(self.limit) else self.limit.hit(account)

    def _too_many(self, decision: Decision) -> Response:
        assert self.too_many is not None   # __post_init__
        return self.too_many(decision)

    async def _answer(self, request: Request, account: str, handler: Handler, body: bool) -> Response:
        if not body:
            return await handler(request, account)
        if self.max_body is not None and await larger_than(request, self.max_body):
            assert self.too_large is not None   # __post_init__
            return self.too_large()
        try:
            data = await self.read(request)
        except BodyError as exc:
            if self.bad_body is not None:
                return self.bad_body(exc)
            data = NO_BODY
        if isinstance(data, Response):
            return data
        return await handler(request, account, self.empty(request) if data is NO_BODY else data)
