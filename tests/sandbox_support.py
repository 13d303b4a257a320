"""Helpers of the provider-sandbox tests (tests/test_sandbox_*.py): the catalog's example requests."""

from __future__ import annotations

import re
from typing import Any

from services.catalog import load_catalog


def render(template: Any, inputs: dict[str, Any]) -> Any:
    """A catalog template filled with example values ("{x}" alone keeps the value's JSON type)."""
    if isinstance(template, dict):
        return {k: render(v, inputs) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, inputs) for v in template]
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole:
            return inputs[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(inputs[m.group(1)]), template)
    return template


def examples(slug: str, action: str) -> tuple[str, str, Any]:
    """(method, path, body) of a catalog action rendered with its inputs' and connection fields' examples."""
    integration = load_catalog().get(slug)
    spec = integration.actions[action]
    values = {k: v.example for k, v in integration.connection_fields.items()}
    values.update({k: v.example for k, v in spec.inputs.items()})
    return spec.method, render(spec.path, values), render(spec.body, values) if spec.body is not None else None
