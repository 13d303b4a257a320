"""Request checking against a provider's official OpenAPI files (``$HUB_SPECS_DIR/<slug>/*.json|yaml``).

A small subset validator (no jsonschema dependency): it finds the operation by method and path, then
checks path parameters, required query parameters and the JSON body against the operation's schema,
resolving ``$ref`` and checking ``required``, ``type`` (OpenAPI 3.0, ``nullable``), ``enum``,
``format`` (int32/int64 ranges, date-time), ``pattern``, lengths, ``items``, ``additionalProperties``
and ``allOf``/``oneOf``/``anyOf``.

Two deliberate choices:
- strict objects: a key the schema does not declare (and no ``additionalProperties``) is reported, so a
  typo in a client body is caught by the contract tests instead of being silently ignored;
- ``{"type": "object", "properties": {}}`` with nothing else is how some generators render a Java
  ``Object`` (e.g. HubSpot's single-send ``customProperties`` values) and accepts any JSON value.

``folder_operations(folder)`` reads every OpenAPI 3 / Swagger 2 document of a folder once (JSON or YAML,
cached per folder; large files are parsed only on first use), and ``check_request_in(ops, ...)`` checks a
request against them (a server URL path such as ``/v2`` is stripped from the request path first; a sandbox
URL ``.../sandbox/<slug>/api/...`` is read as the path after it). A provider names its definition with
``Spec(folder, name, variants=...)``: the folder under ``$HUB_SPECS_DIR`` plus its quirks (``variants``:
the other spellings of a request path its definition may use); its ``check_request`` is what the provider's
sandbox answers with (``api.spec_checked``) and ``problems`` the contract check ([] = valid). The provider
passes it as ``SandboxProvider.spec``; ``request_problems(slug, method, url, body)`` (the contract suite)
uses it, else whatever definition ``$HUB_SPECS_DIR/<slug>/`` holds (``None`` when none).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

NO_BODY: Any = object()   # sentinel: the request has no body (None means a JSON null body was sent)

Variants = Callable[[str], list[str]]   # a request path -> its other spellings in a definition
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def specs_dir() -> Path:
    root = os.environ.get("HUB_SPECS_DIR")
    return Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "specs"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str              # e.g. /crm/v3/objects/contacts/{contactId}
    file: str
    op: dict[str, Any] = field(repr=False, compare=False)
    doc: dict[str, Any] = field(repr=False, compare=False)
    base: str = ""             # the path of the document's server URL (e.g. /v2), stripped from requests

    @property
    def regex(self) -> re.Pattern[str]:
        return _template_regex(self.template)

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and "{" not in part)

    def body_schema(self) -> tuple[dict[str, Any] | None, bool]:
        body = self.op.get("requestBody")
        if not body:
            return None, False
        content = body.get("content", {})
        media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
        return media.get("schema"), bool(body.get("required"))

    def parameters(self, where: str) -> list[dict[str, Any]]:
        resolved = (_resolve(self.doc, p)[0] for p in self.op.get("parameters", []))
        return [p for p in resolved if p.get("in") == where]


@dataclass
class Problem:
    where: str                 # JSON path in the body ("$" = the body), or "path:<name>" / "query:<name>"
    message: str
    kind: str = "type"         # required | type | enum | format | unknown | operation | body
    schema: str | None = None  # name of the component schema being built (HubSpot's "Cannot build X")
    missing: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(f"(?P<{p[1:-1].replace('-', '_')}>[^/]+)" if p.startswith("{") else re.escape(p)
                      for p in parts)
    return re.compile("^" + pattern + "/?$")


@lru_cache(maxsize=16)
def load_document(path: Path) -> Any:
    """One JSON or YAML file, parsed once per process (the C YAML loader when available)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def is_openapi(doc: Any) -> bool:
    return isinstance(doc, dict) and ("openapi" in doc or "swagger" in doc) and isinstance(doc.get("paths"), dict)


