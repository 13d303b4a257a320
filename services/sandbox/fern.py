"""Request checking against an official Fern API definition (``$HUB_SPECS_DIR/<slug>/*.yml``).

A Fern definition (e.g. one from a provider's SDK repository, generated from its OpenAPI) is read with
PyYAML. A small validator resolves its type expressions (``optional<...>``, ``list<...>``,
``map<k, v>``, ``literal<"x">``, ``root.Type`` imports), declarations (objects with ``extends`` and
``extra-properties``, aliases, enums, discriminated and undiscriminated unions) and property
``validation`` (format, pattern, lengths, min/max), and reports:
- a missing non-optional field, a wrong JSON type, a value outside an enum or literal;
- a key the object does not declare (unless ``extra-properties: true``) or a ``read-only`` one;
- a body sent to an endpoint without one, or a required body left out.

A provider names its definition with ``Spec(folder, name)`` (the folder under ``$HUB_SPECS_DIR``, read once
on first use): ``check_request`` is what its sandbox answers with, ``problems`` the contract check ([] =
valid), ``check_response`` a success body against the declared response type. Request paths are read under
the default environment's URL path (e.g. ``/v2``); a sandbox URL ``.../sandbox/<slug>/api/...`` as the path
after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from services.sandbox.schema_checks import NO_BODY, Checks, Problem, is_datetime, json_type, normalise_path, specs_dir

PACKAGE = "__package__.yml"
_PRIMITIVES = {"string", "integer", "long", "double", "float", "boolean", "datetime", "date", "uuid", "base64",
               "unknown", "uint", "uint64"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class TypeExpr:
    name: str                                  # optional, list, map, literal, a primitive or a type name
    args: tuple[TypeExpr, ...] = ()
    literal: str | None = None
    file: str = PACKAGE                        # the file whose names a bare type name refers to


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str                                  # under /v2, e.g. /collections/{collection_id}/items
    file: str
    name: str
    body: Any = field(compare=False)           # None, a type expression string, or an inline {properties: ...}


class Definition:
    def __init__(self, folder: Path) -> None:
        files = sorted(folder.glob("*.yml"))
        if not files:
            raise FileNotFoundError(f"no Fern definition in {folder} (set HUB_SPECS_DIR)")
        self.docs: dict[str, dict[str, Any]] = {f.name: yaml.safe_load(f.read_text()) or {} for f in files}
        self.base = _base_path(self.docs.get("api.yml") or {})
        self.endpoints: list[Endpoint] = []
        for name, doc in self.docs.items():
            service = doc.get("service") or {}
            base = service.get("base-path", "") or ""
            for ep_name, ep in (service.get("endpoints") or {}).items():
                request = ep.get("request")
                body = request.get("body") if isinstance(request, dict) else request
                self.endpoints.append(Endpoint(ep["method"].upper(), base + ep["path"], name, ep_name, body))

    # ------------------------------------------------------------------ names
    def imports(self, file: str) -> dict[str, str]:
        return {alias: Path(target).name for alias, target in (self.docs[file].get("imports") or {}).items()}

    def declaration(self, file: str, name: str) -> tuple[str, Any]:
        """(file, declaration) of a type name as written in ``file`` (``root.X`` = an import)."""
        if "." in name:
            alias, _, name = name.partition(".")
            file = self.imports(file).get(alias, PACKAGE)
        for candidate in (file, PACKAGE):
            types = self.docs.get(candidate, {}).get("types") or {}
            if name in types:
                return candidate, types[name]
        raise KeyError(f"unknown Fern type {name!r} in {file}")

    def parse(self, text: str, file: str) -> TypeExpr:
        expr, rest = _parse(text.strip(), file)
        if rest.strip():
            raise ValueError(f"cannot parse Fern type {text!r}")
        return expr


def _parse(text: str, file: str) -> tuple[TypeExpr, str]:
    match = re.match(r"\s*([A-Za-z_][\w.\- ]*?)\s*(<|,|>|$)", text)
    if not match:
        raise ValueError(f"cannot parse Fern type {text!r}")
    name = match.group(1).strip()
    rest = text[match.end(1):].lstrip()
    if name == "literal" and rest.startswith("<"):
        lit = re.match(r'<\s*"((?:[^"\\]|\\.)*)"\s*>', rest) or re.match(r"<\s*([^>]*)>", rest)
        if not lit:
            raise ValueError(f"cannot parse literal in {text!r}")
        return TypeExpr("literal", literal=lit.group(1), file=file), rest[lit.end():]
    if rest.startswith("<"):
        args = []
        rest = rest[1:]
        while True:
            arg, rest = _parse(rest, file)
            args.append(arg)
            rest = rest.lstrip()
            if rest.startswith(","):
                rest = rest[1:]
                continue
            if rest.startswith(">"):
                return TypeExpr(name, tuple(args), file=file), rest[1:]
            raise ValueError(f"cannot parse Fern type {text!r}")
    return TypeExpr(name, file=file), rest


def _base_path(api: dict[str, Any]) -> str:
    """The path of the default environment's URL (e.g. ``/v2``), which every endpoint path sits under."""
    environments = api.get("environments") or {}
    env = environments.get(api.get("default-environment")) or next(iter(environments.values()), "")
    if isinstance(env, dict):
        urls = env.get("urls") or {}
        env = env.get("url") or urls.get(api.get("default-url")) or next(iter(urls.values()), "")
    return urlsplit(str(env)).path.rstrip("/")


