"""Building blocks for an OpenAPI document declared in Python, for a provider that publishes no definition file
(the stand-in serves it and the contract suite checks requests against it: services/sandbox/standin.py)."""

from __future__ import annotations

from typing import Any


def schema(kind: str, example: Any = ..., **more: Any) -> dict[str, Any]:
    """A schema of one JSON type, with the example the stand-in answers (``...`` = none)."""
    return {"type": kind, **({} if example is ... else {"example": example}), **more}


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    """An object schema with these properties, the ``required`` ones named."""
    return {"type": "object", **({"required": required} if required else {}), "properties": properties}


def answer(body: dict[str, Any], status: str = "200") -> dict[str, Any]:
    """An operation's ``responses``: one JSON answer."""
    return {status: {"description": "OK", "content": {"application/json": {"schema": body}}}}
