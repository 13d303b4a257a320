"""The default executor: builds the request from the catalog's templates (rules in
services/catalog/spec.py) and maps the response onto the action's output fields (``output_root`` and each
output's ``path``, dotted paths into the response body). The body goes as JSON or, with ``body_encoding:
form``, as bracketed form fields (services/core/forms.py); the integration's ``http.headers`` and the action's
``headers`` are filled from the inputs and the connection's fields; ``idempotency_key: true`` adds a fresh key
(``http.idempotency_header``), which makes the write safe to retry. An action's own ``base_url`` (another host)
makes its path an absolute URL."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from services.catalog import ActionSpec, FieldSpec, IntegrationSpec
from services.core import forms
from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.provider_errors import ValidationFailed

_WHOLE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_PART = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING = object()


def _value(name: str, inputs: dict[str, Any], config: dict[str, Any]) -> Any:
    if name in inputs and inputs[name] is not None:
        return inputs[name]
    if name in config and config[name] not in (None, ""):
        return config[name]
    return _MISSING


SPREAD = "..."   # a body key whose object input is merged into its object: {name: "{name}", ...: "{more}"}


def fill(template: Any, inputs: dict[str, Any], config: dict[str, Any]) -> Any:
    """Fill a JSON template: "{x}" alone keeps x's type (and drops its key when x is absent); a ``"..."`` key's
    object is merged into the object holding it, so required keys can be inputs of their own beside free-form
    ones (Webflow's fieldData: name and slug required, the collection's other fields free)."""
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole:
            return _value(whole.group(1), inputs, config)

        def part(match: re.Match[str]) -> str:
            value = _value(match.group(1), inputs, config)
            return "" if value is _MISSING else str(value)
        return _PART.sub(part, template)
    if isinstance(template, dict):
        filled = {k: fill(v, inputs, config) for k, v in template.items()}
        extra = filled.pop(SPREAD, _MISSING)
        named = {k: v for k, v in filled.items() if v is not _MISSING}
        if extra is _MISSING:
            return named
        if not isinstance(extra, dict):
            raise ValidationFailed(f"{template[SPREAD]} must be an object of fields, not {type(extra).__name__}")
        return {**extra, **named}     # the template's named keys win over the free-form ones
    if isinstance(template, list):
        return [v for v in (fill(x, inputs, config) for x in template) if v is not _MISSING]
    return template


def build_path(action: ActionSpec, inputs: dict[str, Any], config: dict[str, Any]) -> tuple[str, set[str]]:
    """The path with placeholders filled (URL-quoted); names used."""
    used: set[str] = set()

    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        value = _value(name, inputs, config)
        if value is _MISSING:
            raise ValidationFailed(f"{name}: required to build the {action.title} request")
        used.add(name)
        return quote(str(value), safe="@")
    return _PART.sub(part, action.path or ""), used


def build_request(action: ActionSpec, inputs: dict[str, Any], config: dict[str, Any],
                  spec: IntegrationSpec | None = None) -> dict[str, Any]:
    """method, path, params, and the body as ``json`` or (form encoding) flattened ``data``; ``headers``."""
    path, used = build_path(action, inputs, config)
    if action.base_url:   # an absolute base of its own (another host): the client sends absolute URLs as they are
        path = str(fill(action.base_url, {}, config)).rstrip("/") + path
    params = {k: v for k, v in fill(action.query, inputs, config).items() if v not in (None, "")}
    body = None
    used |= set(_PART.findall(str(action.query)))   # an input a ``query`` template places is not sent again
    rest = {k: v for k, v in inputs.items() if k not in used and v is not None}
    if action.body is not None:
        body = fill(action.body, inputs, config)
    elif action.method in ("GET", "DELETE"):
        params.update(rest)
    else:
        body = rest
    http = spec.http if spec is not None else None
    templates = {**(http.headers if http else {}), **action.headers}
    headers = {k: str(v) for k, v in fill(templates, inputs, config).items() if v not in (None, "")}
    if action.idempotency_key and http is not None and http.idempotency_field:   # in the body (Square)
        if body is not None and not isinstance(body, dict):
            raise ValidationFailed(f"{action.title}: an idempotency key field needs an object body")
        body = {**(body or {}), http.idempotency_field: (body or {}).get(http.idempotency_field) or str(uuid.uuid4())}
    elif action.idempotency_key:
        headers[http.idempotency_header if http else "Idempotency-Key"] = str(uuid.uuid4())
    encoding = action.body_encoding or (http.body_encoding if http else "json")
    if encoding == "json" and body is not None and http is not None and http.content_type:
        headers.setdefault("Content-Type", http.content_type)     # e.g. JSON:API application/vnd.api+json
    if encoding == "form" and body is not None:
        if not isinstance(body, dict):
            raise ValidationFailed(f"{action.title}: a form body must be an object of fields")
        return {"method": action.method, "path": path, "params": params or None, "json": None,
                "data": forms.flatten(body), "headers": headers}
    return {"method": action.method, "path": path, "params": params or None, "json": body, "data": None,
            "headers": headers}


def preview_output(outputs: dict[str, FieldSpec]) -> dict[str, Any]:
    """What a write would map, from the output schema's examples (test mode sends nothing)."""
    placeholder = {"string": "…", "integer": 0, "number": 0, "boolean": True, "array": [], "object": {}}
    return {k: f.example if f.example is not None else placeholder.get(f.type, "…") for k, f in outputs.items()}


def pick(value: Any, path: str | None) -> Any:
    """The value at a dotted path (``data.id``; a number indexes a list), or None where the path ends."""
    for key in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def map_output(outputs: dict[str, FieldSpec], body: Any, root: str | None = None) -> dict[str, Any]:
    """Pick the declared output fields from the response, below ``root`` and at each field's ``path``
    (default its key). A list or scalar where the outputs are read from becomes the first output."""
    if not outputs:
        return {}
    found = pick(body, root)
    if not isinstance(found, dict):
        return {next(iter(outputs)): found}
    return {k: pick(found, f.path or k) for k, f in outputs.items()}


def run_declarative(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    request = build_request(ctx.action, inputs, ctx.config, ctx.spec)
    response = ctx.client.request(request["method"], request["path"], params=request["params"],
                                  json=request["json"], data=request["data"], headers=request["headers"] or None,
                                  idempotent=ctx.action.idempotent or ctx.action.idempotency_key)
    if response is None:   # test mode, write action
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = response.json() if response.content and "json" in response.headers.get("content-type", "") \
        else (response.text or None)
    from_body = {k: f for k, f in ctx.action.outputs.items() if f.header is None}
    output = map_output(from_body, body, ctx.action.output_root)
    output.update({k: response.headers.get(f.header) for k, f in ctx.action.outputs.items()   # ``header:`` outputs
                   if f.header is not None})
    return ActionOutcome({k: output.get(k) for k in ctx.action.outputs})
