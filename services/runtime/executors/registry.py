"""The executor registry: (service, action) -> executor. Hand-written executors register with
``@executor``; every other catalog action with a method and path runs on the declarative executor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from services.catalog import load_catalog, providers
from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import run_declarative

Executor = Callable[[ActionContext, dict[str, Any]], ActionOutcome]
Kind = Literal["declarative", "hand-written"]
_HAND_WRITTEN: dict[tuple[str, str], Executor] = {}
# Executors referenced by name in the catalog (`executor: <name>`) -> the function.
_BY_NAME: dict[str, Executor] = {}


def executor(service: str, action: str, *, name: str | None = None) -> Callable[[Executor], Executor]:
    """Register a hand-written executor for one (service, action); duplicates are an error at import."""
    def register(fn: Executor) -> Executor:
        key = (service, action)
        if key in _HAND_WRITTEN:
            raise RuntimeError(f"executor already registered for {key}")
        _HAND_WRITTEN[key] = fn
        if name:
            _BY_NAME.setdefault(name, fn)
        return fn
    return register


def _load_hand_written() -> None:
    # Importing each provider folder's executors.py runs its @executor decorators.
    providers.load_all("executors")


def resolve(service: str, action: str) -> tuple[Kind, Executor]:
    """The executor for a catalog action; KeyError when the action has none."""
    _load_hand_written()
    spec = load_catalog().get(service)
    if action not in spec.actions:
        raise KeyError(f"{spec.name} has no action {action!r}; actions: {', '.join(spec.actions)}")
    if (service, action) in _HAND_WRITTEN:
        return "hand-written", _HAND_WRITTEN[(service, action)]
    declared = spec.actions[action]
    if declared.executor is None and declared.method and declared.path:
        return "declarative", run_declarative
    raise KeyError(f"no executor registered for {service}.{action}"
                   + (f" (the catalog names {declared.executor!r})" if declared.executor else ""))


def registered() -> frozenset[tuple[str, str]]:
    """Every (service, action) of the catalog that has an executor (declarative or hand-written)."""
    found = set()
    for spec in load_catalog():
        for action in spec.actions:
            try:
                resolve(spec.slug, action)
            except KeyError:
                continue
            found.add((spec.slug, action))
    return frozenset(found)


def kind_of(service: str, action: str) -> Kind | None:
    try:
        return resolve(service, action)[0]
    except KeyError:
        return None
