"""The declarative integration catalog (``catalog.yaml``): pydantic models and the loader.

An action is data: ``method`` + ``path`` (relative to ``base_url``) + ``inputs``, with ``{name}``
placeholders filled from the inputs and the connection fields. ``query`` holds extra query
parameters; ``body`` is a JSON template in which a string that is exactly ``"{name}"`` takes the
value with its type (its key is dropped when the input is absent). Without ``body``, inputs not used
in the path go to the query (GET/DELETE) or form a flat JSON object (POST/PUT/PATCH). Outputs are read
from the response at ``output_root`` and each output's ``path`` (dotted paths, e.g. ``data`` and ``id``). The
body goes as JSON or form fields (``body_encoding``), with fixed or per-connection ``headers`` and, for
``idempotency_key`` writes, a fresh idempotency key (``HttpSpec``). What data cannot say is a named,
hand-written ``executor``. No streamlit or database imports here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

AuthMethod = Literal["oauth2", "api_key", "app_password", "basic", "webhook", "none"]
AUTH_METHODS: tuple[str, ...] = get_args(AuthMethod)
CATEGORY_SLUGS: tuple[str, ...] = (
    "crm", "email-marketing", "messaging", "communication", "email-delivery", "websites",
    "payments", "automation", "calendar-booking", "analytics", "dev-deploy", "office-productivity",
)
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
BodyEncoding = Literal["json", "form"]
FieldType = Literal["string", "integer", "number", "boolean", "email", "url", "datetime", "object", "array"]

DEFAULT_PATH = Path(__file__).with_name("catalog.yaml")
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDEMPOTENT_METHODS = ("GET", "PUT", "DELETE")
OUTPUT_PATH_PATTERN = r"^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$"   # dotted keys; a number indexes a list


class CatalogError(ValueError):
    """The catalog file is unreadable or does not describe a valid catalog."""


def placeholders(value: Any) -> set[str]:
    """Names of the ``{name}`` placeholders in a string or anywhere inside a JSON-like template."""
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*map(placeholders, items))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Model):
    type: FieldType = "string"
    title: str | None = None
    required: bool = False
    mappable: bool = True
    secret: bool = False
    example: Any = None
    pattern: str | None = None
    description: str | None = None
    enum: list[str] | None = None
    default: Any = None          # used when the caller gives no value (e.g. a trigger's subscribe parameters)
    path: str | None = Field(default=None, pattern=OUTPUT_PATH_PATTERN)   # outputs only: see ActionSpec
    header: str | None = None    # outputs only: read from this response header (a 202 with no body: X-Message-Id)


class RequestSpec(_Model):
    method: HttpMethod
    path: str
    base_url: str | None = None  # absolute override of the integration's base_url


class RateLimitSpec(_Model):
    requests: int | None = Field(default=None, gt=0)
    per_seconds: float | None = Field(default=None, gt=0)
    scope: Literal["account", "user", "connection", "app"]
    concurrency: int | None = Field(default=None, gt=0)
    note: str | None = None
    # Only these calls count against the limit (action keys, or "oauth_token" / "search"); empty = every call.
    applies_to: list[str] = []

    @model_validator(mode="after")
    def _complete(self) -> RateLimitSpec:
        if (self.requests is None) != (self.per_seconds is None):
            raise ValueError("requests and per_seconds go together")
        if self.requests is None and self.concurrency is None:
            raise ValueError("a rate limit needs requests/per_seconds or concurrency")
        return self


class AuthSpec(_Model):
    method: AuthMethod
    alternatives: list[AuthMethod] = []
    # oauth2
    authorize_url: str | None = None
    token_url: str | None = None
    scopes: list[str] = []
    scope_separator: str = " "
    pkce: bool = False
    refresh_token_rotates: bool = False
    token_expires: bool = True
    token_auth_method: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    token_request: Literal["form", "json"] = "form"   # body encoding of the token request
    token_metadata: list[str] = []     # token-response fields kept as connection metadata
    revoke: RequestSpec | None = None  # revoke at the provider; {token}/{refresh_token} in the path
    # api_key: sent in ``header`` or ``query_param``; a provider taking both (Pipedrive) gives both, and
    # ``key_in`` says which one the Hub uses (the sandbox accepts either)
    header: str | None = None
    query_param: str | None = None
    key_in: Literal["header", "query"] | None = None
    template: str | None = None
    # inbound webhooks: name of the verification scheme
    signature: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AuthSpec:
        if self.method in self.alternatives:
            raise ValueError(f"alternatives repeat the method {self.method!r}")
        if "oauth2" in (self.method, *self.alternatives):
            missing = [n for n in ("authorize_url", "token_url") if not getattr(self, n)]
            if missing:
                raise ValueError(f"oauth2 requires {' and '.join(missing)}")
        if self.header and self.query_param and self.key_in is None:
            raise ValueError("with both header and query_param, key_in says which one the Hub sends")
        if self.key_in is not None and not (self.header if self.key_in == "header" else self.query_param):
            raise ValueError(f"key_in {self.key_in!r} needs {'header' if self.key_in == 'header' else 'query_param'}")
        return self

    @property
    def key_location(self) -> Literal["header", "query"]:
        """Where the Hub sends an API key: ``key_in``, else the one of header/query_param given (header default)."""
        return self.key_in or ("query" if self.query_param and not self.header else "header")


class ActionSpec(_Model):
    key: str = Field(pattern=KEY_PATTERN)
    title: str
    description: str | None = None
    method: HttpMethod | None = None
    path: str | None = None
    query: dict[str, Any] = {}
    body: Any = None
    inputs: dict[str, FieldSpec] = {}
    outputs: dict[str, FieldSpec] = {}
    executor: str | None = None
    idempotent: bool
    scopes: list[str] = []
    # How the body is sent: ``json``, or ``form`` (application/x-www-form-urlencoded, nested values as
    # ``a[b][0]=..``); None = the integration's ``http.body_encoding``.
    body_encoding: BodyEncoding | None = None
    headers: dict[str, str] = {}        # extra request headers (templates: {input} or {connection field})
    # Send a fresh idempotency key (header ``http.idempotency_header``) with the request; a write sent with
    # one is safe to retry on 5xx and network errors.
    idempotency_key: bool = False
    # Output mapping (n8n's routing.output): the outputs are read from the object at ``output_root`` (a dotted
    # path, e.g. ``data`` for a ``{success, data}`` envelope; default the body), each at its own ``path`` below
    # it (default its key), e.g. ``owner: {path: owner_id.name}``; a number indexes a list (``results.0.id``).
    output_root: str | None = Field(default=None, pattern=OUTPUT_PATH_PATTERN)
    # An absolute base for this action's ``path`` instead of the integration's ``base_url`` (an API on another
    # host: Google's gmail.googleapis.com vs www.googleapis.com/calendar/v3); ``{connection field}`` placeholders.
    base_url: str | None = Field(default=None, pattern=r"^https?://")

    @model_validator(mode="before")
    @classmethod
    def _default_idempotent(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("idempotent") is None:
            data = {**data, "idempotent": data.get("method") in _IDEMPOTENT_METHODS}
        return data

    @model_validator(mode="after")
    def _runnable(self) -> ActionSpec:
        if self.executor is None and (self.method is None or self.path is None):
            raise ValueError("a declarative action needs method and path (or name an executor)")
        misplaced = [k for k, f in self.inputs.items() if f.path is not None or f.header is not None]
        if misplaced:
            raise ValueError(f"path and header map outputs, not inputs: {', '.join(misplaced)}")
        if self.idempotency_key and self.method in (None, "GET"):
            raise ValueError("idempotency_key is for writes (a method other than GET)")
        if self.body_encoding == "form" and self.body is not None and not isinstance(self.body, dict):
            raise ValueError("a form body is an object of fields")
        return self


class TriggerSpec(_Model):
    key: str = Field(pattern=KEY_PATTERN)
    title: str
    description: str | None = None
    events: list[str] = []
    inputs: dict[str, FieldSpec] = {}  # parameters of the subscribe call
    outputs: dict[str, FieldSpec] = {}
    subscribe: RequestSpec | None = None
    # Removes one subscription the Hub created: ``{id}`` is the provider's id of it (the other placeholders are
    # filled like subscribe's). Which ones are the Hub's is found by listing, in services/webhooks/subscribe.py.
    unsubscribe: RequestSpec | None = None

    @model_validator(mode="after")
    def _undoable(self) -> TriggerSpec:
        if self.unsubscribe is not None:
            if self.subscribe is None:
                raise ValueError("unsubscribe needs subscribe")
            if "id" not in placeholders(self.unsubscribe.path):
                raise ValueError("the unsubscribe path needs the subscription's {id}")
        return self


def _keyed(items: Any, name: str, owner: str) -> Any:
    """Copy each mapping key into the item as ``name``; refuse a conflicting explicit value."""
    if not isinstance(items, dict):
        return items
    out = {}
    for key, item in items.items():
        if isinstance(item, dict):
            if item.get(name, key) != key:
                raise ValueError(f"{owner} {key!r}: {name} {item[name]!r} differs from its key")
            item = {**item, name: key}
        out[key] = item
    return out


class RateLimitSignal(_Model):
    """A response that means "rate limited" besides 429 (e.g. Salesforce 403 REQUEST_LIMIT_EXCEEDED)."""

    status: int
    code: str | None = None          # must appear in the body (error code) when given


class HttpSpec(_Model):
    """How the provider signals limits and identifies requests (read by services/provider_client.py)."""

    rate_limit_signals: list[RateLimitSignal] = []
    retry_after_headers: list[str] = ["retry-after"]
    retry_after_is_epoch: bool = False       # a reset header holding a unix time rather than seconds
    request_id_headers: list[str] = ["x-request-id"]
    success_flag: str | None = None          # a 2xx body field that must not be 0/false (AC "succeeded")
    # Codes, in ``error_code_field`` of such a failed 2xx body, that mean the credential was refused (Slack
    # answers HTTP 200 {"ok": false, "error": "invalid_auth"}); any other failed 2xx is a validation error.
    auth_error_codes: list[str] = []
    error_code_field: str = "error"
    body_encoding: BodyEncoding = "json"     # default for every action: json, or form (urlencoded, brackets)
    # The media type of JSON bodies when not application/json (Klaviyo's JSON:API ``application/vnd.api+json``)
    content_type: str | None = None
    # Headers sent with every action call: fixed (``Square-Version: "2024-01-18"``) or filled from the
    # connection's fields (``"{account_id}"``); an action's own ``headers`` win over these.
    headers: dict[str, str] = {}
    idempotency_header: str = "Idempotency-Key"   # where an action's ``idempotency_key`` goes
    # The body field an action's ``idempotency_key`` goes in instead of the header, for a provider that takes it
    # in the body (Square ``idempotency_key``); a value the body already holds (from an input) is kept.
    idempotency_field: str | None = None

    def body_failure(self, body: Any) -> str | None:
        """The error category a 2xx body reports (``success_flag`` false): auth, validation, or None."""
        if not self.success_flag or not isinstance(body, dict) or self.success_flag not in body:
            return None
        if str(body[self.success_flag]).lower() not in ("0", "false"):
            return None
        return "auth" if str(body.get(self.error_code_field)) in self.auth_error_codes else "validation"


class IntegrationSpec(_Model):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str
    category: str
    auth: AuthSpec
    existing: bool = False
    top10_rank: int | None = Field(default=None, ge=1, le=10)
    priority: Literal["high", "medium", "low"] | None = None
    docs_url: str | None = None
    base_url: str | None = None
    connection_fields: dict[str, FieldSpec] = {}
    check: RequestSpec | None = None
    rate_limits: list[RateLimitSpec] = []
    http: HttpSpec = HttpSpec()
    actions: dict[str, ActionSpec] = {}
    triggers: dict[str, TriggerSpec] = {}
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {**data, "actions": _keyed(data.get("actions", {}), "key", "action"),
                    "triggers": _keyed(data.get("triggers", {}), "key", "trigger")}
        return data

    @property
    def auth_method(self) -> str:
        return self.auth.method


class Catalog(_Model):
    categories: dict[str, str]
    integrations: dict[str, IntegrationSpec]

    @model_validator(mode="before")
    @classmethod
    def _fill_slugs(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {**data, "integrations": _keyed(data.get("integrations"), "slug", "integration")}
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> Catalog:
        unknown = [c for c in self.categories if c not in CATEGORY_SLUGS]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {list(CATEGORY_SLUGS)}")
        ranks: dict[int, str] = {}
        for spec in self:
            if spec.category not in self.categories:
                raise ValueError(f"integration {spec.slug!r}: unknown category {spec.category!r}")
            if spec.top10_rank in ranks:
                raise ValueError(f"integration {spec.slug!r}: top10_rank {spec.top10_rank} "
                                 f"already taken by {ranks[spec.top10_rank]!r}")
            if spec.top10_rank is not None:
                ranks[spec.top10_rank] = spec.slug
        return self

    def get(self, slug: str) -> IntegrationSpec:
        if slug in self.integrations:
            return self.integrations[slug]
        close = [s for s in self.integrations if slug.lower().replace("_", "-") in s]
        hint = f"; did you mean {close}?" if close else ""
        raise KeyError(f"no integration {slug!r} in the catalog{hint}")

    def __iter__(self) -> Iterator[IntegrationSpec]:  # type: ignore[override]
        return iter(self.integrations.values())

    def __len__(self) -> int:
        return len(self.integrations)

    def top10(self) -> list[IntegrationSpec]:
        return sorted((s for s in self if s.top10_rank is not None), key=lambda s: s.top10_rank or 0)

    def existing(self) -> list[IntegrationSpec]:
        return [s for s in self if s.existing]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load(path: Path) -> Catalog:
    try:
        loader = _UniqueKeyLoader(path.read_text(encoding="utf-8"))
        try:
            raw = loader.get_single_data()
        finally:
            loader.dispose()
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: expected a mapping with categories and integrations")
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, err['loc'])) or 'catalog'}: {err['msg']}" for err in exc.errors()]
        raise CatalogError(f"{path}: invalid catalog\n" + "\n".join(lines)) from exc


@functools.lru_cache(maxsize=1)
def _load_default() -> Catalog:
    return _load(DEFAULT_PATH)


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog; the default file is parsed once per process."""
    return _load_default() if path is None else _load(Path(path))
