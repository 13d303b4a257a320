"""Provider quirks of the OAuth flow that data cannot say; the catalog names them (``auth.token_hook``).

- ``hubspot_token_errors``: HubSpot's token endpoint answers errors as ``{"status": "BAD_REFRESH_TOKEN",
  "message": ..., "correlationId": ...}`` rather than RFC 6749 ``{"error": "invalid_grant"}`` (B: from
  memory; the v1 OAuth spec in shared/specs/hubspot only says "default: Error"). We translate them so
  authlib raises ``invalid_grant`` like every other provider.
- ``wordpress_com``: a WordPress.com token is per blog; its API base is
  ``https://public-api.wordpress.com/wp/v2/sites/{blog_id}`` (providers.md: V2), not ``{site_url}/wp-json``.
- ``mailchimp_metadata``: Mailchimp tokens do not say which data centre the account lives in; the
  metadata endpoint does (``GET https://login.mailchimp.com/oauth2/metadata`` with
  ``Authorization: OAuth <token>``, answering ``dc``, ``accountname``, ``api_endpoint``; the header form
  and fields are B in providers.md). The connection check uses the same call and header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# HubSpot token error statuses (B) -> RFC 6749 error codes.
_HUBSPOT_ERRORS = {"BAD_REFRESH_TOKEN": "invalid_grant", "BAD_AUTH_CODE": "invalid_grant",
                   "BAD_REDIRECT_URI": "invalid_grant", "BAD_CLIENT_ID": "invalid_client",
                   "BAD_CLIENT_SECRET": "invalid_client", "BAD_GRANT_TYPE": "unsupported_grant_type"}


class _JsonResponse:
    """The token response with a translated body, shaped like what authlib reads from an httpx2 response."""

    def __init__(self, response: Any, body: dict[str, Any]) -> None:
        self._response, self._body, self.status_code = response, body, response.status_code

    def json(self) -> dict[str, Any]:
        return self._body

    def raise_for_status(self) -> Any:
        return self._response.raise_for_status()


def _hubspot_errors(response: Any) -> Any:
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        return response
    if isinstance(body, dict) and "error" not in body and body.get("status") in _HUBSPOT_ERRORS:
        body = {**body, "error": _HUBSPOT_ERRORS[body["status"]], "error_description": body.get("message", "")}
        return _JsonResponse(response, body)
    return response


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


def _mailchimp_metadata(token: dict[str, Any], ctx: HookContext) -> HookResult:
    url = ctx.url("https://login.mailchimp.com/oauth2/metadata")
    meta = ctx.get_json(url, {"Authorization": f"OAuth {token['access_token']}"})
    keep = {k: meta[k] for k in ("dc", "accountname", "api_endpoint", "login_url") if k in meta}
    return HookResult(keep, {"dc": meta["dc"]} if meta.get("dc") else {})


def _wordpress_com(token: dict[str, Any], ctx: HookContext) -> HookResult:
    blog = token.get("blog_id")
    return HookResult(base_url=f"https://public-api.wordpress.com/wp/v2/sites/{blog}" if blog else None)


@dataclass(frozen=True)
class TokenHook:
    provides: frozenset[str] = frozenset()
    normalize: Callable[[Any], Any] | None = None
    after_token: Callable[[dict[str, Any], HookContext], HookResult] | None = None
    check_template: str | None = None       # header value template for the check call, e.g. "OAuth {token}"
    extra: dict[str, Any] = field(default_factory=dict)


HOOKS: dict[str, TokenHook] = {
    "hubspot_token_errors": TokenHook(normalize=_hubspot_errors),
    "mailchimp_metadata": TokenHook(provides=frozenset({"dc"}), after_token=_mailchimp_metadata,
                                    check_template="OAuth {token}"),
    "wordpress_com": TokenHook(provides=frozenset({"site_url"}), after_token=_wordpress_com),
}


def get_hook(name: str | None) -> TokenHook:
    if name is None:
        return TokenHook()
    if name not in HOOKS:
        raise KeyError(f"catalog names token_hook {name!r}, which services/credentials/oauth_hooks.py lacks")
    return HOOKS[name]


def hook_provides(name: str | None) -> frozenset[str]:
    return get_hook(name).provides