def document_operations(doc: dict[str, Any], name: str = "definition") -> tuple[Operation, ...]:
    """The operations of one OpenAPI document (a file's, or one written in Python for a stand-in)."""
    servers = doc.get("servers") or [{}]
    base = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/") if "openapi" in doc \
        else str(doc.get("basePath", "")).rstrip("/")
    ops: list[Operation] = []
    for template, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                if "parameters" in item:    # path-item parameters apply to every operation below it
                    op = {**op, "parameters": [*item["parameters"], *op.get("parameters", [])]}
                ops.append(Operation(method.upper(), template, name, op, doc, base))
    return tuple(ops)


@lru_cache(maxsize=32)
def folder_operations(folder: Path) -> tuple[Operation, ...]:
    """Every operation of the OpenAPI/Swagger documents in a folder, read once (empty: none there)."""
    ops: list[Operation] = []
    for path in sorted([*folder.glob("*.json"), *folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            doc = load_document(path)
        except (ValueError, OSError):
            continue
        if is_openapi(doc):
            ops.extend(document_operations(doc, path.name))
    return tuple(ops)


def normalise_path(url_or_path: str) -> tuple[str, dict[str, list[str]]]:
    """The path and query of a real URL, a bare path or a sandbox URL (read from after ``/sandbox/<slug>/api``)."""
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    marker = re.search(r"/sandbox/[^/]+/api(?=/)", path)
    if marker:
        path = path[marker.end():]
    return path, parse_qs(parts.query, keep_blank_values=True)


def match_operation(ops: tuple[Operation, ...], method: str, url_or_path: str,
                    variants: Variants | None = None) -> tuple[Operation | None, dict[str, str]]:
    """The operation of ``ops`` a request hits (most literal segments wins) and its path values; the path's
    ``variants`` are tried after it."""
    path, _ = normalise_path(url_or_path)
    best: tuple[int, Operation, dict[str, str]] | None = None
    for candidate in [path, *(variants(path) if variants else [])]:
        for op in ops:
            if op.method != method.upper():
                continue
            if op.base and (candidate == op.base or candidate.startswith(op.base + "/")):
                match = op.regex.match(candidate[len(op.base):] or "/")
            else:
                match = op.regex.match(candidate)
            if match and (best is None or op.literal_segments > best[0]):
                names = re.findall(r"\{([^}]+)\}", op.template)
                values = dict(zip(names, (unquote(v) for v in match.groups()), strict=True))
                best = (op.literal_segments, op, values)
    return (best[1], best[2]) if best else (None, {})


def check_request_in(ops: tuple[Operation, ...], method: str, url_or_path: str, body: Any = NO_BODY, *,
                     strict: bool = True, source: str = "the API definition",
                     variants: Variants | None = None) -> tuple[Operation | None, list[Problem]]:
    """The operation of ``ops`` matched and every problem of the request against it."""
    op, path_values = match_operation(ops, method, url_or_path, variants)
    if op is None:
        path, _ = normalise_path(url_or_path)
        return None, [Problem("$", f"no operation {method.upper()} {path} in {source}", kind="operation")]
    problems: list[Problem] = []
    for param in op.parameters("path"):
        value = path_values.get(param["name"])
        if value is not None:
            _check_scalar_param(op.doc, param, value, "path", problems)
    _, query = normalise_path(url_or_path)
    for param in op.parameters("query"):
        if param.get("required") and param["name"] not in query:
            problems.append(Problem(f"query:{param['name']}", "required query parameter is missing", kind="required"))
        elif param["name"] in query:
            _check_scalar_param(op.doc, param, query[param["name"]][0], "query", problems)
    schema, required = op.body_schema()
    if body is NO_BODY:
        if schema is not None and required:
            problems.append(Problem("$", "the request body is required", kind="body"))
    elif schema is None:
        if body not in (None, "", {}, []):
            problems.append(Problem("$", "this operation takes no request body", kind="body"))
    else:
        validate(op.doc, schema, body, "$", problems, strict=strict)
    return op, problems


class Checks:
    """An official definition a request is checked against (``Spec`` here, ``fern.Spec``)."""

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        raise NotImplementedError

    def problems(self, method: str, url_or_path: str, body: Any = None) -> list[str]:
        """Contract check: the problems of a request as readable strings ([] = valid). ``url_or_path`` may be
        a real URL, a sandbox URL or a bare path; ``body`` is the decoded JSON body (None = no body)."""
        _, found = self.check_request(method, url_or_path, NO_BODY if body is None else body)
        return [str(p) for p in found]


@dataclass(frozen=True)
class Spec(Checks):
    """The OpenAPI files of one provider: ``folder`` under ``$HUB_SPECS_DIR`` (read on first use), the
    ``name`` problems give it, and its path ``variants``."""

    folder: str | Path
    name: str = "the API definition"
    variants: Variants | None = None

    def operations(self) -> tuple[Operation, ...]:
        folder = specs_dir() / self.folder
        ops = folder_operations(folder)
        if not ops:
            raise FileNotFoundError(f"no OpenAPI files in {folder} (set HUB_SPECS_DIR)")
        return ops

    def find_operation(self, method: str, url_or_path: str) -> tuple[Operation | None, dict[str, str]]:
        return match_operation(self.operations(), method, url_or_path, self.variants)

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        return check_request_in(self.operations(), method, url_or_path, body, source=self.name,
                                variants=self.variants)


def folder_spec(folder: str | Path) -> Checks | None:
    """The definition ``$HUB_SPECS_DIR/<folder>`` holds: a Fern definition (``__package__.yml``), OpenAPI
    files, or None."""
    path = specs_dir() / folder
    if (path / "__package__.yml").exists():
        from services.sandbox import fern

        return fern.Spec(folder, f"the definition in {path.name}/")
    if path.is_dir() and folder_operations(path):
        return Spec(folder, f"the definitions in {path.name}/")
    return None


def request_problems(slug: str, method: str, url: str, body: Any = None) -> list[str] | None:
    """Contract check of a request to the real provider URL against the provider's official definition (its
    sandbox's ``spec``, else what ``$HUB_SPECS_DIR/<slug>/`` holds): its problems ([] = valid), or None when
    there is no definition the Hub can read."""
    from services import sandbox

    provider = sandbox.providers().get(slug)
    spec = provider.spec if provider is not None and provider.spec is not None else folder_spec(slug)
    if spec is None:
        return None
    try:
        return spec.problems(method, url, body)
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- schema subset validator
def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    name = None
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref not supported: {ref}")
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        name = ref.rsplit("/", 1)[-1]
        schema = target
        seen += 1
        if seen > 50:
            raise ValueError(f"$ref loop at {ref}")
    return schema, name


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` chain followed (the stand-in reads response schemas with it)."""
    return _resolve(doc, schema)[0]


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (shared by the OpenAPI and Fern validators)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _is_any(schema: dict[str, Any]) -> bool:
    keys = set(schema) - {"description", "example", "title", "default"}
    if not keys:
        return True
    return (schema.get("type") == "object" and schema.get("properties") == {}
            and not keys - {"type", "properties"})


def validate(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str, problems: list[Problem], *,
             strict: bool = True, name: str | None = None) -> None:
    schema, ref_name = _resolve(doc, schema)
    name = ref_name or name
    for sub in schema.get("allOf", []):
        validate(doc, sub, value, where, problems, strict=strict, name=name)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            matches = 0
            for sub in schema[key]:
                trial: list[Problem] = []
                validate(doc, sub, value, where, trial, strict=strict)
                matches += not trial
            if matches == 0 or (key == "oneOf" and matches > 1):
                problems.append(Problem(where, f"does not match {'exactly one' if key == 'oneOf' else 'any'} "
                                        f"of the {len(schema[key])} allowed shapes", schema=name))
    if _is_any(schema):
        return
    if value is None:
        if not schema.get("nullable"):
            problems.append(Problem(where, "must not be null", schema=name))
        return
    expected = schema.get("type") or ("object" if "properties" in schema else None)
    actual = json_type(value)
    if expected is not None and not (actual == expected or (expected == "number" and actual == "integer")):
        problems.append(Problem(where, f"expected {expected}, got {actual}", schema=name))
        return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(map(str, schema["enum"][:12])) + (", ..." if len(schema["enum"]) > 12 else "")
        problems.append(Problem(where, f"{value!r} is not one of [{allowed}]", kind="enum", schema=name))
    if actual == "object":
        _validate_object(doc, schema, value, where, problems, strict=strict, name=name)
    elif actual == "array":
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(Problem(where, f"needs at least {schema['minItems']} items", schema=name))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(Problem(where, f"allows at most {schema['maxItems']} items", schema=name))
        if "items" in schema:
            for index, item in enumerate(value):
                validate(doc, schema["items"], item, f"{where}[{index}]", problems, strict=strict)
    elif actual in ("integer", "number"):
        bounds = _INT_RANGES.get(schema.get("format", ""))
        if bounds and not bounds[0] <= value <= bounds[1]:
            problems.append(Problem(where, f"out of range for {schema['format']}", kind="format", schema=name))
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(Problem(where, f"must be >= {schema['minimum']}", kind="format", schema=name))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(Problem(where, f"must be <= {schema['maximum']}", kind="format", schema=name))
    elif actual == "string":
        _validate_string(schema, value, where, problems, name)


def _validate_object(doc: dict[str, Any], schema: dict[str, Any], value: dict[str, Any], where: str,
                     problems: list[Problem], *, strict: bool, name: str | None) -> None:
    properties = schema.get("properties", {})
    missing = [key for key in schema.get("required", []) if key not in value]
    if missing:
        problems.append(Problem(where, f"missing required field(s) {', '.join(missing)}", kind="required",
                                schema=name, missing=missing))
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        at = f"{where}.{key}"
        if key in properties:
            validate(doc, properties[key], item, at, problems, strict=strict)
        elif isinstance(extra, dict):
            validate(doc, extra, item, at, problems, strict=strict)
        elif extra is False or (strict and extra is None and properties):
            problems.append(Problem(at, "is not a field of " + (name or "this object"), kind="unknown", schema=name))


def _validate_string(schema: dict[str, Any], value: str, where: str, problems: list[Problem],
                     name: str | None) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(Problem(where, f"must be at least {schema['minLength']} characters", kind="format",
                                schema=name))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(Problem(where, f"must be at most {schema['maxLength']} characters", kind="format",
                                schema=name))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(Problem(where, f"does not match pattern {schema['pattern']}", kind="format", schema=name))
    fmt = schema.get("format")
    if fmt == "date-time" and not is_datetime(value):
        problems.append(Problem(where, "is not an ISO 8601 date-time", kind="format", schema=name))


def is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value or " " in value


def _check_scalar_param(doc: dict[str, Any], param: dict[str, Any], raw: str, where: str,
                        problems: list[Problem]) -> None:
    schema, _ = _resolve(doc, param.get("schema", {}))
    label = f"{where}:{param['name']}"
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            problems.append(Problem(label, f"expected integer, got {raw!r}"))
        return
    if kind == "boolean" and raw not in ("true", "false"):
        problems.append(Problem(label, f"expected true or false, got {raw!r}"))
        return
    if kind == "string":
        _validate_string(schema, raw, label, problems, None)
        if "enum" in schema and raw not in schema["enum"]:
            problems.append(Problem(label, f"{raw!r} is not one of {schema['enum']}", kind="enum"))
