"""Request checking against an official OData CSDL definition (``$metadata``, e.g. Microsoft Graph's
``cleanMetadata.v1.0.xml``), the way openapi.py and fern.py check theirs.

CSDL lists types, entity sets, singletons and bound actions/functions, not URL paths: a request path is
resolved by the OData URL conventions. ``Spec(folder, file, base="/v1.0")`` reads the XML once, on first
use (xml.etree; namespaces and their aliases resolved to full names), and checks a request:

- the path resolves: the first segment is a singleton (``me``) or an entity set (then a key segment may
  follow); each next segment is a structural or navigation property of the current type (or a base type),
  a key after a collection, or an action/function bound to the current type (bare ``sendMail`` or qualified
  ``microsoft.graph.sendMail``); ``$count`` / ``$value`` / ``$ref`` end it;
- the method fits what was resolved: POST to a collection (create) or an action, GET to anything but an
  action, PATCH/PUT/DELETE to a single entity;
- query options: only OData system options (``$top``/``$skip`` non-negative integers, ``$select`` naming
  properties of the resolved type, ``$count`` a boolean, ``$filter``, ``$orderby``, ``$expand``,
  ``$search``...); a custom option is reported;
- the JSON body: an action's body is an object of its non-binding parameters (a non-nullable parameter is
  required, an unknown one reported); a created entity is an object of the entity type. Values are checked
  by type: Edm primitives (strings, booleans, integers in range, numbers, DateTimeOffset, Date, Guid),
  enums (member names; comma-separated for flags), complex and entity types (an ``@odata.type`` may name a
  derived type), ``Collection(...)``. Objects are strict: a key the type (and its bases) does not declare is
  reported even on an open type (the Hub never sends dynamic properties, so an unknown key is a typo).
  Instance annotations (``@odata.type``, ``x@odata.bind``) are allowed. Inside a complex value, a
  ``Nullable="false"`` property is required (``dateTimeTimeZone.dateTime``); on an entity it is not.
  Action parameter names match case-insensitively: Graph's reference pages list ``Message`` (as the CSDL
  does) and send ``message`` in their examples, and both are accepted.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.sandbox.schema_checks import NO_BODY, Checks, Problem, is_datetime, json_type, normalise_path, specs_dir

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
_INT_RANGES = {"Edm.Byte": (0, 255), "Edm.SByte": (-128, 127), "Edm.Int16": (-(2**15), 2**15 - 1),
               "Edm.Int32": (-(2**31), 2**31 - 1), "Edm.Int64": (-(2**63), 2**63 - 1)}
_NUMBERS = {"Edm.Double", "Edm.Single", "Edm.Decimal"}
_STRINGS = {"Edm.String", "Edm.Binary", "Edm.Duration", "Edm.TimeOfDay", "Edm.Guid", "Edm.Date",
            "Edm.DateTimeOffset"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SYSTEM_OPTIONS = {"$top", "$skip", "$select", "$filter", "$orderby", "$expand", "$count", "$search", "$format",
                  "$skiptoken", "$deltatoken"}


@dataclass
class Prop:
    type: str                  # full name, or Collection(full name)
    nullable: bool = True


@dataclass
class TypeDef:
    name: str                  # full name, e.g. microsoft.graph.message
    kind: str                  # entity | complex | enum
    base: str | None = None
    abstract: bool = False
    open: bool = False
    properties: dict[str, Prop] = field(default_factory=dict)
    navigation: dict[str, Prop] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    flags: bool = False


@dataclass
class Operation:
    """A bound action or function."""

    name: str                  # full name, e.g. microsoft.graph.sendMail
    kind: str                  # action | function
    binding: str               # the binding parameter's type (full name or Collection(...))
    parameters: dict[str, Prop] = field(default_factory=dict)
    returns: str | None = None


@dataclass(frozen=True)
class Target:
    """What a request path resolved to."""

    path: str
    type: str                  # the full type name of the addressed resource (element type for a collection)
    collection: bool
    operation: Operation | None = None
    special: str | None = None  # $count | $value | $ref


class Model:
    """The parsed CSDL: types, the container's singletons and entity sets, bound operations."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        self.types: dict[str, TypeDef] = {}
        self.singletons: dict[str, str] = {}
        self.entity_sets: dict[str, str] = {}
        self.operations: dict[str, list[Operation]] = {}     # short name -> overloads
        aliases = {a.get("Alias", ""): a.get("Namespace", "") for a in root.iter(f"{EDM}Schema") if a.get("Alias")}

        def full(name: str | None) -> str:
            return _qualify(name or "", aliases)
        for schema in root.iter(f"{EDM}Schema"):
            namespace = schema.get("Namespace", "")
            for child in schema:
                tag = child.tag.removeprefix(EDM)
                if tag in ("EntityType", "ComplexType"):
                    t = TypeDef(f"{namespace}.{child.get('Name')}", "entity" if tag == "EntityType" else "complex",
                                base=full(child.get("BaseType")) or None, abstract=child.get("Abstract") == "true",
                                open=child.get("OpenType") == "true")
                    for p in child:
                        ptag = p.tag.removeprefix(EDM)
                        if ptag in ("Property", "NavigationProperty"):
                            target = t.properties if ptag == "Property" else t.navigation
                            target[p.get("Name", "")] = Prop(full(p.get("Type")), p.get("Nullable") != "false")
                    self.types[t.name] = t
                elif tag == "EnumType":
                    t = TypeDef(f"{namespace}.{child.get('Name')}", "enum", flags=child.get("IsFlags") == "true",
                                members={m.get("Name", "") for m in child.iter(f"{EDM}Member")})
                    self.types[t.name] = t
                elif tag in ("Action", "Function") and child.get("IsBound") == "true":
                    params = [(p.get("Name", ""), Prop(full(p.get("Type")), p.get("Nullable") != "false"))
                              for p in child.iter(f"{EDM}Parameter")]
                    if not params:
                        continue
                    returns = next((full(r.get("Type")) for r in child.iter(f"{EDM}ReturnType")), None)
                    op = Operation(f"{namespace}.{child.get('Name')}", tag.lower(), params[0][1].type,
                                   dict(params[1:]), returns)
                    self.operations.setdefault(child.get("Name", ""), []).append(op)
                elif tag == "EntityContainer":
                    for item in child:
                        itag = item.tag.removeprefix(EDM)
                        if itag == "Singleton":
                            self.singletons[item.get("Name", "")] = full(item.get("Type"))
                        elif itag == "EntitySet":
                            self.entity_sets[item.get("Name", "")] = full(item.get("EntityType"))

    def chain(self, name: str) -> list[TypeDef]:
        """The type and its base types, most derived first."""
        found: list[TypeDef] = []
        current = self.types.get(name)
        while current is not None and len(found) < 20:
            found.append(current)
            current = self.types.get(current.base) if current.base else None
        return found

    def derives(self, name: str, ancestor: str) -> bool:
        return any(t.name == ancestor for t in self.chain(name))

    def members(self, name: str) -> tuple[dict[str, Prop], dict[str, Prop]]:
        """All structural and navigation properties of a type, its bases' included."""
        props: dict[str, Prop] = {}
        navs: dict[str, Prop] = {}
        for t in reversed(self.chain(name)):
            props.update(t.properties)
            navs.update(t.navigation)
        return props, navs

    def bound(self, segment: str, type_name: str, collection: bool) -> Operation | None:
        """The action/function ``segment`` (bare or qualified) bound to the type (or a base), or None."""
        short = segment.rsplit(".", 1)[-1]
        for op in self.operations.get(short, []):
            if "." in segment and op.name != segment:
                continue
            inner, many = _element(op.binding)
            if many == collection and self.derives(type_name, inner):
                return op
        return None


