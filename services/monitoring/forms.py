"""The credential-test action form, drawn from the action's input JSON Schema (services/executors/schemas.py)
and pre-filled with the catalog's sample values; and the typed values back from what staff typed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.catalog import load_catalog
from services.core.errors import InvalidInput
from services.runtime.executors.schemas import json_schemas, sample_inputs


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    kind: str                 # text | integer | number | boolean | choice | json | datetime
    required: bool
    default: Any              # the sample value (None when the catalog has none)
    options: tuple[str, ...] = ()
    description: str | None = None
    format: str | None = None  # email, url, date-time


@dataclass(frozen=True)
class ActionChoice:
    key: str
    title: str
    writes: bool              # test mode builds the request without sending it

    @property
    def label(self) -> str:
        return f"{self.title} ({'write' if self.writes else 'read'})"


def actions(service: str) -> list[ActionChoice]:
    """The integration's catalog actions, reads first."""
    spec = load_catalog().get(service)
    out = [ActionChoice(k, a.title, (a.method or "POST") != "GET") for k, a in spec.actions.items()]
    return sorted(out, key=lambda a: (a.writes, a.title.lower()))


def _variant(prop: dict[str, Any]) -> dict[str, Any]:
    for option in prop.get("anyOf", []):
        if option.get("type") != "null":
            return {**prop, **option}
    return prop


def form_fields(service: str, action: str) -> list[FormField]:
    """One field per input property, in schema order, each pre-filled with its sample value."""
    schema = json_schemas(service, action)["input"]
    samples = sample_inputs(service, action)
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        v = _variant(prop)
        kind = {"integer": "integer", "number": "number", "boolean": "boolean", "object": "json",
                "array": "json"}.get(v.get("type", ""), "text")
        if v.get("enum"):
            kind = "choice"
        elif v.get("format") == "date-time":
            kind = "datetime"
        fields.append(FormField(name, str(prop.get("title") or name), kind, name in required, samples.get(name),
                                tuple(str(o) for o in v.get("enum", ())), prop.get("description"), v.get("format")))
    return fields


def as_text(field: FormField, value: Any) -> str:
    """How a value is shown in a text box (JSON for objects and arrays)."""
    if value is None:
        return ""
    if field.kind == "json":
        return json.dumps(value)
    return str(value)


def coerce(fields: list[FormField], raw: dict[str, Any]) -> dict[str, Any]:
    """Typed inputs from the form; blanks are left out (the executor's validation names missing required ones)."""
    out: dict[str, Any] = {}
    problems = []
    for f in fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            if f.kind == "json":
                out[f.name] = json.loads(value) if isinstance(value, str) else value
            elif f.kind == "integer":
                out[f.name] = int(str(value).strip())
            elif f.kind == "number":
                out[f.name] = float(str(value).strip())
            elif f.kind == "boolean":
                out[f.name] = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
            else:
                out[f.name] = str(value).strip() if isinstance(value, str) else value
        except (ValueError, TypeError):
            expected = {"json": "JSON", "integer": "a whole number", "number": "a number"}[f.kind]
            problems.append(f"{f.title}: expected {expected}")
    if problems:
        raise InvalidInput("; ".join(problems))
    return out
