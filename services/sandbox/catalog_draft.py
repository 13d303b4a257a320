"""Draft a catalog entry from a provider's official OpenAPI 3 / Swagger 2 definition (`layers-hub catalog draft`).

An engineer names the operations the integration needs; the draft fills what the definition says and marks
what it could not (an example invented for a required input, a server variable turned into a connection
field). It is a starting point to review, never written to the catalog by itself:

- ``auth`` from the security schemes the chosen operations use (bearer → ``Authorization: Bearer {api_key}``,
  apiKey → its header or query parameter, basic, OAuth 2.0 authorization-code URLs and the scopes the
  operations require);
- ``base_url`` from ``servers`` (Swagger 2: ``schemes`` + ``host`` + ``basePath``), server variables as
  connection fields;
- per operation: path and query parameters and the body's top-level properties as inputs (required ones
  required, types, enums, examples), the body template, ``body_encoding: form`` when the operation takes
  only forms, and the success response's top-level properties as outputs (``output_root`` for a
  ``{data: {...}}`` envelope).

``compare`` sets a draft beside the catalog's reviewed entry: per action, which inputs and outputs the draft
had, which were added by hand and which were dropped (the figures for "how much did the draft produce").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from services.core.errors import InvalidInput
from services.sandbox.openapi import Operation, document_operations, is_openapi, load_document, resolve, response_media

MAX_OUTPUTS = 12
_FIRST_OUTPUTS = ("id", "gid", "uid", "name", "title", "email", "status", "state", "url", "html_url", "created",
                  "created_at", "amount", "number")
_FORMATS = {"email": "email", "uri": "url", "url": "url", "date-time": "datetime"}
_PLACEHOLDERS = {"string": "xxxx", "integer": 1, "number": 1.0, "boolean": True, "email": "jane.doe@example.com",
                 "url": "https://example.com", "datetime": "2026-01-01T09:00:00Z", "object": {}, "array": []}


@dataclass
class Draft:
    entry: dict[str, Any]
    review: list[str] = field(default_factory=list)     # what the engineer must look at

    def yaml(self, slug: str) -> str:
        head = ["# Drafted by `layers-hub catalog draft` from the provider's definition: review every line.",
                *(f"# REVIEW: {line}" for line in self.review)]
        body = yaml.safe_dump({slug: self.entry}, sort_keys=False, default_flow_style=None, width=110,
                              allow_unicode=True)
        return "\n".join(head) + "\n" + "".join(f"  {line}\n" for line in body.splitlines())


def load_definition(path: Path) -> dict[str, Any]:
    try:
        doc = load_document(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"--spec {path}: cannot read it ({exc})") from exc
    if not is_openapi(doc):
        raise InvalidInput(f"--spec {path}: not an OpenAPI 3 or Swagger 2 document (no openapi/swagger and paths)")
    return dict(doc)


def find_operation(ops: tuple[Operation, ...], wanted: str) -> Operation:
    method, _, path = wanted.strip().partition(" ")
    method, path = method.upper(), path.strip()
    if not path.startswith("/"):
        raise InvalidInput(f"--operation {wanted!r}: give it as 'METHOD /path', e.g. 'POST /v1/customers'")
    for op in ops:
        if op.method == method and op.template in (path, op.base + path if op.base else path):
            return op
    for op in ops:      # a concrete path, or one with the server path in front
        candidate = path[len(op.base):] if op.base and path.startswith(op.base) else path
        if op.method == method and op.regex.match(candidate):
            return op
    near = sorted({f"{o.method} {o.template}" for o in ops if path.rstrip("/").split("/")[-1] in o.template})[:5]
    raise InvalidInput(f"--operation {wanted!r}: the definition has no such operation"
                       + (f"; similar: {', '.join(near)}" if near else ""))


def snake(name: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().strip("_")
    return re.sub(r"_+", "_", name) or "action"


def _short(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    first = re.split(r"(?<=[.!?])\s|\n", text.strip())[0]
    return first if len(first) <= 100 else first[:97] + "..."


def _schema_of(doc: dict[str, Any], schema: Any) -> dict[str, Any]:
    schema = resolve(doc, schema) if isinstance(schema, dict) else {}
    for key in ("anyOf", "oneOf"):          # the first alternative that says what it is (string | "" enums ...)
        if key in schema and "type" not in schema:
            typed = [_schema_of(doc, s) for s in schema[key]]
            chosen = next((t for t in typed if t.get("type") not in (None, "null")), typed[0] if typed else {})
            return {**chosen, **{k: v for k, v in schema.items() if k in ("description", "example")}}
    for key in ("allOf",):          # merge allOf parts, the usual shape of generated "X extends Y" schemas
        if key in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema[key]:
                part = _schema_of(doc, part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return merged
    return schema


def field_spec(doc: dict[str, Any], schema: Any, *, required: bool = False, example: Any = ...,
               description: Any = None) -> dict[str, Any]:
    """A catalog field (FieldSpec as data) from a definition schema."""
    schema = _schema_of(doc, schema)
    kind = schema.get("type")
    if isinstance(kind, list):              # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    kind = _FORMATS.get(schema.get("format", ""), kind) if kind in (None, "string") else kind
    out: dict[str, Any] = {}
    if kind and kind != "string":
        out["type"] = kind if kind in _PLACEHOLDERS else "string"
    if required:
        out["required"] = True
    if example is ... and "example" in schema:
        example = schema["example"]
    if example is ... and schema.get("enum"):
        example = schema["enum"][0]
    if example is not ... and example not in ({}, [], None):
        out["example"] = example[:3] if isinstance(example, list) else example    # a sample, not the whole list
    text = _short(description if description is not None else schema.get("description"))
    if schema.get("enum") and all(isinstance(v, str) for v in schema["enum"]):
        out["enum"] = list(schema["enum"])
    elif schema.get("enum"):            # the catalog's enums are strings: say the values instead
        text = f"{text + ' ' if text else ''}One of {', '.join(map(str, schema['enum']))}."
    if text:
        out["description"] = text
    return out


def _placeholder(field: dict[str, Any]) -> Any:
    return _PLACEHOLDERS.get(field.get("type", "string"), "xxxx")


def _auth(doc: dict[str, Any], ops: list[Operation]) -> tuple[dict[str, Any], list[str]]:
    schemes = (doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {}
    used: list[str] = []
    scopes: list[str] = []
    for op in ops:
        for requirement in op.op.get("security", doc.get("security", [])) or []:
            for name, wanted in requirement.items():
                if name not in used:
                    used.append(name)
                scopes += [s for s in wanted or [] if isinstance(s, str) and s not in scopes]
    used = used or list(schemes)
    auth: dict[str, Any] = {}
    review: list[str] = []
    keys: dict[str, Any] = {}
    for name in used:
        scheme = resolve(doc, schemes.get(name, {}))
        kind, where = scheme.get("type"), scheme.get("in")
        if kind == "oauth2":
            flows = scheme.get("flows") or {}
            flow = flows.get("authorizationCode") or scheme    # Swagger 2 keeps the URLs on the scheme
            auth.setdefault("method", "oauth2")
            auth["authorize_url"] = flow.get("authorizationUrl")
            auth["token_url"] = flow.get("tokenUrl")
            if scopes:
                auth["scopes"] = scopes
        elif kind == "http" and scheme.get("scheme", "").lower() == "bearer" and "header" not in keys:
            keys.update({"header": "Authorization", "template": "Bearer {api_key}"})
        elif kind == "http" and scheme.get("scheme", "").lower() == "basic" or kind == "basic":
            keys.setdefault("basic", True)
        elif kind == "apiKey" and where == "header" and "header" not in keys:
            keys["header"] = scheme.get("name")
        elif kind == "apiKey" and where == "query" and "query_param" not in keys:
            keys["query_param"] = scheme.get("name")
    methods = [auth["method"]] if auth else []
    if keys.get("header") or keys.get("query_param"):
        methods.append("api_key")
        auth.update({k: v for k, v in keys.items() if k != "basic"})
        if keys.get("header") and keys.get("query_param"):
            auth["key_in"] = "header"
            review.append("the definition takes the key in a header and in the query: key_in says which is sent")
    if keys.get("basic"):
        methods.append("basic")
    if not methods:
        review.append("the definition declares no security scheme: fill auth from the provider's docs")
        methods = ["api_key"]
    auth = {"method": methods[0], **({"alternatives": methods[1:]} if methods[1:] else {}),
            **{k: v for k, v in auth.items() if k != "method"}}
    return auth, review


def _base_url(doc: dict[str, Any]) -> tuple[str | None, dict[str, Any], list[str]]:
    if "swagger" in doc:
        host = doc.get("host")
        scheme = (doc.get("schemes") or ["https"])[0]
        return (f"{scheme}://{host}{doc.get('basePath', '')}".rstrip("/") if host else None), {}, []
    servers = doc.get("servers") or []
    if not servers:
        return None, {}, ["the definition has no servers: set base_url"]
    server = servers[0]
    url = str(server.get("url", "")).rstrip("/")
    fields: dict[str, Any] = {}
    review = []
    for name, var in (server.get("variables") or {}).items():
        fields[name] = {"title": name.replace("_", " ").capitalize(), "example": var.get("default", "xxxx"),
                        **({"enum": var["enum"]} if var.get("enum") else {}), "mappable": False}
        review.append(f"server variable {{{name}}} became a connection field")
    if not urlsplit(url).scheme:
        review.append(f"the server URL {url!r} is relative: set base_url")
    return url or None, fields, review


def _outputs(op: Operation) -> tuple[str | None, dict[str, Any]]:
    doc = op.doc
    for status, response in sorted((op.op.get("responses") or {}).items(), key=lambda kv: str(kv[0])):
        if not str(status).startswith("2"):
            continue
        schema, example = response_media(doc, response)
        if schema is None:
            return None, {}
        schema = _schema_of(doc, schema)
        root = None
        props = schema.get("properties") or {}
        wrapper = [k for k in props if k not in ("errors", "meta", "links", "success", "status")]
        if "data" in props and set(props) <= {"data", "meta", "links", "success", "status"}:
            wrapper = ["data"]
        if len(wrapper) == 1 and _schema_of(doc, props[wrapper[0]]).get("properties"):
            # one object in an envelope: {data: {...}} (JSON:API, Asana), {customer: {...}} (Square)
            root, schema = wrapper[0], _schema_of(doc, props[wrapper[0]])
            example = example.get(root, ...) if isinstance(example, dict) else ...
            props = schema.get("properties") or {}
        if schema.get("type") == "array":
            return root, {"items": {"type": "array"}}
        outputs = {}
        # what a next node usually maps first, then the definition's order
        ordered = sorted(props.items(), key=lambda kv: (kv[0] not in _FIRST_OUTPUTS, _FIRST_OUTPUTS.index(kv[0])
                                                        if kv[0] in _FIRST_OUTPUTS else 0))
        for name, prop in ordered[:MAX_OUTPUTS]:
            given = example.get(name, ...) if isinstance(example, dict) else ...
            spec = field_spec(doc, prop, example=given)
            spec.pop("required", None)
            outputs[snake(name) if not re.fullmatch(r"[a-z][a-z0-9_]*", name) else name] = \
                {**spec, **({"path": name} if snake(name) != name and not re.fullmatch(r"[a-z][a-z0-9_]*", name)
                            else {})}
        return root, outputs
    return None, {}


def draft_action(op: Operation, review: list[str]) -> tuple[str, dict[str, Any]]:
    doc = op.doc
    key = snake(op.op.get("operationId") or f"{op.method} {op.template}")
    action: dict[str, Any] = {"title": _short(op.op.get("summary")) or key.replace("_", " ").capitalize(),
                              "method": op.method, "path": op.template}
    inputs: dict[str, Any] = {}
    for where in ("path", "query"):
        for param in op.parameters(where):
            schema = param.get("schema") or {k: v for k, v in param.items() if k in ("type", "format", "enum")}
            inputs[param["name"]] = field_spec(doc, schema, required=where == "path" or bool(param.get("required")),
                                               example=param.get("example", ...),
                                               description=param.get("description"))
    schema, _ = op.body_schema()
    if schema is not None and op.method not in ("GET", "DELETE"):   # some definitions give GETs an empty form
        body_schema = _schema_of(doc, schema)
        envelope = None
        props = body_schema.get("properties") or {}
        if list(props) == ["data"] and _schema_of(doc, props["data"]).get("properties"):
            envelope, body_schema = "data", _schema_of(doc, props["data"])    # {data: {...}} bodies (Asana)
        required = set(body_schema.get("required") or [])
        body: dict[str, Any] = {}
        for name, prop in (body_schema.get("properties") or {}).items():
            if _schema_of(doc, prop).get("readOnly"):
                continue
            input_name = name if name not in inputs and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) \
                else snake(f"body_{name}")
            inputs[input_name] = field_spec(doc, prop, required=name in required)
            body[name] = f"{{{input_name}}}"
        if body:
            action["body"] = {envelope: body} if envelope else body
        elif body_schema:
            review.append(f"{key}: the body is not an object with properties: write its template by hand")
        media = op.media_types()
        if media and all(m == "application/x-www-form-urlencoded" or m.startswith("multipart/") for m in media):
            action["body_encoding"] = "form"
    for name, spec in inputs.items():
        if spec.get("required") and "example" not in spec:
            spec["example"] = _placeholder(spec)
            review.append(f"{key}.{name}: required, the definition gives no example: {spec['example']!r} invented")
    if inputs:
        action["inputs"] = inputs
    root, outputs = _outputs(op)
    if root:
        action["output_root"] = root
    if outputs:
        action["outputs"] = outputs
    else:
        review.append(f"{key}: the success response declares no object schema: no outputs drafted")
    return key, action


def draft_entry(spec_path: Path, operations: list[str], *, name: str, category: str,
                check: str | None = None) -> Draft:
    doc = load_definition(spec_path)
    ops = document_operations(doc, spec_path.name)
    if not operations:
        raise InvalidInput("name at least one --operation 'METHOD /path'")
    chosen = [find_operation(ops, wanted) for wanted in operations]
    checked = find_operation(ops, check) if check else None
    auth, review = _auth(doc, [*chosen, *([checked] if checked else [])])
    base_url, fields, more = _base_url(doc)
    review += more
    if auth["method"] in ("api_key",) or "api_key" in auth.get("alternatives", []):
        fields["api_key"] = {"title": "API key", "secret": True, "mappable": False, "example": "xxxxxxxx"}
    elif auth["method"] == "basic":
        fields.update({"username": {"title": "Username", "mappable": False, "example": "xxxx"},
                       "password": {"title": "Password", "secret": True, "mappable": False, "example": "xxxx"}})
    entry: dict[str, Any] = {"name": name, "category": category}
    if doc.get("externalDocs", {}).get("url"):
        entry["docs_url"] = doc["externalDocs"]["url"]
    if base_url:
        entry["base_url"] = base_url
    entry["auth"] = auth
    if fields:
        entry["connection_fields"] = fields
    if checked:
        entry["check"] = {"method": checked.method, "path": checked.template}
    else:
        review.append("no --check: name the cheapest authenticated read (a who-am-I)")
    review.append("rate_limits and the http block (limit headers, error codes) are not in definitions: "
                  "take them from the provider's docs")
    actions = {}
    for op in chosen:
        key, action = draft_action(op, review)
        actions[key] = action
    entry["actions"] = actions
    return Draft(entry, review)


# ----------------------------------------------------------------------------------- beside the catalog entry
@dataclass(frozen=True)
class ActionComparison:
    action: str                      # the catalog's action key
    drafted_as: str | None           # the draft's key for the same method and path (None: not drafted)
    inputs_kept: int
    inputs_added: list[str]          # in the catalog, not in the draft: written by hand
    inputs_dropped: list[str]        # in the draft, left out of the catalog
    outputs_kept: int
    outputs_added: list[str]
    outputs_dropped: list[str]


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


_TEMPLATE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def request_fields(method: str, path: str, query: dict[str, Any], body: Any, inputs: Any) -> dict[str, str]:
    """What a person's inputs fill in the request, by where they land (so a renamed input, ``cancellationReason``
    filled from ``cancellation_reason``, is the same field): ``path#0`` for the first path placeholder,
    ``query.x``, and ``body.a.b`` for a body leaf; -> the input that fills it."""
    fields: dict[str, str] = {}
    placed = set()
    for n, name in enumerate(re.findall(r"\{([^}]+)\}", path)):
        fields[f"path#{n}"] = name
        placed.add(name)

    def leaves(value: Any, at: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                leaves(v, f"{at}.{k}" if k != "..." else at)
        elif isinstance(value, list):
            for v in value:
                leaves(v, at)
        elif isinstance(value, str) and _TEMPLATE.match(value):
            fields[at] = _TEMPLATE.match(value).group(1)        # type: ignore[union-attr]
            placed.add(fields[at])

    leaves(query or {}, "query")
    leaves(body, "body")
    for name in inputs:       # the rest go to the query (GET/DELETE) or a flat body, under their own names
        if name not in placed:
            fields[f"{'query' if method in ('GET', 'DELETE') or body is not None else 'body'}.{name}"] = name
    return fields


def compare(draft: Draft, catalog_actions: dict[str, Any]) -> list[ActionComparison]:
    """Each catalog action beside the drafted operation with the same method and path (placeholders aside):
    inputs compared by the request field they fill, outputs by where they are read."""
    drafted = {(a["method"], _norm(a["path"])): (k, a) for k, a in draft.entry["actions"].items()}
    rows = []
    for key, spec in catalog_actions.items():
        found = drafted.get((spec.method, _norm(spec.path or "")))
        d = found[1] if found else {}
        d_fields = request_fields(spec.method or "GET", d.get("path", ""), {}, d.get("body"), d.get("inputs") or {}) \
            if found else {}
        c_fields = request_fields(spec.method or "GET", spec.path or "", spec.query, spec.body, spec.inputs)
        d_outputs = set(d.get("outputs") or {})
        d_paths = {v.get("path", k) for k, v in (d.get("outputs") or {}).items()}
        c_outputs = {k: (f.path or k) for k, f in spec.outputs.items()}
        out_kept = {k for k, p in c_outputs.items() if k in d_outputs or p in d_paths or p.split(".")[0] in d_paths}
        rows.append(ActionComparison(
            key, found[0] if found else None, len(set(c_fields) & set(d_fields)),
            sorted(c_fields[f] for f in set(c_fields) - set(d_fields)),
            sorted(d_fields[f] for f in set(d_fields) - set(c_fields)), len(out_kept),
            sorted(set(c_outputs) - out_kept), sorted(d_outputs - set(c_outputs) - set(c_outputs.values()))))
    return rows