@lru_cache(maxsize=8)
def load_definition(folder: Path) -> Definition:
    return Definition(folder)


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts) + "/?$")


@dataclass(frozen=True)
class Spec(Checks):
    """The Fern definition of one provider: ``folder`` under ``$HUB_SPECS_DIR`` and the ``name`` problems give it."""

    folder: str | Path
    name: str = "the API definition"

    def definition(self) -> Definition:
        return load_definition(specs_dir() / self.folder)

    def path(self, url_or_path: str) -> str:
        """The request path as the definition writes it (under the environment's base path)."""
        path, _ = normalise_path(url_or_path)
        base = self.definition().base
        return path[len(base):] if base and path.startswith(base + "/") else path

    def find_endpoint(self, method: str, url_or_path: str) -> tuple[Endpoint | None, dict[str, str]]:
        path = self.path(url_or_path)
        best: tuple[int, Endpoint, dict[str, str]] | None = None
        for ep in self.definition().endpoints:
            if ep.method != method.upper():
                continue
            match = _template_regex(ep.path).match(path)
            if match:
                literal = sum(1 for part in ep.path.split("/") if part and "{" not in part)
                if best is None or literal > best[0]:
                    names = re.findall(r"\{([^}]+)\}", ep.path)
                    best = (literal, ep, dict(zip(names, (unquote(v) for v in match.groups()), strict=True)))
        return (best[1], best[2]) if best else (None, {})

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        ep, _ = self.find_endpoint(method, url_or_path)
        if ep is None:
            return None, [Problem("$", f"no endpoint {method.upper()} {self.path(url_or_path)} in {self.name}",
                                  kind="operation")]
        problems: list[Problem] = []
        defs = self.definition()
        if ep.body is None:
            if body is not NO_BODY and body not in (None, "", {}, []):
                problems.append(Problem("$", "this endpoint takes no request body", kind="body"))
            return ep, problems
        if body is NO_BODY:
            if _body_required(defs, ep):
                problems.append(Problem("$", "the request body is required", kind="body"))
            return ep, problems
        _validate_body(defs, ep, body, problems)
        return ep, problems

    def check_response(self, method: str, url_or_path: str, status: int, body: Any) -> list[str]:
        """Problems of a success body against the endpoint's declared response type ([] = it conforms)."""
        ep, _ = self.find_endpoint(method, url_or_path)
        if ep is None:
            return [f"no endpoint {method.upper()} {self.path(url_or_path)}"]
        defs = self.definition()
        response = defs.docs[ep.file]["service"]["endpoints"][ep.name].get("response")
        if not response:
            return [] if body in (None, "") else ["this endpoint declares no response body"]
        declared = response if isinstance(response, str) else response.get("type")
        wanted = 200 if isinstance(response, str) else response.get("status-code", 200)
        problems: list[Problem] = [] if status == wanted else [Problem("$", f"status {status}, declared {wanted}")]
        validate(defs, defs.parse(declared, ep.file), body, "$", problems, request=False)
        return [str(p) for p in problems]


