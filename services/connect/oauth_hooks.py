"""Provider quirks of the OAuth flow that data cannot say, found in the provider's folder.

A provider's ``services/providers/<slug>/connect.py`` declares ``CONNECT = ConnectHooks(token=TokenHook(...))``
(services/connect/hooks.py); the OAuth flow, the importer and the checks ask ``get_hook(slug)`` for it. The
hook types stay generic: ``TokenHook`` (``normalize`` a token-endpoint error body for authlib, ``after_token``
to fill connection fields with a ``HookContext``, answering a ``HookResult``, and the check call's header form
``check_template``).
"""

from __future__ import annotations

from services.connect.hooks import HookContext, HookResult, JsonResponse, TokenHook, hooks_for

__all__ = ["HookContext", "HookResult", "JsonResponse", "TokenHook", "get_hook", "hook_provides"]


def get_hook(slug: str) -> TokenHook:
    """The OAuth token hook of the integration ``slug`` (the empty hook when its folder declares none)."""
    return hooks_for(slug).token


def hook_provides(slug: str) -> frozenset[str]:
    """Connection fields the provider's token hook fills after the token exchange."""
    return get_hook(slug).provides
