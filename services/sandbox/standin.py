"""The spec-driven stand-in: a sandbox provider answered from an API definition, with no hand-written handlers.

A provider folder whose endpoints are plain create/read/list/update/delete opts in with a few lines in its
``sandbox.py``::

    STANDIN = StandIn(SLUG, "Acme", "acme/openapi.yaml", origins={"https://api.acme.example": "/api"})
    SANDBOX = STANDIN.provider()

``definition`` is an OpenAPI 3 (or Swagger 2) document: a file under ``$HUB_SPECS_DIR`` (parsed once and
cached, services/sandbox/openapi.py) or a dict declared from the provider's documented shapes when it
publishes none (Pipedrive). Every request goes through ``SandboxApi`` (services/sandbox/api.py): the
credential (read as the catalog's ``auth`` says: its ``header`` and/or ``query_param``, a bearer token for
OAuth, the password of HTTP Basic; the sandbox rule ``sbx_<account>``) → the fault switches
(services/sandbox/faults.py, with this provider's error body) → the rate limiter (its headers on every answer
past it) → validation against the operation (400 with the definition's complaint; 404 for a path the
definition lacks) → the generic handler:

=========  ====================================  ===================================================
kind       operations                            answer
=========  ====================================  ===================================================
create     ``POST /things``                      a new record: the record schema's example + the body,
                                                 the next id; the first 2xx status declared
read       ``GET /things/{id}``                  the stored record, or 404
list       ``GET /things`` (array response)      every record of the account
update     ``PUT``/``PATCH /things/{id}``        the record merged with the body, or 404
delete     ``DELETE /things/{id}``               removes it, or 404
static     anything else (``GET /users/me``)     the response example; no state read or written
=========  ====================================  ===================================================

An operation may say otherwise with ``x-standin: {kind: ..., collection: ..., record_path: ...}``, or, for an
official file that cannot be edited, ``overrides={"GET /v1/things": {...}}`` with the same keys. A response
is the operation's 2xx example (the response's own, else its schema's) with the record (or list) placed at
``record_path`` (``data`` for ``{success, data}`` envelopes; empty = the body is the record). Bodies are JSON
or form fields (decoded and coerced to the schema's types, services/sandbox/openapi.py); Swagger 2 files
are read alike. State is per sandbox account
(``AccountStore``, so the contract suite's snapshots work); ``seed`` records exist from the start.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from services import sandbox
from services.catalog import load_catalog
from services.sandbox import faults
from services.sandbox.api import SandboxApi, read_body
from services.sandbox.common import SandboxProvider, basic, bearer, sandbox_account
from services.sandbox.limits import Decision, FixedWindow, SlidingWindow
from services.sandbox.openapi import (
    Operation,
    check_request_in,
    decode_body,
    document_operations,
    load_document,
    resolve,
    response_media,
)
from services.sandbox.schema_checks import specs_dir
from services.sandbox.store import AccountStore, State, next_id

ErrorBody = Callable[[int, str], Any]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SEED_TIME = "2026-01-01T09:00:00Z"     # seeds must not depend on the clock (snapshots compare them)
MESSAGES = {"unauthorized": "Unauthorized", "not_found": "Not found", "rate_limit": "Rate limit exceeded",
            "server_error": "Internal server error", "unavailable": "Service unavailable",
            "expired_token": "The access token expired", "bad_json": "The request body is not valid JSON"}


def _plain_error(status: int, message: str) -> Any:
    return {"message": message}


@dataclass(frozen=True)
class RateLimit:
    """The provider's limiter and the headers it reports it with (limit, remaining, seconds to reset)."""

    requests: int
    per_seconds: float
    window: str = "fixed"                      # fixed (resets) | sliding
    headers: tuple[str, str, str] | tuple[()] = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
    retry_after: bool = False                  # a 429 also carries Retry-After
    paths: tuple[str, ...] = ()                # only requests to these paths count (Slack: per method); () = all

    def limiter(self) -> FixedWindow | SlidingWindow:
        cls = FixedWindow if self.window == "fixed" else SlidingWindow
        return cls(self.requests, self.per_seconds)

    def header_values(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        if not self.headers:       # a provider that reports no limit headers: ``headers=()``
            return {}
        return dict(zip(self.headers, (str(limit), str(remaining), str(max(1, math.ceil(reset)))), strict=True))


@dataclass(frozen=True)
class Endpoint:
    op: Operation
    kind: str                                  # create | read | list | update | delete | static
    collection: str
    status: int                                # the first 2xx status the definition declares
    schema: dict[str, Any] | None              # the 2xx response schema
    example: Any = ...                         # the 2xx response's own example (``...`` = none)
    record_path: str = ""                      # where the answer holds the record (or list)


@dataclass
class StandIn:
    slug: str
    name: str
    definition: dict[str, Any] | str | Path    # an OpenAPI document, or a file (relative to $HUB_SPECS_DIR)
    origins: dict[str, str]                    # as SandboxProvider.origins: real origin -> path under the sandbox
    root: str = "/api"                         # where the definition's paths are served (an origins target)
    record_path: str = ""                      # where a response holds the record (``data``)
    id_field: str = "id"
    seed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # collection -> records per account
    error: ErrorBody = _plain_error            # the provider's error body for (status, message)
    messages: dict[str, str] = field(default_factory=dict)
    rate_limit: RateLimit | None = None
    defaults: dict[str, str] = field(default_factory=dict)   # as SandboxProvider.defaults
    # "METHOD /template" -> {kind, collection, record_path}: x-standin for a definition file left unmodified
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    id_prefixes: dict[str, str] = field(default_factory=dict)   # collection -> prefix of new ids (``cus_``)
    refused_status: int = 401                  # a refused credential's status (Slack answers 200 ``ok: false``)

    def __post_init__(self) -> None:
        self.messages = {**MESSAGES, **self.messages}
        self.store = AccountStore(self.slug, self._seed)
        self.limiter = self.rate_limit.limiter() if self.rate_limit else None
        faults.bodies[self.slug] = {kind: self._fault_body(kind) for kind in
                                    ("rate_limit", "expired_token", "server_error", "unavailable")}
        # services/sandbox/api.py: credential -> fault switches -> limiter -> JSON body and the definition's
        # check -> the generic handler; the limiter's headers on every answer past it
        self.api = SandboxApi(
            self.slug, auth=lambda request: sandbox_account(self.credential(request)),
            refuse=lambda request: self._error(self.refused_status, self.messages["unauthorized"]),
            limit=self._limit_paths if self.rate_limit and self.rate_limit.paths else self.limiter,
            too_many=self._too_many, headers=self._limit_headers, read=self._read,
            bad_body=lambda exc: self._error(400, self.messages["bad_json"]))
        self.api.route(self.root + "/{path:path}", METHODS, body=True)(self._serve)

    def _limit_paths(self, request: Request, account: str) -> Decision | None:
        assert self.limiter is not None and self.rate_limit is not None
        return self.limiter.hit(account) if request.url.path.endswith(self.rate_limit.paths) else None

    # ------------------------------------------------------------------ the definition (read once, lazily)
    @cached_property
    def document(self) -> dict[str, Any]:
        if isinstance(self.definition, dict):
            return self.definition
        path = Path(self.definition)
        return load_document(path if path.is_absolute() else specs_dir() / path)

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        return document_operations(self.document, f"{self.slug} definition")

    @cached_property
    def endpoints(self) -> dict[tuple[str, str], Endpoint]:
        return {(op.method, op.template): self._classify(op) for op in self.operations}

    def _classify(self, op: Operation) -> Endpoint:
        status, schema, example = 200, None, ...
        for code, response in sorted(op.op.get("responses", {}).items()):
            if str(code).startswith("2"):
                schema, example = response_media(op.doc, response)
                status = int(code)
                break
        hint = {**(op.op.get("x-standin") or {}), **self.overrides.get(f"{op.method} {op.template}", {})}
        record_path = hint.get("record_path", self.record_path)
        parts = [p for p in op.template.split("/") if p]
        literals = [p for p in parts if not p.startswith("{")]
        collection = hint.get("collection") or (literals[-1] if literals else "")
        if parts and parts[-1].startswith("{"):
            kind = {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(op.method, "static")
        elif op.method == "POST":
            kind = "create"
        elif op.method == "GET" and self._type(self._at_record(op.doc, schema, record_path)) == "array":
            kind = "list"
        else:
            kind = "static"
        return Endpoint(op, hint.get("kind", kind), collection, status, schema, example, record_path)

    def _type(self, schema: dict[str, Any] | None) -> str | None:
        if schema is None:
            return None
        schema = resolve(self.document, schema)
        return schema.get("type") or ("object" if "properties" in schema else None)

    def _at_record(self, doc: dict[str, Any], schema: dict[str, Any] | None,
                   record_path: str | None = None) -> dict[str, Any] | None:
        """The schema at ``record_path`` inside a response schema."""
        record_path = self.record_path if record_path is None else record_path
        for key in record_path.split(".") if record_path else ():
            if schema is None:
                return None
            schema = _properties(doc, schema).get(key)
        return schema

    def _record_endpoints(self, collection: str) -> list[Endpoint]:
        """The create/read/update endpoints of a collection, the shortest paths first (``/v1/refunds`` before
        ``/v1/application_fees/{id}/refunds``)."""
        found = [ep for ep in self.endpoints.values()
                 if ep.collection == collection and ep.kind in ("create", "read", "update")]
        return sorted(found, key=lambda ep: ep.op.template.count("/"))

    def record_schema(self, collection: str, ep: Endpoint | None = None) -> dict[str, Any] | None:
        """The record schema of a collection: ``ep``'s answer at its record path, else its first endpoint's."""
        for each in [ep] if ep is not None else self._record_endpoints(collection):
            return self._at_record(each.op.doc, each.schema, each.record_path)
        return None

    def _record_base(self, collection: str, now: str, ep: Endpoint | None = None) -> dict[str, Any]:
        """A new record's defaults: the answer's own example at its record path (``ep``'s, else a create or
        read of the collection), else the record schema's sample."""
        for each in [ep] if ep is not None else self._record_endpoints(collection):
            if each.example is not ...:
                found = _at_path(each.example, each.record_path)
                if isinstance(found, dict):
                    return copy.deepcopy(found)
        base = sample(self.document, self.record_schema(collection, ep), now)
        return base if isinstance(base, dict) else {}

    # ------------------------------------------------------------------ state
    def _seed(self, account: str) -> State:
        data: State = {}
        for collection, records in self.seed.items():
            base = self._record_base(collection, SEED_TIME)
            rows = data.setdefault(collection, {})
            for record in records:
                row = {**copy.deepcopy(base), **copy.deepcopy(record)}
                rows[str(row[self.id_field])] = row
            prefix = self.id_prefixes.get(collection, "")
            ints = [int(k[len(prefix):]) for k in rows if k.startswith(prefix) and k[len(prefix):].isdigit()]
            data.setdefault("_counters", {})[collection] = max(ints, default=0) + 1
        return data

    def state(self, account: str) -> State:
        """Deep copy of one sandbox account's records (tests compare it before and after)."""
        return self.store.snapshot(account)

    # ------------------------------------------------------------------ serving
    def provider(self) -> SandboxProvider:
        return SandboxProvider(slug=self.slug, name=self.name, origins=self.origins, api_routes=self.routes(),
                               defaults=self.defaults)

    def routes(self) -> list[BaseRoute]:
        return self.api.routes

    def credential(self, request: Request) -> str | None:
        """The credential where the catalog's ``auth`` says it is sent: its ``header`` (less the template's
        prefix, e.g. ``Bearer ``), its ``query_param``, or a bearer token when the provider takes OAuth."""
        auth = load_catalog().integrations[self.slug].auth
        if auth.header and request.headers.get(auth.header):
            value = request.headers[auth.header]
            prefix = (auth.template or "{api_key}").split("{api_key}", 1)[0]
            return value[len(prefix):] if value.startswith(prefix) else value
        if auth.query_param and request.query_params.get(auth.query_param):
            return request.query_params[auth.query_param]
        methods = (auth.method, *auth.alternatives)
        if "oauth2" in methods:
            token = bearer(request)
            if token or "basic" not in methods:
                return token
        if "basic" in methods:     # username (e.g. an account id) + password or secret: the password names it
            pair = basic(request)
            return pair[1] if pair else None
        return None

    async def _read(self, request: Request) -> Any:
        """The body (JSON or form fields) checked against the definition: (operation, path, body decoded to
        the schema's types), or the 404/400 answer."""
        body = await read_body(request)
        path = "/" + request.path_params["path"] + (f"?{request.url.query}" if request.url.query else "")
        op, problems = check_request_in(self.operations, request.method, path, body,
                                        source=f"the {self.name} API definition")
        if op is None:
            return self._error(404, self.messages["not_found"])
        if problems:
            return self._error(400, "; ".join(str(p) for p in problems[:5]))
        return op, path, decode_body(op, body)

    async def _serve(self, request: Request, account: str, checked: tuple[Operation, str, Any]) -> Response:
        op, path, body = checked
        ep = self.endpoints[(op.method, op.template)]
        item = _path_values(op, path).get(_last_param(op.template) or "", "")
        status, payload = self._handle(ep, account, item, body if isinstance(body, dict) else {})
        if status >= 400:
            return self._error(status, self.messages["not_found"])
        return JSONResponse(self._envelope(ep, payload), status_code=status)

    def _handle(self, ep: Endpoint, account: str, item: str, body: dict[str, Any]) -> tuple[int, Any]:
        if ep.kind == "static":
            return ep.status, None
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.store.use(account) as data:
            rows = data.setdefault(ep.collection, {})
            if ep.kind == "list":
                return ep.status, copy.deepcopy(list(rows.values()))
            if ep.kind == "create":
                record = {**self._record_base(ep.collection, now, ep), **copy.deepcopy(body)}
                ident = next_id(data, ep.collection)
                id_schema = _properties(self.document, self.record_schema(ep.collection, ep) or {}).get(self.id_field)
                prefix = self.id_prefixes.get(ep.collection, "")
                record[self.id_field] = f"{prefix}{ident}" if prefix or self._type(id_schema) == "string" \
                    else ident
                rows[str(record[self.id_field])] = record
                return ep.status, copy.deepcopy(record)
            if item not in rows:
                return 404, None
            if ep.kind == "delete":
                rows.pop(item)
                return ep.status, {self.id_field: _typed(item)}
            if ep.kind == "update":
                rows[item].update(copy.deepcopy({k: v for k, v in body.items() if k != self.id_field}))
            return ep.status, copy.deepcopy(rows[item])

    def _envelope(self, ep: Endpoint, payload: Any) -> Any:
        body = copy.deepcopy(ep.example) if ep.example is not ... else \
            sample(self.document, ep.schema, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if ep.kind == "static":
            return body
        if not ep.record_path or not isinstance(body, dict):
            return payload
        target = body
        *parents, last = ep.record_path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = payload
        return body

    # ------------------------------------------------------------------ errors and limits
    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(self.error(status, message), status_code=status, headers=headers or {})

    def _too_many(self, decision: Decision) -> Response:
        headers = self._limit_429(decision.reset, self._limit_headers(decision))
        return self._error(429, self.messages["rate_limit"], headers)

    def _limit_headers(self, decision: Decision | None) -> dict[str, str]:
        if decision is None or self.rate_limit is None:
            return {}
        return self.rate_limit.header_values(decision.limit, decision.remaining, decision.reset)

    def _limit_429(self, reset: float, headers: dict[str, str]) -> dict[str, str]:
        if self.rate_limit is not None and self.rate_limit.retry_after:
            headers = {**headers, "Retry-After": str(max(1, math.ceil(reset)))}
        return headers

    def _fault_body(self, kind: str) -> Callable[[faults.Fault], tuple[int, object, dict[str, str]]]:
        status = {"rate_limit": 429, "expired_token": 401, "server_error": 500, "unavailable": 503}[kind]

        def make(fault: faults.Fault) -> tuple[int, object, dict[str, str]]:
            headers: dict[str, str] = {}
            if kind == "rate_limit" and self.rate_limit is not None:
                wait = fault.retry_after or self.rate_limit.per_seconds
                headers = self._limit_429(wait, self.rate_limit.header_values(self.rate_limit.requests, 0, wait))
            elif kind == "rate_limit" or (kind == "unavailable" and fault.retry_after):
                headers = {"Retry-After": str(max(1, math.ceil(fault.retry_after or 1)))}
            return status, self.error(status, self.messages[kind]), headers
        return make


# ---------------------------------------------------------------------- schema examples
def _properties(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(doc, schema)
    props = dict(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        props.update(_properties(doc, sub))
    return props


def sample(doc: dict[str, Any], schema: dict[str, Any] | None, now: str, depth: int = 0) -> Any:
    """A value shaped by the schema: its example or default where given, else a typed empty value."""
    if schema is None or depth > 8:
        return None
    schema = resolve(doc, schema)
    for key in ("example", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            value = sample(doc, sub, now, depth + 1)
            merged.update(value if isinstance(value, dict) else {})
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(doc, schema[key][0], now, depth + 1)
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object":
        return {k: sample(doc, v, now, depth + 1) for k, v in schema.get("properties", {}).items()}
    fmt = schema.get("format")
    return {"array": [], "integer": 0, "number": 0, "boolean": False,
            "string": now if fmt == "date-time" else now[:10] if fmt == "date" else ""}.get(kind or "")


def _at_path(value: Any, path: str) -> Any:
    for key in path.split(".") if path else ():
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _last_param(template: str) -> str | None:
    found = re.findall(r"\{([^}]+)\}", template)
    return found[-1] if found else None


def _path_values(op: Operation, path: str) -> dict[str, str]:
    plain = path.split("?", 1)[0]
    if op.base and plain.startswith(op.base + "/"):
        plain = plain[len(op.base):]
    match = op.regex.match(plain)
    names = re.findall(r"\{([^}]+)\}", op.template)
    return dict(zip(names, match.groups(), strict=True)) if match else {}


def _typed(ident: str) -> int | str:
    return int(ident) if ident.isdigit() else ident


def real_url(slug: str, url: str) -> str:
    """The provider URL a sandbox URL stands for (the reverse of services.sandbox.rewrite): what the request
    would have been without the sandbox, e.g. to check it against the provider's official definition."""
    marker = f"{sandbox.PREFIX}/{slug}"
    if marker not in url:
        return url
    rest = url.split(marker, 1)[1]
    provider = sandbox.providers().get(slug)
    for origin, sub in sorted((provider.origins if provider else {}).items(), key=lambda o: -len(o[1])):
        pattern = "^" + re.escape(sub).replace(r"\*", "([^./]+)") + "(?=/|$|\\?)"
        match = re.match(pattern, rest)
        if match:
            host = origin.replace("*", match.group(1) if match.groups() else "sandbox")
            return host + rest[match.end():]
    return url
