"""Node configuration and input/output handles (seed Step 2) as pydantic models from the catalog.

Node config, in the seed's shape: ``{service, config, credentials_ref}``; ``config`` may preset any
action input. The input handle holds the mappable inputs (what flows in from earlier nodes), the output
handle the action's outputs. `layers-hub executors schema SLUG ACTION` prints their JSON Schemas.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from services.catalog import FieldSpec, load_catalog
from services.runtime.provider_errors import ValidationFailed

_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "email": str,
                          "url": str, "datetime": datetime, "object": dict[str, Any], "array": list[Any]}
_PATTERNS = {"email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "url": r"^https?://"}


def _field(spec: FieldSpec, *, required: bool) -> tuple[Any, Any]:
    annotation = _TYPES[spec.type]
    if spec.enum:
        annotation = Literal[tuple(spec.enum)]
    extra = {"mappable": spec.mappable} | ({"format": spec.type} if spec.type in ("email", "url") else {})
    kwargs: dict[str, Any] = {"title": spec.title, "description": spec.description,
                              "examples": [spec.example] if spec.example is not None else None,
                              "json_schema_extra": extra}
    pattern = spec.pattern or _PATTERNS.get(spec.type)
    if pattern and spec.type in ("string", "email", "url") and not spec.enum:
        kwargs["pattern"] = pattern
    if required:
        return annotation, Field(..., **kwargs)
    return annotation | None, Field(None, **kwargs)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=256)
def models(service: str, action: str) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """(node config, input handle, output handle) models for one catalog action."""
    spec = load_catalog().get(service)
    act = spec.actions[action]
    name = f"{spec.slug.replace('-', '_').title().replace('_', '')}{act.key.title().replace('_', '')}"
    config = create_model(f"{name}Config", __base__=_Strict,
                          **{k: _field(f, required=False) for k, f in act.inputs.items()})  # type: ignore[call-overload]
    slug_type: Any = Literal[spec.slug]   # a Literal of a run-time value: a type form only pydantic reads
    node = create_model(f"{name}Node", __base__=_Strict, service=(slug_type, spec.slug),
                        config=(config, Field(default_factory=config)),
                        credentials_ref=(str, Field(..., description="Reference to stored credentials "
                                                                     "(a connection id)")))
    inputs = create_model(f"{name}Input", __base__=_Strict,
                          **{k: _field(f, required=f.required) for k, f in act.inputs.items()})  # type: ignore[call-overload]
    outputs = create_model(f"{name}Output", **{k: _field(f, required=False) for k, f in act.outputs.items()})  # type: ignore[call-overload]
    return node, inputs, outputs


def json_schemas(service: str, action: str) -> dict[str, Any]:
    node, inputs, outputs = models(service, action)
    return {"node_config": node.model_json_schema(), "input": inputs.model_json_schema(),
            "output": outputs.model_json_schema()}


def validate_inputs(service: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validated inputs (None dropped); ValidationFailed names every bad field."""
    _, inputs, _ = models(service, action)
    try:
        model = inputs.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors())
        raise ValidationFailed(f"invalid input: {problems}") from None
    return {k: v for k, v in model.model_dump(mode="json").items() if v is not None}


def sample_inputs(service: str, action: str) -> dict[str, Any]:
    """Example values for every input that has one (the credential-test form starts from these)."""
    act = load_catalog().get(service).actions[action]
    return {k: f.example for k, f in act.inputs.items() if f.example is not None}
