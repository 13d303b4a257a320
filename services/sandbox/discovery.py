"""Request checking against Google API *discovery* documents (``$HUB_SPECS_DIR/<folder>/*.json``).

A discovery document (``discovery#restDescription``) is not OpenAPI: its methods sit in nested
``resources.<name>.methods.<name>`` with ``httpMethod``, ``flatPath``/``path`` (relative to ``rootUrl`` +
``servicePath``), ``parameters`` (``location`` path/query, ``required``, ``type``, ``enum``, ``repeated``,
``minimum``/``maximum`` as strings) and ``request: {"$ref": "<Schema>"}`` into ``schemas``. Which body fields a
method requires is said per field: ``annotations.required`` lists the method ids (``Message.raw`` for
``gmail.users.messages.send``, ``Event.start``/``end`` for ``calendar.events.insert``).

``Spec(folder, origins=...)`` reads every discovery document of a folder once and checks a request — a real
URL (its host must be the document's ``rootUrl`` host), a sandbox URL (read back through ``origins``, the
provider's real origin -> sandbox path map) or a bare path — for:

- the method: HTTP method and path template (``{name}`` one segment, ``{+name}`` any; most literal wins);
- parameters: path values and query values typed (integer within its bounds, boolean, enum), every
  ``required`` query parameter present, and no query parameter the method or the document's standard
  parameters (``alt``, ``fields``, ``quotaUser``...) do not declare;
- the JSON body against ``request.$ref``: strict objects (an undeclared key is reported, unless
  ``additionalProperties``), the method's ``annotations.required`` fields, ``type`` and ``format``
  (int32/uint32 ranges, int64/uint64 as digit strings, date, date-time, byte as base64), ``enum``, ``items``;
  a body sent to a method that takes none is reported.

It is a ``Checks`` (services/sandbox/schema_checks.py): a provider passes it as ``SandboxProvider.spec``, so the
contract suite (``request_problems``) and the provider's sandbox check every request against Google's own
documents.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from services.sandbox.schema_checks import NO_BODY, Checks, Problem, is_datetime, json_type, specs_dir

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}
_DIGITS = {"int64": r"-?\d+", "uint64": r"\d+"}


@dataclass(frozen=True)
class Method:
    """One discovery method: ``id`` (``gmail.users.messages.send``), its HTTP method, its full path template
    (``/gmail/v1/users/{userId}/messages/send``: servicePath + flatPath) and the host of its ``rootUrl``."""

    id: str
    http_method: str
    template: str
    host: str
    file: str
    method: dict[str, Any] = field(repr=False, compare=False)
    doc: dict[str, Any] = field(repr=False, compare=False)

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and "{" not in part)

    def parameters(self, location: str) -> dict[str, dict[str, Any]]:
        return {name: p for name, p in self.method.get("parameters", {}).items() if p.get("location") == location}

    def request_schema(self) -> dict[str, Any] | None:
        return self.method.get("request")


def is_discovery(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "discovery#restDescription"


def document_methods(doc: dict[str, Any], name: str = "discovery document") -> tuple[Method, ...]:
    """Every method of one discovery document, resources nested at any depth."""
    root = urlsplit(str(doc.get("rootUrl", "")))
    service = "/" + str(doc.get("servicePath", "")).strip("/")
    found: list[Method] = []

    def walk(node: dict[str, Any]) -> None:
        for method in node.get("methods", {}).values():
            relative = str(method.get("flatPath") or method.get("path", "")).lstrip("/")
            template = (service.rstrip("/") + "/" + relative) if relative else service
            found.append(Method(str(method.get("id", "")), str(method.get("httpMethod", "GET")).upper(),
                                template, root.netloc, name, method, doc))
        for child in node.get("resources", {}).values():
            walk(child)
    walk(doc)
    return tuple(found)


@lru_cache(maxsize=16)
def folder_methods(folder: Path) -> tuple[Method, ...]:
    """Every method of the discovery documents in a folder, read once (empty: none there)."""
    methods: list[Method] = []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        if is_discovery(doc):
            methods.extend(document_methods(doc, path.name))
    return tuple(methods)


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\+?[^}]+\})", template)
    pattern = "".join(
        (f"(?P<{_group(p)}>.+)" if p.startswith("{+") else f"(?P<{_group(p)}>[^/]+?)") if p.startswith("{")
        else re.escape(p) for p in parts)
    return re.compile("^" + pattern + "/?$")


def _group(placeholder: str) -> str:
    return re.sub(r"\W", "_", placeholder.strip("{}+"))


def _names(template: str) -> list[str]:
    return [n.lstrip("+") for n in re.findall(r"\{([^}]+)\}", template)]


@dataclass(frozen=True)
class Spec(Checks):
    """The discovery documents of one provider: ``folder`` under ``$HUB_SPECS_DIR`` (read on first use), the
    ``name`` problems give it, and ``origins`` (real origin -> sandbox path, as ``SandboxProvider.origins``) to
    read sandbox URLs back to the real host."""

    folder: str | Path
    name: str = "the discovery documents"
    origins: dict[str, str] = field(default_factory=dict, hash=False)

    def methods(self) -> tuple[Method, ...]:
        folder = specs_dir() / self.folder
        found = folder_methods(folder)
        if not found:
            raise FileNotFoundError(f"no discovery documents in {folder} (set HUB_SPECS_DIR)")
        return found

    def split(self, url_or_path: str) -> tuple[str | None, str, dict[str, list[str]]]:
        """(host or None, path, query) of a real URL, a sandbox URL (through ``origins``) or a bare path."""
        parts = urlsplit(url_or_path)
        host, path = parts.netloc or None, parts.path or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        marker = re.search(r"/sandbox/[^/]+(?=/)", path)
        if marker:   # a sandbox URL (a real Google URL never holds /sandbox/<slug>/)
            rest = path[marker.end():]
            for origin, sub in sorted(self.origins.items(), key=lambda o: -len(o[1])):
                if rest == sub or rest.startswith(sub.rstrip("/") + "/"):
                    return urlsplit(origin).netloc, rest[len(sub.rstrip("/")):] or "/", query
            return None, rest, query
        return host, path, query

    def find_method(self, method: str, url_or_path: str) -> tuple[Method | None, dict[str, str]]:
        host, path, _ = self.split(url_or_path)
        best: tuple[int, Method, dict[str, str]] | None = None
        for candidate in self.methods():
            if candidate.http_method != method.upper() or (host is not None and host != candidate.host):
                continue
            match = _template_regex(candidate.template).match(path)
            if match and (best is None or candidate.literal_segments > best[0]):
                values = dict(zip(_names(candidate.template), (unquote(v) for v in match.groups()), strict=True))
                best = (candidate.literal_segments, candidate, values)
        return (best[1], best[2]) if best else (None, {})

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        found, values = self.find_method(method, url_or_path)
        host, path, query = self.split(url_or_path)
        if found is None:
            where = f"{host}{path}" if host else path
            return None, [Problem("$", f"no method {method.upper()} {where} in {self.name}", kind="operation")]
        return found, check_method(found, values, query, body)


def check_method(found: Method, values: dict[str, str], query: dict[str, list[str]], body: Any = NO_BODY
                 ) -> list[Problem]:
    """Every problem of a request matched to ``found``: its path values, query and body."""
    problems: list[Problem] = []
    for name, param in found.parameters("path").items():
        if name in values:
            _check_param(param, values[name], f"path:{name}", problems)
        elif param.get("required"):
            problems.append(Problem(f"path:{name}", "required path parameter is missing", kind="required"))
    declared = found.parameters("query")
    standard = found.doc.get("parameters", {})
    for name, param in declared.items():
        if param.get("required") and name not in query:
            problems.append(Problem(f"query:{name}", "required query parameter is missing", kind="required"))
    for name, given in query.items():
        param = declared.get(name) or standard.get(name)
        if param is None:
            problems.append(Problem(f"query:{name}", f"Unknown name \"{name}\": Cannot bind query parameter.",
                                    kind="unknown"))
            continue
        if len(given) > 1 and not param.get("repeated"):
            problems.append(Problem(f"query:{name}", "is not a repeated parameter", kind="type"))
        for value in given:
            _check_param(param, value, f"query:{name}", problems)
    request = found.request_schema()
    if request is None:
        if body is not NO_BODY and body not in (None, "", {}, []):
            problems.append(Problem("$", "this method takes no request body", kind="body"))
        return problems
    if body is NO_BODY or body is None:
        if _required_fields(found.doc, request, found.id):
            problems.append(Problem("$", "the request body is required", kind="body"))
        return problems
    validate(found.doc, request, body, "$", problems, method_id=found.id)
    return problems


def _required_fields(doc: dict[str, Any], schema: dict[str, Any], method_id: str) -> list[str]:
    schema = resolve(doc, schema)
    return [k for k, p in schema.get("properties", {}).items()
            if method_id in (p.get("annotations") or {}).get("required", [])]


def _check_param(param: dict[str, Any], raw: str, label: str, problems: list[Problem]) -> None:
    kind = param.get("type", "string")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            problems.append(Problem(label, f"Invalid value '{raw}': expected an integer"))
            return
        low, high = param.get("minimum"), param.get("maximum")
        if low is not None and int(raw) < int(low):
            problems.append(Problem(label, f"must be >= {low}", kind="format"))
        if high is not None and int(raw) > int(high):
            problems.append(Problem(label, f"must be <= {high}", kind="format"))
    elif kind == "boolean":
        if raw not in ("true", "false"):
            problems.append(Problem(label, f"Invalid value '{raw}': expected true or false"))
    elif "enum" in param and raw not in param["enum"]:
        problems.append(Problem(label, f"Invalid value '{raw}': not one of {param['enum']}", kind="enum"))
    elif "pattern" in param and not re.fullmatch(param["pattern"], raw):
        problems.append(Problem(label, f"does not match pattern {param['pattern']}", kind="format"))


# --------------------------------------------------------------------------- the schema subset validator
def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` (a bare schema name in discovery documents) followed."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = doc.get("schemas", {})[name]
        seen += 1
        if seen > 50:
            raise ValueError(f"$ref loop at {name}")
    return schema


def _ref_name(schema: dict[str, Any]) -> str | None:
    return str(schema["$ref"]).rsplit("/", 1)[-1] if isinstance(schema, dict) and "$ref" in schema else None


def validate(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str, problems: list[Problem], *,
             method_id: str, name: str | None = None) -> None:
    name = _ref_name(schema) or name
    schema = resolve(doc, schema)
    kind = schema.get("type") or ("object" if "properties" in schema else "any")
    if kind == "any" or value is None:      # JSON null = field absent for Google's JSON mapping
        return
    actual = json_type(value)
    fmt = schema.get("format", "")
    if kind == "string" and fmt in _DIGITS and actual == "integer":   # 64-bit integers: a string or a number
        return
    if not (actual == kind or (kind == "number" and actual == "integer")):
        problems.append(Problem(where, f"Invalid value at '{where}' ({kind}), {json.dumps(value)[:60]}",
                                schema=name))
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append(Problem(where, f"Invalid value at '{where}', {value!r} is not one of "
                                       f"{schema['enum'][:12]}", kind="enum", schema=name))
    if actual == "object":
        _validate_object(doc, schema, value, where, problems, method_id=method_id, name=name)
    elif actual == "array" and "items" in schema:
        for index, item in enumerate(value):
            validate(doc, schema["items"], item, f"{where}[{index}]", problems, method_id=method_id)
    elif actual == "integer" and fmt in _INT_RANGES:
        low, high = _INT_RANGES[fmt]
        if not low <= value <= high:
            problems.append(Problem(where, f"out of range for {fmt}", kind="format", schema=name))
    elif actual == "string":
        _validate_string(fmt, value, where, problems, name)


def _validate_object(doc: dict[str, Any], schema: dict[str, Any], value: dict[str, Any], where: str,
                     problems: list[Problem], *, method_id: str, name: str | None) -> None:
    properties = schema.get("properties", {})
    missing = [k for k, p in properties.items()
               if method_id in (p.get("annotations") or {}).get("required", []) and value.get(k) is None]
    if missing:
        problems.append(Problem(where, f"missing required field(s) {', '.join(missing)}", kind="required",
                                schema=name, missing=missing))
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        at = f"{where}.{key}"
        if key in properties:
            validate(doc, properties[key], item, at, problems, method_id=method_id)
        elif isinstance(extra, dict):
            validate(doc, extra, item, at, problems, method_id=method_id)
        else:
            problems.append(Problem(at, f"Unknown name \"{key}\" at '{where}': Cannot find field.", kind="unknown",
                                    schema=name))


def _validate_string(fmt: str, value: str, where: str, problems: list[Problem], name: str | None) -> None:
    if fmt in _DIGITS and not re.fullmatch(_DIGITS[fmt], value):
        problems.append(Problem(where, f"Invalid value at '{where}' ({fmt}), \"{value}\"", kind="format",
                                schema=name))
    elif fmt in ("date-time", "google-datetime") and not is_datetime(value):
        problems.append(Problem(where, "is not an RFC 3339 date-time", kind="format", schema=name))
    elif fmt == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        problems.append(Problem(where, "is not a date (yyyy-mm-dd)", kind="format", schema=name))
    elif fmt == "byte" and not _is_base64(value):
        problems.append(Problem(where, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed",
                                kind="format", schema=name))


def _is_base64(value: str) -> bool:
    """Standard or URL-safe base64, padding optional (Google accepts both alphabets)."""
    if not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", value):
        return False
    bare = value.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return False
    return True