def _qualify(name: str, aliases: dict[str, str]) -> str:
    if name.startswith("Collection(") and name.endswith(")"):
        return f"Collection({_qualify(name[11:-1], aliases)})"
    head, _, rest = name.partition(".")
    return f"{aliases[head]}.{rest}" if rest and head in aliases else name


def _element(type_name: str) -> tuple[str, bool]:
    if type_name.startswith("Collection(") and type_name.endswith(")"):
        return type_name[11:-1], True
    return type_name, False


@lru_cache(maxsize=4)
def load_model(path: Path) -> Model:
    return Model(path)


@dataclass(frozen=True)
class Spec(Checks):
    """A CSDL definition under ``$HUB_SPECS_DIR``: ``folder``/``file``, served under ``base`` (``/v1.0``)."""

    folder: str
    file: str
    base: str = ""
    name: str = "the API definition"

    def model(self) -> Model:
        return load_model(specs_dir() / self.folder / self.file)

    def path(self, url_or_path: str) -> tuple[str, dict[str, list[str]]]:
        path, query = normalise_path(url_or_path)
        if self.base and (path == self.base or path.startswith(self.base + "/")):
            path = path[len(self.base):]
        return path, query

    def resolve(self, path: str) -> tuple[Target | None, str | None]:
        """What ``path`` addresses, or (None, the segment that does not resolve)."""
        model = self.model()
        segments = [s for s in path.split("/") if s]
        if not segments:
            return None, "/"
        first, key = _split_key(segments[0])
        if first in model.singletons:
            current, collection = model.singletons[first], False
        elif first in model.entity_sets:
            current, collection = model.entity_sets[first], key is None
        else:
            return None, segments[0]
        op: Operation | None = None
        for index, raw in enumerate(segments[1:], start=1):
            if op is not None:
                return None, raw          # nothing follows an action or a function
            segment, key = _split_key(raw)
            if segment in ("$count", "$value", "$ref"):
                if index != len(segments) - 1:
                    return None, raw
                return Target(path, current, collection, None, segment), None
            if collection and key is None and not _looks_like_member(model, current, segment):
                collection = False        # a key segment: /messages/{id}
                continue
            props, navs = model.members(current)
            found = navs.get(segment) or props.get(segment)
            if found is not None:
                current, collection = _element(found.type)
                if key is not None and not collection:
                    return None, raw      # a key on a single-valued property
                collection = collection and key is None
                continue
            bound = model.bound(segment, current, collection)
            if bound is None:
                return None, raw
            op = bound
        if op is not None:
            returns = op.returns or ""
            inner, many = _element(returns)
            return Target(path, inner, many, op), None
        return Target(path, current, collection), None

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        method = method.upper()
        path, query = self.path(url_or_path)
        target, bad = self.resolve(path)
        if target is None:
            return None, [Problem("$", f"Resource not found for the segment '{bad}' ({method} {path} is not in "
                                       f"{self.name})", kind="operation")]
        problems: list[Problem] = []
        op = target.operation
        allowed = ({"POST"} if op.kind == "action" else {"GET"}) if op else \
            ({"GET"} if target.special else {"GET", "POST"} if target.collection else {"GET", "PATCH", "PUT", "DELETE"})
        if method not in allowed:
            problems.append(Problem("$", f"{method} is not allowed on {path} (allowed: {', '.join(sorted(allowed))})",
                                    kind="operation"))
            return target, problems
        self._check_query(target, method, query, problems)
        has_body = body is not NO_BODY and body not in (None, "")
        if op is not None and op.kind == "action":
            if not op.parameters:
                if has_body and body != {}:
                    problems.append(Problem("$", f"{op.name} takes no parameters", kind="body"))
            elif not has_body:
                if any(not p.nullable for p in op.parameters.values()):
                    problems.append(Problem("$", "the request body is required", kind="body"))
            else:
                self._check_parameters(op, body, problems)
        elif method in ("POST", "PATCH", "PUT"):
            if not has_body:
                problems.append(Problem("$", "the request body is required", kind="body"))
            else:
                self.validate(target.type, body, "$", problems, in_complex=False)
        elif has_body:
            problems.append(Problem("$", f"{method} {path} takes no request body", kind="body"))
        return target, problems

    # ------------------------------------------------------------------ query and parameters
    def _check_query(self, target: Target, method: str, query: dict[str, list[str]], problems: list[Problem]) -> None:
        props, navs = self.model().members(target.type)
        for key, values in query.items():
            value = values[-1] if values else ""
            name = key
            if name not in SYSTEM_OPTIONS:
                problems.append(Problem(f"query:{key}", "is not an OData system query option", kind="unknown"))
            elif name in ("$top", "$skip") and not re.fullmatch(r"\d+", value):
                problems.append(Problem(f"query:{key}", "must be a non-negative integer"))
            elif name == "$count" and value not in ("true", "false"):
                problems.append(Problem(f"query:{key}", "must be true or false"))
            elif name in ("$top", "$skip", "$count", "$filter", "$orderby", "$search", "$skiptoken") \
                    and not target.collection:
                problems.append(Problem(f"query:{key}", "applies to collections only", kind="unknown"))
            elif name == "$select":
                for item in (v.strip() for v in value.split(",")):
                    if item and item != "*" and item not in props and item not in navs:
                        problems.append(Problem(f"query:{key}", f"'{item}' is not a property of {target.type}",
                                                kind="unknown"))

    def _check_parameters(self, op: Operation, body: Any, problems: list[Problem]) -> None:
        if not isinstance(body, dict):
            problems.append(Problem("$", f"expected an object of {op.name} parameters, got {json_type(body)}"))
            return
        given = {k.lower() for k in body}
        missing = [n for n, p in op.parameters.items() if not p.nullable and n.lower() not in given]
        if missing:
            problems.append(Problem("$", f"missing required parameter(s) {', '.join(missing)} of {op.name}",
                                    kind="required", missing=missing))
        for key, value in body.items():
            if "@" in key:
                continue
            param = next((p for n, p in op.parameters.items() if n.lower() == key.lower()), None)
            if param is None:
                problems.append(Problem(f"$.{key}", f"is not a parameter of {op.name}", kind="unknown"))
                continue
            self._value(param, value, f"$.{key}", problems)

    # ------------------------------------------------------------------ values
    def _value(self, prop: Prop, value: Any, where: str, problems: list[Problem]) -> None:
        if value is None:
            if not prop.nullable:
                problems.append(Problem(where, "must not be null"))
            return
        inner, many = _element(prop.type)
        if many:
            if not isinstance(value, list):
                problems.append(Problem(where, f"expected a collection of {inner}, got {json_type(value)}"))
                return
            for index, item in enumerate(value):
                self._value(Prop(inner, False), item, f"{where}[{index}]", problems)
            return
        self.validate(inner, value, where, problems)

    def validate(self, type_name: str, value: Any, where: str, problems: list[Problem], *,
                 in_complex: bool = True) -> None:
        """Check a JSON value against a CSDL type (primitive, enum, complex or entity)."""
        if type_name.startswith("Edm."):
            _primitive(type_name, value, where, problems)
            return
        model = self.model()
        t = model.types.get(type_name)
        if t is None:
            problems.append(Problem(where, f"unknown type {type_name} in {self.name}", kind="operation"))
            return
        if t.kind == "enum":
            names = value.split(",") if t.flags and isinstance(value, str) else [value]
            if not isinstance(value, str) or any(n.strip() not in t.members for n in names):
                problems.append(Problem(where, f"{value!r} is not a member of {type_name} "
                                        f"[{', '.join(sorted(t.members))}]", kind="enum"))
            return
        if not isinstance(value, dict):
            problems.append(Problem(where, f"expected an object ({type_name}), got {json_type(value)}"))
            return
        declared = value.get("@odata.type")
        if isinstance(declared, str):
            named = declared.lstrip("#")
            named = _qualify(named, {"graph": "microsoft.graph"})
            if named not in model.types or not model.derives(named, type_name):
                problems.append(Problem(f"{where}.@odata.type", f"{declared} is not {type_name} or derived from it",
                                        kind="enum"))
                return
            type_name, t = named, model.types[named]
        props, navs = model.members(type_name)
        complex_value = t.kind == "complex" and in_complex
        missing = [n for n, p in props.items() if complex_value and not p.nullable and n not in value]
        if missing:
            problems.append(Problem(where, f"missing required field(s) {', '.join(missing)} of {type_name}",
                                    kind="required", schema=type_name, missing=missing))
        for key, item in value.items():
            if "@" in key:
                continue
            prop = props.get(key) or navs.get(key)
            if prop is None:
                problems.append(Problem(f"{where}.{key}", f"The property '{key}' does not exist on type "
                                        f"'{type_name}'", kind="unknown", schema=type_name))
                continue
            self._value(prop, item, f"{where}.{key}", problems)