def _body_required(defs: Definition, ep: Endpoint) -> bool:
    """A named body type is required unless optional<...>; an inline body only when a property is required."""
    if isinstance(ep.body, str):
        return defs.parse(ep.body, ep.file).name not in ("optional", "nullable")
    props, _ = _properties(defs, ep.file, ep.body)
    for prop_file, spec in props.values():
        text = spec if isinstance(spec, str) else spec.get("type", "unknown")
        if defs.parse(text, prop_file).name not in ("optional", "nullable", "unknown"):
            return True
    return False


def _validate_body(defs: Definition, ep: Endpoint, body: Any, problems: list[Problem]) -> None:
    if isinstance(ep.body, str):
        validate(defs, defs.parse(ep.body, ep.file), body, "$", problems)
    else:
        _validate_object(defs, ep.file, ep.body, body, "$", problems, ep.name)


# --------------------------------------------------------------------------- validator
def validate(defs: Definition, expr: TypeExpr, value: Any, where: str, problems: list[Problem], *,
             request: bool = True) -> None:
    """Check ``value`` against a type; ``request=False`` checks a response (read-only fields allowed)."""
    name = expr.name
    if name in ("optional", "nullable"):
        if value is not None:
            validate(defs, expr.args[0], value, where, problems, request=request)
        return
    if name == "unknown":
        return
    if value is None:
        problems.append(Problem(where, "must not be null"))
        return
    actual = json_type(value)
    if name in ("list", "set"):
        if actual != "array":
            problems.append(Problem(where, f"expected list, got {actual}"))
            return
        for index, item in enumerate(value):
            validate(defs, expr.args[0], item, f"{where}[{index}]", problems, request=request)
        return
    if name == "map":
        if actual != "object":
            problems.append(Problem(where, f"expected map, got {actual}"))
            return
        for key, item in value.items():
            validate(defs, expr.args[1], item, f"{where}.{key}", problems, request=request)
        return
    if name == "literal":
        wanted: Any = expr.literal
        if expr.literal in ("true", "false") and isinstance(value, bool):
            wanted = expr.literal == "true"
        if value != wanted:
            problems.append(Problem(where, f"must be {expr.literal!r}", kind="enum"))
        return
    if name in _PRIMITIVES:
        _validate_primitive(name, value, where, problems)
        return
    file, declaration = defs.declaration(expr.file, name)
    _validate_declaration(defs, file, declaration, value, where, problems, name.split(".")[-1], request=request)


def _validate_primitive(name: str, value: Any, where: str, problems: list[Problem]) -> None:
    actual = json_type(value)
    expected = {"string": "string", "datetime": "string", "date": "string", "uuid": "string", "base64": "string",
                "integer": "integer", "long": "integer", "uint": "integer", "uint64": "integer",
                "double": "number", "float": "number", "boolean": "boolean"}[name]
    if not (actual == expected or (expected == "number" and actual == "integer")):
        problems.append(Problem(where, f"expected {name}, got {actual}"))
    elif name == "datetime" and not is_datetime(value):
        problems.append(Problem(where, "is not an ISO 8601 date-time", kind="format"))
    elif name == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        problems.append(Problem(where, "is not a date (YYYY-MM-DD)", kind="format"))
    elif name == "uuid" and not _UUID.match(value):
        problems.append(Problem(where, "is not a UUID", kind="format"))


def _validate_declaration(defs: Definition, file: str, declaration: Any, value: Any, where: str,
                          problems: list[Problem], type_name: str, *, request: bool = True) -> None:
    if isinstance(declaration, str):
        validate(defs, defs.parse(declaration, file), value, where, problems, request=request)
        return
    if "enum" in declaration:
        allowed = [item["value"] if isinstance(item, dict) else item for item in declaration["enum"]]
        if value not in allowed:
            shown = ", ".join(map(str, allowed[:12])) + (", ..." if len(allowed) > 12 else "")
            problems.append(Problem(where, f"{value!r} is not one of [{shown}]", kind="enum", schema=type_name))
        return
    if "union" in declaration:
        _validate_union(defs, file, declaration, value, where, problems, type_name, request=request)
        return
    if "properties" in declaration or "extends" in declaration:
        _validate_object(defs, file, declaration, value, where, problems, type_name, request=request)
        return
    if "type" in declaration:
        validate(defs, defs.parse(declaration["type"], file), value, where, problems, request=request)


