"""Request checking against a provider's official OpenAPI files (``$HUB_SPECS_DIR/<slug>/*.json|yaml``).

A small subset validator (no jsonschema dependency): it finds the operation by method and path, then
checks path parameters, required query parameters and the JSON body against the operation's schema,
resolving ``$ref`` and checking ``required``, ``type`` (OpenAPI 3.0, ``nullable``), ``enum``,
``format`` (int32/int64 ranges, date-time), ``pattern``, lengths, ``items``, ``additionalProperties``
and ``allOf``/``oneOf``/``anyOf``.

Bodies: a JSON value, or ``FormFields`` (services/core/forms.py) for a form-encoded one: its bracketed names
are decoded to nesting (``line_items[0][price]``) and its strings coerced where the schema says integer,
number or boolean (``"5"`` -> 5) before the schema check; a JSON body sent to an operation that takes only
forms (or a form to one taking only JSON) is reported; form fields are accepted where an operation takes
``multipart/form-data`` (the same fields), one value of an array field being a one-item list, and a
``requestBody`` ``$ref`` is followed. Swagger 2 documents are read alike: ``in: body`` or
``formData`` parameters are the body (the latter as an object schema), ``consumes`` the media types, and a
response's ``schema``/``examples`` sit on the response object (``response_media``).

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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from services import sandbox
from services.core.forms import FormFields
from services.sandbox import fern
from services.sandbox.schema_checks import NO_BODY, Checks, Problem, is_datetime, json_type, normalise_path, specs_dir

Variants = Callable[[str], list[str]]   # a request path -> its other spellings in a definition
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_SCHEMA_KEYS = ("type", "format", "enum", "items", "pattern", "minLength", "maxLength", "minimum", "maximum",
                "minItems", "maxItems", "default", "description")   # a Swagger 2 parameter's own schema


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
        """The request body's schema and whether a body is required (Swagger 2: the ``in: body`` parameter's
        schema, or the ``formData`` parameters as an object)."""
        body = self.request_body()
        if body:
            content = body.get("content", {})
            media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
            return media.get("schema"), bool(body.get("required"))
        whole = self.parameters("body")
        if whole:
            return whole[0].get("schema", {}), bool(whole[0].get("required"))
        fields = self.parameters("formData")
        if not fields:
            return None, False
        required = [p["name"] for p in fields if p.get("required")]
        properties = {p["name"]: {k: p[k] for k in _SCHEMA_KEYS if k in p and p.get("type") != "file"}
                      for p in fields}
        return {"type": "object", "properties": properties, "required": required}, bool(required)

    def media_types(self) -> list[str]:
        """The body's media types (OpenAPI 3 ``content``; Swagger 2 ``consumes``, form for ``formData``)."""
        body = self.request_body()
        if body:
            return [m.split(";")[0].strip().lower() for m in body.get("content", {})]
        if self.parameters("formData"):
            return [m.lower() for m in self.op.get("consumes") or self.doc.get("consumes") or [FORM]]
        if self.parameters("body"):
            return [m.lower() for m in self.op.get("consumes") or self.doc.get("consumes") or ["application/json"]]
        return []

    def request_body(self) -> dict[str, Any] | None:
        """OpenAPI 3's ``requestBody``, its ``$ref`` (``#/components/requestBodies/...``) followed."""
        body = self.op.get("requestBody")
        return _resolve(self.doc, body)[0] if isinstance(body, dict) else None

    def parameters(self, where: str) -> list[dict[str, Any]]:
        resolved = (_resolve(self.doc, p)[0] for p in self.op.get("parameters", []))
        return [p for p in resolved if p.get("in") == where]


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


@dataclass(frozen=True)
class _Route:
    op: Operation
    regex: re.Pattern[str]
    names: tuple[str, ...]     # the template's parameters, in order
    literal_segments: int


_ROUTES: dict[int, tuple[tuple[Operation, ...], dict[str, list[_Route]]]] = {}


def _routes(ops: tuple[Operation, ...], method: str) -> list[_Route]:
    """``ops``' operations of one method, most literal segments first (ties in their order), built once per tuple of
    operations: matching scanned every operation of a definition with its regex on each request, a tenth of the
    sandbox's CPU in the sweep benchmark."""
    entry = _ROUTES.get(id(ops))
    if entry is None or entry[0] is not ops:
        by_method: dict[str, list[_Route]] = {}
        for op in sorted(ops, key=lambda o: -o.literal_segments):
            by_method.setdefault(op.method, []).append(
                _Route(op, op.regex, tuple(re.findall(r"\{([^}]+)\}", op.template)), op.literal_segments))
        if len(_ROUTES) >= 256:      # tuples built on the fly (tests) must not pile up
            _ROUTES.clear()
        entry = _ROUTES[id(ops)] = (ops, by_method)
    return entry[1].get(method.upper(), [])


