"""WordPress's connection quirks (services/connect/hooks.py).

A WordPress.com OAuth token is per blog; its API base is ``https://public-api.wordpress.com/wp/v2/sites/{blog_id}``
(providers.md: V2), not ``{site_url}/wp-json``.
"""

from __future__ import annotations

from typing import Any

from services.connect.hooks import ConnectHooks, HookContext, HookResult, TokenHook


def wordpress_com(token: dict[str, Any], ctx: HookContext) -> HookResult:
    blog = token.get("blog_id")
    return HookResult(base_url=f"https://public-api.wordpress.com/wp/v2/sites/{blog}" if blog else None)


CONNECT = ConnectHooks(token=TokenHook(provides=frozenset({"site_url"}), after_token=wordpress_com))
