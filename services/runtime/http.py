"""THE HTTP layer: the only module of the project that imports httpx2.

Everything that talks to a provider (credential checks, OAuth token calls through authlib, later the
executors) gets its client from here, so retries, pacing and the API call log can be added in one
place. Tests inject ``MockTransport`` through ``transport=`` or call the sandbox on loopback.

Redirects are never followed (a redirect could point at a private address), and an optional
``url_guard`` re-checks every request URL just before it is sent (see services/netguard.py).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Generator
from functools import cache
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError

DEFAULT_TIMEOUT = 15.0
USER_AGENT = "LayersIntegrationHub/0.1"

# Re-exported so callers and tests never import httpx2 themselves.
HTTPError = httpx2.HTTPError
TransportError = httpx2.TransportError
ConnectError = httpx2.ConnectError
MockTransport = httpx2.MockTransport
Request = httpx2.Request
Response = httpx2.Response
Client = httpx2.Client
Auth = httpx2.Auth
BaseTransport = httpx2.BaseTransport
__all__ = ["OAuthError", "make_client", "oauth2_client", "TokenAuth", "HeaderAuth", "basic_auth"]


def _guard_hook(url_guard: Callable[[str], None]) -> Callable[[httpx2.Request], None]:
    def hook(request: httpx2.Request) -> None:
        url_guard(str(request.url))
    return hook


def make_client(base_url: str = "", *, auth: httpx2.Auth | None = None, transport: httpx2.BaseTransport | None = None,
                timeout: float = DEFAULT_TIMEOUT, headers: dict[str, str] | None = None,
                url_guard: Callable[[str], None] | None = None) -> httpx2.Client:
    """A client for one provider/connection. ``transport`` lets tests inject a MockTransport."""
    hooks: dict[str, list[Any]] = {"request": [_guard_hook(url_guard)] if url_guard else []}
    return httpx2.Client(base_url=base_url, auth=auth, transport=transport, timeout=timeout,
                         headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
                         follow_redirects=False, event_hooks=hooks, trust_env=False)


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS context each transport builds by default (no environment overrides, as our clients), built once per
    process to share between transports: building one costs ~15 ms of CPU."""
    return httpx2.create_ssl_context(trust_env=False)


def pooled_transport(max_connections: int, tls: ssl.SSLContext | None = None) -> httpx2.BaseTransport:
    """A connection pool to share between many short-lived clients, e.g. the checks of a health sweep."""
    return httpx2.HTTPTransport(verify=tls or tls_context(), trust_env=False,
                                limits=httpx2.Limits(max_connections=max_connections,
                                                     max_keepalive_connections=max_connections))


def oauth2_client(client_id: str, client_secret: str | None, *, redirect_uri: str | None = None,
                  scope: str | None = None, pkce: bool = False, token_endpoint_auth_method: str = "client_secret_post",
                  transport: httpx2.BaseTransport | None = None, timeout: float = DEFAULT_TIMEOUT,
                  url_guard: Callable[[str], None] | None = None) -> OAuth2Client:
    """authlib's OAuth 2.0 client (it is an httpx2.Client) built with our transport and guard."""
    hooks: dict[str, list[Any]] = {"request": [_guard_hook(url_guard)] if url_guard else []}
    return OAuth2Client(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, scope=scope,
                        code_challenge_method="S256" if pkce else None,
                        token_endpoint_auth_method=token_endpoint_auth_method,
                        transport=transport, timeout=timeout, event_hooks=hooks, follow_redirects=False,
                        trust_env=False, headers={"User-Agent": USER_AGENT})


def basic_auth(username: str, password: str) -> httpx2.Auth:
    return httpx2.BasicAuth(username, password)


class HeaderAuth(httpx2.Auth):
    """A static credential in one header (``Api-Token: <key>``, ``Authorization: Bearer <token>``)."""

    def __init__(self, header: str, value: str) -> None:
        self._header, self._value = header, value

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers[self._header] = self._value
        yield request


class QueryAuth(httpx2.Auth):
    """A credential in a query parameter (a few providers still want it there)."""

    def __init__(self, param: str, value: str) -> None:
        self._param, self._value = param, value

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.url = request.url.copy_merge_params({self._param: self._value})
        yield request


class TokenAuth(httpx2.Auth):
    """An OAuth access token that is refreshed once when the provider answers 401, then the call is retried.

    ``get_token()`` returns a fresh-enough token (refreshing before expiry); ``refresh(stale)`` forces a
    refresh unless another thread or process already replaced ``stale``. ``template`` formats the header.
    """

    requires_request_body = True   # the retried request resends the same body

    def __init__(self, get_token: Callable[[], str], refresh: Callable[[str], str], *,
                 header: str = "Authorization", template: str = "Bearer {token}") -> None:
        self._get, self._refresh, self._header, self._template = get_token, refresh, header, template

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        token = self._get()
        request.headers[self._header] = self._template.format(token=token)
        response = yield request
        if response.status_code == 401:
            response.read()
            request.headers[self._header] = self._template.format(token=self._refresh(token))
            yield request


SECRET_HEADERS = frozenset({"authorization", "api-token", "x-n8n-api-key", "x-make-apikey", "cookie",
                            "x-layers-webhook-secret",
                            "x-api-key", "api-key", "proxy-authorization"})


def redact_headers(headers: Any, secrets: Any = ()) -> dict[str, str]:
    """Headers safe to show or log: credential-bearing ones by name, and any header carrying one of the
    given secret values (an n8n Header Auth value, a custom key header), replaced by [redacted]."""
    values = [v for v in (secrets.values() if isinstance(secrets, dict) else secrets)
              if isinstance(v, str) and len(v) >= 6]
    return {k: ("[redacted]" if k.lower() in SECRET_HEADERS or any(x in v for x in values) else v)
            for k, v in dict(headers).items()}


def json_or_none(response: Any) -> Any:
    """A response's JSON body, or None when it has none (or it is not JSON)."""
    try:
        return response.json()
    except ValueError:
        return None
