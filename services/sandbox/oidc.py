"""A local OpenID Connect provider for staff sign-in, served under ``/sandbox/oidc/`` when HUB_SANDBOX=1.

It is not a catalog integration: it stands in for the company identity provider (Google Workspace,
Entra ID, Okta, Keycloak ...) so that development, the demo and the browser tests sign in through the
very ``st.login`` flow production uses. What a real provider checks, it checks:

* discovery (``/.well-known/openid-configuration``), JWKS (``/jwks``), userinfo (``/userinfo``);
* ``/authorize`` (authorization code flow only): an unknown ``client_id`` or an unregistered
  ``redirect_uri`` gets an error page and no redirect (RFC 6749 4.1.2.1); PKCE with S256 is required;
  the page lets you pick one of the directory's people or type any email;
* ``/token``: client authentication (``client_secret_basic`` or ``client_secret_post``; a wrong secret is
  ``401 invalid_client``), a code is single-use (a replay revokes the access token it issued), expires after
  ``code_ttl`` seconds, is bound to its client and redirect URI, and needs the PKCE ``code_verifier``;
  the answer carries an RS256 ``id_token`` (key made with ``cryptography``, signed with ``joserfc``) with
  the request's ``nonce``.

State (codes, tokens, the signing key) lives in process memory, like the rest of the sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.sandbox.common import basic, bearer

PATH = "/oidc"                      # under /sandbox
# The one registered client: the Hub itself. Sandbox-only values (sbx_ like every sandbox credential).
CLIENT_ID = "sbx_layers-hub-sign-in"
CLIENT_SECRET = "sbx_sign-in-client-secret"
CALLBACK = "/oauth2callback"        # Streamlit's st.login callback route
SCOPES = ("openid", "email", "profile")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def issuer(base_url: str) -> str:
    """The issuer (and discovery root) of the provider on a Hub served at ``base_url``."""
    return base_url.rstrip("/") + "/sandbox" + PATH


def metadata_url(base_url: str) -> str:
    return issuer(base_url) + "/.well-known/openid-configuration"


def redirect_uri(base_url: str) -> str:
    """The one redirect URI registered for the Hub client: Streamlit's callback on this server."""
    return base_url.rstrip("/") + CALLBACK


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _new_key() -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key = RSAKey.import_key(pem)
    key.ensure_kid()
    return key


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    claims: dict[str, Any]
    nonce: str | None
    challenge: str
    scope: str
    expires: float
    used: bool = False
    access_token: str | None = None


