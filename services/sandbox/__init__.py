"""The provider sandbox, served under ``/sandbox/<provider>/`` when HUB_SANDBOX=1.

Each provider folder's ``sandbox.py`` (``services/providers/<slug>/sandbox.py``) exposes ``SANDBOX``:
its OAuth server (the
top-10 OAuth providers), its API routes (the who-am-I calls and every endpoint the executors use, with
per-account state in ``store.py``, real limiters in ``limits.py`` and fault switches in ``faults.py``),
which real origins map to which sandbox paths, and default connection URLs.

A sandbox connection calls the real provider URLs rewritten onto the sandbox (``rewrite``), so the
catalog stays the single description of each provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from starlette.routing import Mount

from services.catalog import providers as folders
from services.core.config import load_settings
from services.sandbox import faults, oidc
from services.sandbox.common import SandboxProvider, sandbox_account

PREFIX = "/sandbox"
__all__ = ["PROVIDERS", "PREFIX", "mount", "providers", "rewrite", "root_url", "default_config", "sandbox_account"]


def providers() -> dict[str, SandboxProvider]:
    """Every provider folder's ``sandbox.SANDBOX``; its ``sandbox_*.py`` add-ons (e.g. webhook routes) load too."""
    found: dict[str, SandboxProvider] = folders.parts("sandbox", "SANDBOX")
    for slug in found:
        folders.load_prefixed(slug, "sandbox_")
    return found


def __getattr__(name: str) -> object:
    if name == "PROVIDERS":     # computed on first use: the folders import this package's modules
        return providers()
    raise AttributeError(name)


def mount(*, base_url: str | None = None, sign_in_directory: Iterable[tuple[str, str]] = ()) -> Mount:
    """The Starlette mount of every provider (services/routes.py adds it when the sandbox is on), plus the
    staff sign-in identity provider (``/sandbox/oidc/``, oidc.py) listing ``sign_in_directory`` (email, name)."""
    identity = oidc.provider(base_url or load_settings().base_url, sign_in_directory)
    return Mount(PREFIX, routes=[faults.ROUTE, Mount(oidc.PATH, routes=identity.routes()),
                                 *(Mount(f"/{slug}", routes=p.routes()) for slug, p in providers().items())])


def root_url(base_url: str) -> str:
    """The sandbox root of a Hub served at ``base_url`` (HUB_BASE_URL)."""
    return base_url.rstrip("/") + PREFIX


@lru_cache(maxsize=64)
def _pattern(origin: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(origin).replace(r"\*", "([^./]+)") + "(?=/|$|\\?)")


def rewrite(slug: str, url: str, base_url: str) -> str:
    """Map a real provider URL onto the sandbox; URLs already on the sandbox are returned as they are."""
    root = root_url(base_url)
    if url.startswith(root + "/"):
        return url
    stored = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?" + PREFIX + "/", url)
    if stored:   # a sandbox URL stored under another port or host: move it onto this server
        return root + "/" + url[stored.end():]
    provider = providers().get(slug)
    if provider is not None:
        for origin, sub in provider.origins.items():
            match = _pattern(origin).match(url)
            if match:
                target = sub.replace("*", match.group(1)) if match.groups() else sub
                return f"{root}/{slug}{target}{url[match.end():]}"
    raise ValueError(f"the {slug} sandbox has no stand-in for {url.split('?')[0]}")


def default_config(slug: str, base_url: str) -> dict[str, str]:
    """Connection URL fields of a sandbox connection (e.g. ActiveCampaign's account_url)."""
    provider = providers().get(slug)
    root = f"{root_url(base_url)}/{slug}"
    return {name: root + path for name, path in (provider.defaults if provider else {}).items()}


def has_sandbox(slug: str) -> bool:
    return slug in providers()
