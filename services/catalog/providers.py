"""The provider folders: ``services/providers/<slug>/``, found by scanning, never by a hand-kept list.

A provider folder is a package whose ``__init__.py`` sets ``SLUG`` (the catalog key; folder names use
``_`` where the slug has ``-``). What a provider needs beyond its catalog entry lives in well-known
modules of its folder, each optional, each exposing one constant that the generic code asks for by name:

=================  ===============  ==============================================================
module             constant         used by
=================  ===============  ==============================================================
``sandbox``        ``SANDBOX``      services.sandbox (the offline stand-in, ``SandboxProvider``)
``connect``        ``CONNECT``      services.connect (``ConnectHooks``: token quirks, check overrides)
``webhooks``       ``WEBHOOKS``     services.webhooks (``WebhookHooks``: signatures, events, subscribe)
``executors``      (decorators)     services.runtime.executors (hand-written executors register on import)
``fixtures``       ``FIXTURE``      demo data, benchmarks and the contract suite (sandbox secrets, config)
``demo``           ``DEMO``         services.demo (where the demo puts this integration)
=================  ===============  ==============================================================

The generic code calls ``part(slug, module, constant)`` at run time; the folders import the generic code,
never the other way round, so no provider name appears outside the catalog and its folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from functools import cache
from types import ModuleType
from typing import Any

PACKAGE = "services.providers"
_lock = threading.RLock()


@cache
def folders() -> dict[str, ModuleType]:
    """Every provider folder by slug (imported once; the order is the folders' names)."""
    package = importlib.import_module(PACKAGE)
    found: dict[str, ModuleType] = {}
    with _lock:
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.ispkg:
                continue
            module = importlib.import_module(f"{PACKAGE}.{info.name}")
            slug = getattr(module, "SLUG", None)
            if not isinstance(slug, str):
                raise RuntimeError(f"{PACKAGE}.{info.name} must set SLUG to its catalog key")
            if slug in found:
                raise RuntimeError(f"two provider folders claim {slug!r}")
            found[slug] = module
    return found


def folder_name(slug: str) -> str:
    return slug.replace("-", "_")


@cache
def _module(slug: str, name: str) -> ModuleType | None:
    package = folders().get(slug)
    if package is None:
        return None
    qualified = f"{package.__name__}.{name}"
    with _lock:
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)


def part(slug: str, module: str, constant: str) -> Any | None:
    """``services/providers/<slug>/<module>.py``'s ``constant``, or None when the provider has none."""
    found = _module(slug, module)
    return getattr(found, constant, None) if found is not None else None


def parts(module: str, constant: str) -> dict[str, Any]:
    """``constant`` of every provider whose folder has ``<module>.py`` defining it, by slug."""
    out: dict[str, Any] = {}
    for slug in folders():
        value = part(slug, module, constant)
        if value is not None:
            out[slug] = value
    return out


def load_all(module: str) -> list[str]:
    """Import ``<module>.py`` of every folder that has one (e.g. executors registering themselves)."""
    return [slug for slug in folders() if _module(slug, module) is not None]


def load_prefixed(slug: str, prefix: str) -> list[str]:
    """Import every ``<prefix>*.py`` module of one folder (add-ons that register themselves on import)."""
    package = folders().get(slug)
    if package is None:
        return []
    names = sorted(i.name for i in pkgutil.iter_modules(package.__path__) if i.name.startswith(prefix))
    return [name for name in names if _module(slug, name) is not None]
