"""Form bodies (``application/x-www-form-urlencoded``) with bracketed keys, both ways.

``flatten`` turns nested values into bracketed form fields, OpenAPI's ``deepObject`` style with list
indices (``line_items[0][price]=price_1``; booleans as ``true``/``false``, None dropped); ``parse`` turns
a form body back into nested dicts (PHP style, ``data[merges][FNAME]=Jane``), and with ``lists=True``
a dict whose keys are all indices becomes a list. Values stay strings: coercing them to a schema's types
is the reader's business (services/sandbox/openapi.py). Nothing here names a provider.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

MAX_FIELDS = 1000
_SPLIT = re.compile(r"[\[\]]+")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested values as bracketed form fields: ``{"a": {"b": [1]}}`` -> ``{"a[b][0]": "1"}``. An empty
    dict or list sends nothing (``metadata: {}``); None values are dropped."""
    out: dict[str, str] = {}
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if item is None:
            continue
        if isinstance(item, dict):
            out.update(flatten(item, name))
        elif isinstance(item, list | tuple):
            out.update(flatten({str(i): v for i, v in enumerate(item)}, name))
        else:
            out[name] = _scalar(item)
    return out


def nest(pairs: list[tuple[str, str]] | dict[str, str]) -> dict[str, Any]:
    """Bracketed field names as nested dicts (the last value of a repeated field wins)."""
    out: dict[str, Any] = {}
    for key, value in pairs.items() if isinstance(pairs, dict) else pairs:
        parts = [p for p in _SPLIT.split(key) if p] or [key]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return out


def as_lists(value: Any) -> Any:
    """Dicts whose keys are all list indices (``{"0": .., "1": ..}``) as lists, in index order, at any depth."""
    if isinstance(value, dict):
        items = {k: as_lists(v) for k, v in value.items()}
        if items and all(k.isdigit() for k in items):
            return [items[k] for k in sorted(items, key=int)]
        return items
    return value


def parse(body: bytes | str, *, lists: bool = False, strict: bool = True) -> dict[str, Any]:
    """A form body as nested dicts (``lists``: index-keyed dicts as lists). Malformed bodies raise
    ValueError when ``strict``; more than ``MAX_FIELDS`` fields always do."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    nested = nest(parse_qsl(text, keep_blank_values=True, strict_parsing=strict, max_num_fields=MAX_FIELDS))
    return as_lists(nested) if lists else nested


class FormFields(dict[str, str]):
    """Form fields as received or sent (flat, bracketed names): marks a body as form-encoded rather than
    JSON, so a validator decodes it (``nested``) and coerces the strings to the schema's types."""

    def nested(self) -> dict[str, Any]:
        return as_lists(nest(dict(self)))
