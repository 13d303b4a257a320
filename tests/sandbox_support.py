"""Helpers of the provider-sandbox tests (tests/test_sandbox_*.py): the catalog's example requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.catalog import load_catalog
from services.runtime.executors.declarative import fill


def render(template: Any, inputs: dict[str, Any]) -> Any:
    """A catalog template filled with example values, as the declarative executor fills it."""
    return fill(template, inputs, {})


def examples(slug: str, action: str) -> tuple[str, str, Any]:
    """(method, path, body) of a catalog action rendered with its inputs' and connection fields' examples."""
    integration = load_catalog().get(slug)
    spec = integration.actions[action]
    values = {k: v.example for k, v in integration.connection_fields.items()}
    values.update({k: v.example for k, v in spec.inputs.items()})
    return spec.method, render(spec.path, values), render(spec.body, values) if spec.body is not None else None


@contextmanager
def sandbox_client(*providers: Any) -> Iterator[Any]:
    """A test client serving these sandbox providers' routes, with every sandbox's state, rate limits and fault
    switches cleared before and after."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from services.sandbox import faults, limits, store

    def clear() -> None:
        faults.clear()
        store.reset_all()
        limits.reset_all()

    clear()
    try:
        with TestClient(Starlette(routes=[p.mount() for p in providers])) as client:
            yield client
    finally:
        clear()