def _primitive(type_name: str, value: Any, where: str, problems: list[Problem]) -> None:
    actual = json_type(value)
    if type_name in ("Edm.Stream", "Edm.Untyped"):
        return
    if type_name == "Edm.Boolean":
        ok = actual == "boolean"
    elif type_name in _INT_RANGES:
        low, high = _INT_RANGES[type_name]
        ok = actual == "integer" and low <= value <= high
    elif type_name in _NUMBERS:
        ok = actual in ("integer", "number") or value in ("INF", "-INF", "NaN")
    elif type_name in _STRINGS:
        ok = actual == "string"
        if ok and type_name == "Edm.DateTimeOffset":
            ok = is_datetime(value)
        elif ok and type_name == "Edm.Date":
            ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
        elif ok and type_name == "Edm.Guid":
            ok = bool(_UUID.match(value))
    else:
        ok = True              # geography types and the like: not checked
    if not ok:
        problems.append(Problem(where, f"expected {type_name}, got {actual} {value!r}"[:200],
                                kind="format" if actual == "string" else "type"))


def _split_key(segment: str) -> tuple[str, str | None]:
    """``messages('AAMk...')`` -> (``messages``, ``'AAMk...'``); a plain segment -> (segment, None)."""
    match = re.fullmatch(r"([^(]+)\((.*)\)", segment)
    return (match.group(1), match.group(2)) if match else (segment, None)


def _looks_like_member(model: Model, type_name: str, segment: str) -> bool:
    """Whether a segment after a collection is a bound operation or $-segment rather than a key."""
    return segment.startswith("$") or model.bound(segment, type_name, True) is not None