def _validate_union(defs: Definition, file: str, declaration: dict[str, Any], value: Any, where: str,
                    problems: list[Problem], type_name: str, *, request: bool = True) -> None:
    union = declaration["union"]
    if isinstance(union, dict) and "discriminant" in declaration:
        key = declaration["discriminant"]
        key = key["value"] if isinstance(key, dict) else key
        if not isinstance(value, dict) or value.get(key) not in union:
            problems.append(Problem(f"{where}.{key}", f"must be one of [{', '.join(union)}]", kind="enum",
                                    schema=type_name))
            return
        member = union[value[key]]
        member_type = member["type"] if isinstance(member, dict) else member
        rest = {k: v for k, v in value.items() if k != key}
        validate(defs, defs.parse(member_type, file), rest, where, problems, request=request)
        return
    best: list[Problem] | None = None
    for member in union:
        member_type = member["type"] if isinstance(member, dict) else member
        trial: list[Problem] = []
        validate(defs, defs.parse(member_type, file), value, where, trial, request=request)
        if not trial:
            return
        if best is None or len(trial) < len(best):
            best = trial
    problems.extend(best or [Problem(where, f"does not match any shape of {type_name}", schema=type_name)])


def _properties(defs: Definition, file: str, declaration: dict[str, Any]) -> tuple[dict[str, tuple[str, Any]], bool]:
    """All properties (own and inherited) as name -> (file, spec), and whether extra properties are allowed."""
    props: dict[str, tuple[str, Any]] = {}
    extra = bool(declaration.get("extra-properties"))
    extends = declaration.get("extends") or []
    for parent in [extends] if isinstance(extends, str) else extends:
        parent_file, parent_decl = defs.declaration(file, parent)
        inherited, parent_extra = _properties(defs, parent_file, parent_decl)
        props.update(inherited)
        extra = extra or parent_extra
    for name, spec in (declaration.get("properties") or {}).items():
        props[name] = (file, spec)
    return props, extra


def _validate_object(defs: Definition, file: str, declaration: dict[str, Any], value: Any, where: str,
                     problems: list[Problem], type_name: str, *, request: bool = True) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(where, f"expected object, got {json_type(value)}", schema=type_name))
        return
    props, extra = _properties(defs, file, declaration)
    missing = []
    for name, (prop_file, spec) in props.items():
        text = spec if isinstance(spec, str) else spec.get("type", "unknown")
        expr = defs.parse(text, prop_file)
        if name not in value:
            if expr.name not in ("optional", "nullable", "unknown"):
                missing.append(name)
            continue
        if request and isinstance(spec, dict) and spec.get("access") == "read-only":
            problems.append(Problem(f"{where}.{name}", "is read-only", kind="unknown", schema=type_name))
            continue
        before = len(problems)
        validate(defs, expr, value[name], f"{where}.{name}", problems, request=request)
        if len(problems) == before and isinstance(spec, dict) and spec.get("validation") and value[name] is not None:
            _check_validation(spec["validation"], value[name], f"{where}.{name}", problems)
    if missing:
        problems.append(Problem(where, f"missing required field(s) {', '.join(missing)}", kind="required",
                                schema=type_name, missing=missing))
    if not extra:
        for key in value:
            if key not in props:
                problems.append(Problem(f"{where}.{key}", f"is not a field of {type_name}", kind="unknown",
                                        schema=type_name))


def _check_validation(rules: dict[str, Any], value: Any, where: str, problems: list[Problem]) -> None:
    fmt = rules.get("format")
    if isinstance(value, str):
        if fmt == "email" and not _EMAIL.match(value):
            problems.append(Problem(where, "is not an email address", kind="format"))
        elif fmt == "uri" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
            problems.append(Problem(where, "is not a URI", kind="format"))
        elif fmt == "uuid" and not _UUID.match(value):
            problems.append(Problem(where, "is not a UUID", kind="format"))
        if "pattern" in rules and not re.search(rules["pattern"], value):
            problems.append(Problem(where, f"does not match pattern {rules['pattern']}", kind="format"))
        if "minLength" in rules and len(value) < rules["minLength"]:
            problems.append(Problem(where, f"must be at least {rules['minLength']} characters", kind="format"))
        if "maxLength" in rules and len(value) > rules["maxLength"]:
            problems.append(Problem(where, f"must be at most {rules['maxLength']} characters", kind="format"))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "min" in rules and value < rules["min"]:
            problems.append(Problem(where, f"must be >= {rules['min']}", kind="format"))
        if "max" in rules and value > rules["max"]:
            problems.append(Problem(where, f"must be <= {rules['max']}", kind="format"))
