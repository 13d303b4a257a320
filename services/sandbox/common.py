"""Building blocks of the provider sandbox: the credential rule and a configurable OAuth 2.0 server.

The sandbox credential rule (docs/credentials.md): an API key, password or token beginning ``sbx_`` is
accepted and the rest, up to the first ``.``, names the sandbox account (``sbx_acme`` and
``sbx_acme.Zx81...`` are both account ``acme``); anything else is rejected with the provider's real
error status and body. Tokens the sandbox issued itself also expire and can be revoked, so refresh
and re-authorization behave like the real thing.

State lives in process memory (one sandbox per server process); ``stats`` counts requests so tests
can assert, e.g., that twenty racing threads caused exactly one refresh.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.sandbox.schema_checks import Checks

Reason = Literal["bad_code", "bad_refresh", "bad_redirect", "bad_verifier", "bad_client", "bad_request",
                 "unsupported_grant"]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_RFC_ERRORS: dict[str, tuple[int, str]] = {
    "bad_code": (400, "invalid_grant"), "bad_refresh": (400, "invalid_grant"),
    "bad_redirect": (400, "invalid_grant"), "bad_verifier": (400, "invalid_grant"),
    "bad_client": (401, "invalid_client"), "bad_request": (400, "invalid_request"),
    "unsupported_grant": (400, "unsupported_grant_type"),
}


def sandbox_account(credential: str | None) -> str | None:
    """The sandbox account a credential names, or None when the sandbox must reject it."""
    if not credential or not credential.startswith("sbx_"):
        return None
    return re.sub(r"[^a-z0-9-]", "-", credential[4:].split(".", 1)[0].lower()) or "default"


def bearer(request: Request, scheme: str = "Bearer") -> str | None:
    value = request.headers.get("authorization", "")
    prefix = scheme.lower() + " "
    return value[len(prefix):].strip() if value.lower().startswith(prefix) else None


def basic(request: Request) -> tuple[str, str] | None:
    token = bearer(request, "Basic")
    if not token:
        return None
    try:
        user, _, password = base64.b64decode(token).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def rfc_error(reason: str, description: str) -> Response:
    status, code = _RFC_ERRORS[reason]
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


@dataclass
class _Grant:
    account: str
    client_id: str
    scope: str
    expires: float | None
    code: str | None = None
    revoked: bool = False


@dataclass
class OAuthServer:
    """An authorization server that behaves like one provider's in what the Hub relies on."""

    provider: str                              # display name on the authorize page
    authorize_path: str
    token_path: str
    access_ttl: int | None                     # seconds; None = tokens never expire
    refresh: Literal["none", "reuse", "rotate"] = "reuse"
    pkce: bool = False
    client_auth: Literal["post", "basic", "json"] = "post"
    expires_in: bool = True                    # Salesforce omits expires_in
    refresh_returns_token: bool = True         # Salesforce's refresh response has no refresh_token
    code_ttl: int = 600
    token_type: str = "bearer"
    revoke_path: str | None = None
    revoke_style: Literal["rfc7009", "token_in_path"] = "rfc7009"   # token_in_path: DELETE <revoke_path>, 204
    extras: Callable[[str, Request], dict[str, Any]] = lambda account, request: {}
    error: Callable[[str, str], Response] = rfc_error
    now: Callable[[], float] = time.time
    stats: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, dict[str, Any]] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant | None] = {}   # None = already used (rotation)

    # ------------------------------------------------------------------ routes
    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Route(self.authorize_path, self.authorize, methods=["GET", "POST"]),
                                   Route(self.token_path, self.token, methods=["POST"])]
        if self.revoke_path:
            methods = ["DELETE"] if self.revoke_style == "token_in_path" else ["POST"]
            routes.append(Route(self.revoke_path, self.revoke, methods=methods))
        return routes

    async def authorize(self, request: Request) -> Response:
        # The consent form posts text fields only: an uploaded file is no OAuth parameter.
        params = dict(request.query_params) if request.method == "GET" else {
            k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        redirect_uri, client_id = params.get("redirect_uri", ""), params.get("client_id", "")
        if not client_id.startswith("sbx_"):
            return self._page("Unknown application", f"client_id {client_id!r} is not a sandbox client "
                              "(sandbox client ids begin with sbx_).", status=400)
        if urlsplit(redirect_uri).scheme not in ("http", "https") or params.get("response_type") != "code":
            return self._page("Bad request", "redirect_uri must be an absolute URL and response_type=code.", 400)
        if (urlsplit(redirect_uri).hostname or "") not in LOOPBACK:
            # Real providers only redirect to registered URIs; the sandbox client is registered for loopback.
            return self._page("Bad request", "redirect_uri is not registered for the sandbox client "
                              "(loopback callbacks only).", 400)
        method = params.get("code_challenge_method")
        if self.pkce and params.get("code_challenge") and method not in (None, "S256"):
            return self._page("Bad request", "Only code_challenge_method=S256 is supported.", 400)
        if request.method == "GET":
            return self._consent(params)
        state = params.get("state")
        if params.get("decision") != "approve":
            return self._redirect(redirect_uri, {"error": "access_denied", "state": state})
        account = sandbox_account("sbx_" + (params.get("account") or "demo")) or "demo"
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"client_id": client_id, "redirect_uri": redirect_uri, "account": account,
                                 "scope": params.get("scope", ""), "expires": self.now() + self.code_ttl,
                                 "challenge": params.get("code_challenge") if self.pkce else None, "used": False}
            self.stats["authorizations"] += 1
        return self._redirect(redirect_uri, {"code": code, "state": state})

    async def token(self, request: Request) -> Response:
        form, client = await self._client_credentials(request)
        with self._lock:
            self.stats["token_requests"] += 1
            if client is None:
                return self.error("bad_client", "Client authentication failed (sandbox clients are sbx_...).")
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                self.stats["code_exchanges"] += 1
                return self._exchange_code(form, client, request)
            if grant_type == "refresh_token" and self.refresh != "none":
                self.stats["refreshes"] += 1
                return self._refresh_token(form, client, request)
            return self.error("unsupported_grant", f"grant_type {grant_type!r} is not supported")

    async def revoke(self, request: Request) -> Response:
        if self.revoke_style == "token_in_path":
            token = request.path_params.get("token", "")
        else:
            form, _ = await self._client_credentials(request)
            token = form.get("token", "")
        with self._lock:
            self.stats["revocations"] += 1
            grant = self._access.get(token) or self._refresh.get(token)
            if grant is not None:
                grant.revoked = True
                for other in [*self._access.values(), *(g for g in self._refresh.values() if g)]:
                    if other.code and other.code == grant.code:
                        other.revoked = True
        return Response(status_code=204 if self.revoke_style == "token_in_path" else 200)

    # ------------------------------------------------------------------ API-side helpers
    def account_for_token(self, token: str | None) -> str | None:
        """Account of a bearer token: issued tokens must be live; other sbx_ tokens follow the rule."""
        if not token:
            return None
        with self._lock:
            grant = self._access.get(token)
        if grant is not None:
            alive = not grant.revoked and (grant.expires is None or grant.expires > self.now())
            return grant.account if alive else None
        return sandbox_account(token)

    def issued_client(self, token: str | None) -> str | None:
        """The client id a live access token was issued to by this server (None: not issued here, or dead)."""
        with self._lock:
            grant = self._access.get(token or "")
        if grant is None or grant.revoked or (grant.expires is not None and grant.expires <= self.now()):
            return None
        return grant.client_id

    def expire_all(self) -> None:
        """Test helper: every issued access token is now expired."""
        with self._lock:
            for grant in self._access.values():
                grant.expires = self.now() - 1

    # ------------------------------------------------------------------ internals
    def _exchange_code(self, form: dict[str, str], client: str, request: Request) -> Response:
        code = form.get("code", "")
        entry = self._codes.get(code)
        if entry is None or entry["expires"] < self.now():
            return self.error("bad_code", "The authorization code is invalid or expired.")
        if entry["used"]:
            for grant in [*self._access.values(), *(g for g in self._refresh.values() if g)]:
                if grant.code == code:   # RFC 6749 10.5: a replayed code revokes what it issued
                    grant.revoked = True
            return self.error("bad_code", "The authorization code was already used.")
        entry["used"] = True
        if entry["client_id"] != client:
            return self.error("bad_code", "The authorization code was issued to another client.")
        if form.get("redirect_uri") != entry["redirect_uri"]:
            return self.error("bad_redirect", "redirect_uri does not match the authorization request.")
        if entry["challenge"]:
            verifier = form.get("code_verifier") or ""
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not secrets.compare_digest(digest, entry["challenge"]):
                return self.error("bad_verifier", "The code_verifier does not match the code_challenge.")
        return self._issue(entry["account"], client, entry["scope"], code, request, first=True)

    def _refresh_token(self, form: dict[str, str], client: str, request: Request) -> Response:
        presented = form.get("refresh_token", "")
        known = presented in self._refresh
        grant = self._refresh.get(presented)
        if known and (grant is None or grant.revoked):
            return self.error("bad_refresh", "The refresh token is invalid, used or revoked.")
        if not known:
            account = sandbox_account(presented)   # an sbx_ refresh token the sandbox never issued: the rule
            if account is None:
                return self.error("bad_refresh", "The refresh token is invalid, used or revoked.")
            grant = _Grant(account, client, form.get("scope", ""), None)
        assert grant is not None
        if self.refresh == "rotate":
            self._refresh[presented] = None      # single-use
        elif not known:
            self._refresh[presented] = grant
        return self._issue(grant.account, client, grant.scope, grant.code, request, first=False,
                           keep_refresh=presented if self.refresh == "reuse" else None)

    def _issue(self, account: str, client: str, scope: str, code: str | None, request: Request, *,
               first: bool, keep_refresh: str | None = None) -> Response:
        access = f"sbx_{account}.{secrets.token_urlsafe(24)}"
        expires = self.now() + self.access_ttl if self.access_ttl else None
        self._access[access] = _Grant(account, client, scope, expires, code)
        body: dict[str, Any] = {"access_token": access, "token_type": self.token_type}
        if self.expires_in:
            body["expires_in"] = self.access_ttl or 0
        if self.refresh != "none" and (first or self.refresh_returns_token):
            refresh = keep_refresh or f"sbx_{account}.r{secrets.token_urlsafe(24)}"
            self._refresh[refresh] = _Grant(account, client, scope, None, code)
            body["refresh_token"] = refresh
        if scope:
            body["scope"] = scope
        body.update(self.extras(account, request))
        return JSONResponse(body)

    async def _client_credentials(self, request: Request) -> tuple[dict[str, str], str | None]:
        if self.client_auth == "json":
            try:
                raw = await request.json()
            except ValueError:
                raw = {}
            form = {k: str(v) for k, v in (raw if isinstance(raw, dict) else {}).items()}
        else:
            form = {k: str(v) for k, v in (await request.form()).items()}
        if self.client_auth == "basic":
            pair = basic(request)
            client_id, secret = pair if pair else (form.get("client_id", ""), form.get("client_secret", ""))
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        ok = client_id.startswith("sbx_") and secret.startswith("sbx_")
        return form, (client_id if ok else None)

    def _redirect(self, redirect_uri: str, params: dict[str, str | None]) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", status_code=302)

    def _consent(self, params: dict[str, str]) -> Response:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items() if k not in ("decision", "account"))
        scopes = html.escape(params.get("scope") or "(no scopes)")
        body = (f"<p><b>Layers Integration Hub</b> ({html.escape(params.get('client_id', ''))}) asks to access "
                f"your {html.escape(self.provider)} account.</p><p>Scopes: <code>{scopes}</code></p>"
                f'<form method="post">{hidden}<label>Sandbox account <input name="account" value="demo" '
                f'pattern="[a-z0-9-]+"></label><p><button name="decision" value="approve" id="approve">Approve'
                f'</button> <button name="decision" value="deny" id="deny">Deny</button></p></form>')
        return self._page(f"Authorize Layers Integration Hub — {self.provider}", body, raw=True)

    def _page(self, title: str, text: str, status: int = 200, *, raw: bool = False) -> HTMLResponse:
        content = text if raw else f"<p>{html.escape(text)}</p>"
        return HTMLResponse(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
            ".sbx{background:#fde68a;padding:.3rem .6rem;border-radius:.3rem;font-weight:600}"
            "button{font-size:1rem;padding:.4rem 1rem}</style></head><body>"
            f"<p class='sbx'>SANDBOX — {html.escape(self.provider)} (offline stand-in; no real account)</p>"
            f"<h1>{html.escape(title)}</h1>{content}</body></html>", status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class SandboxProvider:
    """One provider of the sandbox: where its real hosts map to, its OAuth server and its API routes."""

    slug: str
    name: str
    origins: dict[str, str]                  # real origin (``*`` = one DNS label) -> path under /sandbox/<slug>
    oauth: OAuthServer | None = None
    api_routes: list[BaseRoute] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)   # connection field -> path under /sandbox/<slug>
    spec: Checks | None = None               # its official definition (openapi.Spec, fern.Spec) and quirks;
                                             # None: whatever $HUB_SPECS_DIR/<slug>/ holds (openapi.folder_spec)

    def routes(self) -> list[BaseRoute]:
        return [*(self.oauth.routes() if self.oauth else []), *self.api_routes]