def match_operation(ops: tuple[Operation, ...], method: str, url_or_path: str,
                    variants: Variants | None = None) -> tuple[Operation | None, dict[str, str]]:
    """The operation of ``ops`` a request hits (most literal segments wins) and its path values; the path's
    ``variants`` are tried after it."""
    path, _ = normalise_path(url_or_path)
    best: tuple[int, Operation, dict[str, str]] | None = None
    routes = _routes(ops, method)
    for candidate in [path, *(variants(path) if variants else [])]:
        for route in routes:
            if best is not None and route.literal_segments <= best[0]:
                break                # the rest have no more literal segments: none can win
            op = route.op
            if op.base and (candidate == op.base or candidate.startswith(op.base + "/")):
                match = route.regex.match(candidate[len(op.base):] or "/")
            else:
                match = route.regex.match(candidate)
            if match:
                values = dict(zip(route.names, (unquote(v) for v in match.groups()), strict=True))
                best = (route.literal_segments, op, values)
                break                # the first match of this candidate has the most literal segments
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
    media = op.media_types()
    if isinstance(body, FormFields):
        if media and FORM not in media and MULTIPART not in media:   # both carry the same form fields
            problems.append(Problem("$", f"the body is form-encoded; this operation takes {', '.join(media)}",
                                    kind="body"))
            return op, problems
        body = decode_body(op, body) if body else NO_BODY
    elif body is not NO_BODY and media and not any("json" in m for m in media) \
            and body not in (None, "", {}, []):
        problems.append(Problem("$", f"the body is JSON; this operation takes {', '.join(media)}", kind="body"))
        return op, problems
    if body is NO_BODY:
        if schema is not None and required:
            problems.append(Problem("$", "the request body is required", kind="body"))
    elif schema is None:
        if body not in (None, "", {}, []):
            problems.append(Problem("$", "this operation takes no request body", kind="body"))
    else:
        validate(op.doc, schema, body, "$", problems, strict=strict)
    return op, problems


def decode_body(op: Operation, body: Any) -> Any:
    """A body as the operation's schema reads it: form fields decoded to nesting and their strings coerced to
    the schema's types; a JSON body unchanged."""
    if not isinstance(body, FormFields):
        return body
    schema, _ = op.body_schema()
    nested = body.nested()
    return coerce(op.doc, schema, nested) if schema is not None else nested


def coerce(doc: dict[str, Any], schema: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """A decoded form value with its strings converted where the schema says integer, number or boolean (and
    ``anyOf``/``oneOf``: the first alternative the converted value satisfies); anything else unchanged."""
    if depth > 32:
        return value
    schema = resolve(doc, schema)
    for sub in schema.get("allOf", []):
        value = coerce(doc, sub, value, depth + 1)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            trial = coerce(doc, sub, value, depth + 1)
            found: list[Problem] = []
            validate(doc, sub, trial, "$", found)
            if not found:
                return trial
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if isinstance(value, str):
        if kind == "integer" and re.fullmatch(r"-?\d+", value):
            return int(value)
        if kind == "number" and re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
            number = float(value)
            return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        if kind == "array" and isinstance(schema.get("items"), dict):   # one form field of a repeatable one
            return [coerce(doc, schema["items"], value, depth + 1)]
        return value
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {k: coerce(doc, properties[k], v, depth + 1) if k in properties
                else coerce(doc, extra, v, depth + 1) if isinstance(extra, dict) else v
                for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [coerce(doc, schema["items"], v, depth + 1) for v in value]
    return value


def response_media(doc: dict[str, Any], response: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
    """A response's schema and example (``...`` = none): OpenAPI 3 ``content`` (the JSON media type first; its
    ``example`` or first of ``examples``), or Swagger 2's ``schema`` and ``examples`` on the response."""
    response = resolve(doc, response)
    if "content" in response:
        content = response.get("content") or {}
        media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
        if "example" in media:
            return media.get("schema"), media["example"]
        named = [e for e in (media.get("examples") or {}).values() if isinstance(e, dict) and "value" in e]
        return media.get("schema"), named[0]["value"] if named else ...
    examples = response.get("examples") or {}
    example = examples.get("application/json", next(iter(examples.values()), ...)) if examples else ...
    return response.get("schema"), example


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
    if (path / fern.PACKAGE).exists():
        return fern.Spec(folder, f"the definition in {path.name}/")
    if path.is_dir() and folder_operations(path):
        return Spec(folder, f"the definitions in {path.name}/")
    return None


def request_problems(slug: str, method: str, url: str, body: Any = None) -> list[str] | None:
    """Contract check of a request to the real provider URL against the provider's official definition (its
    sandbox's ``spec``, else what ``$HUB_SPECS_DIR/<slug>/`` holds): its problems ([] = valid), or None when
    there is no definition the Hub can read."""
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


def _is_any(schema: dict[str, Any]) -> bool:
    keys = set(schema) - {"description", "example", "title", "default"}
    if not keys:
        return True
    return (schema.get("type") == "object" and schema.get("properties") == {}
            and not keys - {"type", "properties"})


def _all_properties(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The property names of a schema and of its ``allOf`` parts (an object composed of several schemas)."""
    schema, _ = _resolve(doc, schema)
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names |= _all_properties(doc, sub)
    return names


def validate(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str, problems: list[Problem], *,
             strict: bool = True, name: str | None = None, known: frozenset[str] = frozenset()) -> None:
    """``known``: keys another ``allOf`` part of the same object declares (not unknown in this part)."""
    schema, ref_name = _resolve(doc, schema)
    name = ref_name or name
    if schema.get("allOf") and isinstance(value, dict):
        known = known | _all_properties(doc, schema)
    for sub in schema.get("allOf", []):
        validate(doc, sub, value, where, problems, strict=strict, name=name, known=known)
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
        _validate_object(doc, schema, value, where, problems, strict=strict, name=name, known=known)
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
                     problems: list[Problem], *, strict: bool, name: str | None,
                     known: frozenset[str] = frozenset()) -> None:
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
        elif key in known:   # declared by another allOf part of the same object
            continue
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


def _check_scalar_param(doc: dict[str, Any], param: dict[str, Any], raw: str, where: str,
                        problems: list[Problem]) -> None:
    schema, _ = _resolve(doc, param.get("schema") or {k: param[k] for k in _SCHEMA_KEYS if k in param})  # Swagger 2
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
