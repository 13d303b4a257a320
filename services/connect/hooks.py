"""What a provider's connections need that its catalog entry cannot say: ``ConnectHooks``.

Each provider folder may declare ``CONNECT = ConnectHooks(...)`` in ``services/providers/<slug>/connect.py``;
the generic connect code asks ``hooks_for(slug)`` at run time and gets the empty ``ConnectHooks()`` for a
provider without one. Nothing here names a provider.

- ``token``: quirks of the OAuth token flow (``TokenHook``): an error-body translation for authlib, a call
  after the token exchange that fills connection fields (``after_token``), the header form of the check call.
- ``checks``: the check call per auth type where the catalog's single ``check`` does not fit that auth type.
- ``derive_config``: connection fields derived from the other form values (e.g. a field encoded in a key)
  when the form leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.catalog import RequestSpec
from services.catalog import providers as folders


@dataclass(frozen=True)
class HookContext:
    """What a hook may use: the effective URL of a provider URL (sandbox rewrite) and a client factory."""

    url: Callable[[str], str]
    get_json: Callable[[str, dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class HookResult:
    metadata: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None      # the connection's API base when the catalog template does not fit


@dataclass(frozen=True)
class TokenHook:
    provides: frozenset[str] = frozenset()  # connection fields after_token fills (the OAuth form omits them)
    normalize: Callable[[Any], Any] | None = None   # token-endpoint response -> RFC 6749-shaped response
    after_token: Callable[[dict[str, Any], HookContext], HookResult] | None = None
    check_template: str | None = None       # header value template for the check call, e.g. "OAuth {token}"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectHooks:
    token: TokenHook = field(default_factory=TokenHook)
    # auth type -> the check call used instead of the catalog's ``check`` for connections of that type
    checks: Mapping[str, RequestSpec] = field(default_factory=dict)
    # form values (secrets included) -> connection fields to fill where the form left them empty
    derive_config: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None


NO_HOOKS = ConnectHooks()


def hooks_for(slug: str) -> ConnectHooks:
    """``services/providers/<slug>/connect.py``'s ``CONNECT``, or the empty hooks."""
    found = folders.part(slug, "connect", "CONNECT")
    if found is None:
        return NO_HOOKS
    if not isinstance(found, ConnectHooks):
        raise TypeError(f"services/providers/{folders.folder_name(slug)}/connect.py: CONNECT must be ConnectHooks")
    return found


class JsonResponse:
    """A token response with a rewritten body, shaped like what authlib reads from an httpx2 response
    (for ``TokenHook.normalize``)."""

    def __init__(self, response: Any, body: dict[str, Any]) -> None:
        self._response, self._body, self.status_code = response, body, response.status_code

    def json(self) -> dict[str, Any]:
        return self._body

    def raise_for_status(self) -> Any:
        return self._response.raise_for_status()