@dataclass
class IdentityProvider:
    """The provider for one Hub (its base URL) and one directory of people (email, name)."""

    base_url: str
    directory: tuple[tuple[str, str], ...] = ()
    code_ttl: int = 60                       # seconds; real providers use 30 s .. 10 min
    token_ttl: int = 3600
    now: Callable[[], float] = time.time
    _key: RSAKey = field(default_factory=_new_key, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, tuple[dict[str, Any], float]] = {}   # access token -> (claims, expiry)

    @property
    def issuer(self) -> str:
        return issuer(self.base_url)

    def routes(self) -> list[BaseRoute]:
        return [Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo, methods=["GET", "POST"]),
                Route("/jwks", self.jwks, methods=["GET"])]

    # ------------------------------------------------------------------ discovery and keys
    async def discovery(self, request: Request) -> Response:
        return JSONResponse(self.metadata())

    def metadata(self) -> dict[str, Any]:
        root = self.issuer
        return {
            "issuer": root,
            "authorization_endpoint": root + "/authorize",
            "token_endpoint": root + "/token",
            "userinfo_endpoint": root + "/userinfo",
            "jwks_uri": root + "/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email",
                                 "email_verified", "name"],
        }

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.public_jwk()]})

    def public_jwk(self) -> dict[str, Any]:
        return {**self._key.as_dict(private=False), "use": "sig", "alg": "RS256"}

    # ------------------------------------------------------------------ authorization endpoint
    async def authorize(self, request: Request) -> Response:
        params = ({k: str(v) for k, v in (await request.form()).items()} if request.method == "POST"
                  else dict(request.query_params))
        client_id, redirect = params.get("client_id", ""), params.get("redirect_uri", "")
        # RFC 6749 4.1.2.1: never redirect to an unverified URI; tell the person instead.
        if client_id != CLIENT_ID:
            return self._page("Unknown application", f"client_id {client_id!r} is not registered with this "
                              "identity provider.", status=400)
        if redirect != redirect_uri(self.base_url):
            return self._page("Redirect URI mismatch", f"redirect_uri {redirect!r} is not registered for "
                              f"this client (registered: {redirect_uri(self.base_url)}).", status=400)
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._redirect(redirect, {"error": "unsupported_response_type", "state": state,
                                             "error_description": "only response_type=code is supported"})
        if "openid" not in params.get("scope", "").split():
            return self._redirect(redirect, {"error": "invalid_scope", "state": state,
                                             "error_description": "scope must include openid"})
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            return self._redirect(redirect, {"error": "invalid_request", "state": state,
                                             "error_description": "PKCE with code_challenge_method=S256 "
                                                                  "is required"})
        if request.method == "GET":
            return self._chooser(params)
        if params.get("decision") == "cancel":
            return self._redirect(redirect, {"error": "access_denied", "state": state})
        email = (params.get("typed_email") if params.get("decision") == "typed" else params.get("email")) or ""
        email = email.strip().lower()
        if not _EMAIL.match(email):
            return self._chooser(params, problem=f"{email[:80]!r} is not an email address.")
        names = dict(self.directory)
        name = names.get(email) or params.get("typed_name", "").strip() or email.split("@")[0]
        claims = {"sub": "sbx-" + hashlib.sha256(email.encode()).hexdigest()[:20], "email": email,
                  "email_verified": params.get("unverified") != "1", "name": name}
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(client_id, redirect, claims, params.get("nonce"),
                                      params["code_challenge"], params.get("scope", ""), self.now() + self.code_ttl)
        return self._redirect(redirect, {"code": code, "state": state})

    # ------------------------------------------------------------------ token endpoint
    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        pair = basic(request)
        if pair is not None:
            client_id, secret, scheme = pair[0], pair[1], "basic"
        else:
            client_id, secret, scheme = form.get("client_id", ""), form.get("client_secret", ""), "post"
        if client_id != CLIENT_ID or not secrets.compare_digest(secret.encode(), CLIENT_SECRET.encode()):
            headers = {"WWW-Authenticate": 'Basic realm="sandbox-oidc"'} if scheme == "basic" else None
            return _error(401, "invalid_client", "Client authentication failed.", headers)
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type", f"grant_type {form.get('grant_type')!r} is not supported")
        with self._lock:
            entry = self._codes.get(form.get("code", ""))
            if entry is None:
                return _error(400, "invalid_grant", "The authorization code is invalid.")
            if entry.used:   # RFC 6749 4.1.2 / 10.5: refuse, and revoke what the code issued
                if entry.access_token:
                    self._tokens.pop(entry.access_token, None)
                return _error(400, "invalid_grant", "The authorization code was already used.")
            entry.used = True
            if entry.expires < self.now():
                return _error(400, "invalid_grant", "The authorization code has expired.")
            if entry.client_id != client_id:
                return _error(400, "invalid_grant", "The authorization code was issued to another client.")
            if form.get("redirect_uri") != entry.redirect_uri:
                return _error(400, "invalid_grant", "redirect_uri does not match the authorization request.")
            verifier = form.get("code_verifier", "")
            if not verifier or not secrets.compare_digest(_s256(verifier), entry.challenge):
                return _error(400, "invalid_grant", "The code_verifier does not match the code_challenge.")
            now = int(self.now())
            access = "sbx_" + secrets.token_urlsafe(32)
            entry.access_token = access
            self._tokens[access] = (entry.claims, now + self.token_ttl)
        id_claims = {**entry.claims, "iss": self.issuer, "aud": client_id, "iat": now, "auth_time": now,
                     "exp": now + self.token_ttl}
        if entry.nonce:
            id_claims["nonce"] = entry.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": self._key.kid, "typ": "JWT"}, id_claims, self._key)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": self.token_ttl,
                             "id_token": id_token, "scope": entry.scope},
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def userinfo(self, request: Request) -> Response:
        token = bearer(request)
        with self._lock:
            found = self._tokens.get(token or "")
        if found is None or found[1] < self.now():
            return JSONResponse({"error": "invalid_token"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return JSONResponse(found[0])

    # ------------------------------------------------------------------ pages
    def _redirect(self, target: str, params: dict[str, str | None]) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{query}", status_code=302)

    def _chooser(self, params: dict[str, str], problem: str | None = None) -> Response:
        keep = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge",
                "code_challenge_method")
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
                         for k in keep if k in params)
        people = "".join(
            f'<li><button name="email" value="{html.escape(email)}" data-email="{html.escape(email)}">'
            f'{html.escape(name)} — {html.escape(email)}</button></li>' for email, name in self.directory)
        error = f"<p class='err' role='alert'>{html.escape(problem)}</p>" if problem else ""
        body = (f"<p>Sign in to <b>Layers Integration Hub</b> as:</p>{error}<form method='post'>{hidden}"
                f"<ul class='people'>{people}</ul></form>"
                f"<form method='post'>{hidden}<fieldset><legend>Someone else</legend>"
                "<label>Email <input name='typed_email' id='typed_email' type='text' autocomplete='off'></label> "
                "<label>Name <input name='typed_name' id='typed_name' type='text'></label><br>"
                "<label><input type='checkbox' name='unverified' value='1' id='unverified'> "
                "email not verified</label><br>"
                "<button name='decision' value='typed' id='continue'>Continue</button></fieldset></form>"
                f"<form method='post'>{hidden}<p><button name='decision' value='cancel' id='cancel'>Cancel"
                "</button></p></form>")
        return self._page("Choose an account", body, raw=True)

    def _page(self, title: str, text: str, status: int = 200, *, raw: bool = False) -> HTMLResponse:
        content = text if raw else f"<p id='message'>{html.escape(text)}</p>"
        return HTMLResponse(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} — sandbox sign-in"
            "</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
            ".sbx{background:#fde68a;padding:.3rem .6rem;border-radius:.3rem;font-weight:600}"
            ".people{list-style:none;padding:0}.people li{margin:.4rem 0}.err{color:#991b1b}"
            "button{font-size:1rem;padding:.4rem 1rem}fieldset{margin-top:1rem}</style></head><body>"
            "<p class='sbx'>SANDBOX IDENTITY PROVIDER — development only; anyone here can sign in as anyone</p>"
            f"<h1>{html.escape(title)}</h1>{content}</body></html>", status_code=status)


def _error(status: int, code: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 6749 5.2 error body."""
    return JSONResponse({"error": code, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})})


def provider(base_url: str, directory: Iterable[tuple[str, str]] = ()) -> IdentityProvider:
    return IdentityProvider(base_url, tuple((e.lower(), n) for e, n in directory))


def auth_section(base_url: str, cookie_secret: str) -> dict[str, Any]:
    """The ``[auth]`` secrets block that points ``st.login`` at this provider on a Hub at ``base_url``."""
    return {"redirect_uri": redirect_uri(base_url), "cookie_secret": cookie_secret, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "server_metadata_url": metadata_url(base_url)}
