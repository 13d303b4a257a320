"""Staff sign-in plumbing around Streamlit's ``st.login`` (OIDC), given to ``st.App`` by app.py.

* ``auth_secrets``: with the sandbox on (development only) the ``[auth]`` block that points ``st.login`` at
  the sandbox identity provider on this server (services/sandbox/oidc.py). It is supplied as programmatic
  secrets, so ``make run`` needs no secrets.toml and the redirect URI always names the port served. The
  cookie secret is created once in ``data/dev-cookie-secret`` (git-ignored), so a restart keeps people
  signed in. Production (and a development server without the sandbox) reads ``[auth]`` from
  ``.streamlit/secrets.toml`` as usual (docs/sign-in.md).
* ``DeepLinkMiddleware``: Streamlit's callback always lands on ``/``. When sign-in starts on a page
  (``/auth/login`` requested from ``/priorities``), the page is remembered in a short-lived cookie and the
  successful callback's redirect is pointed back at it.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from db.session import PROJECT_ROOT
from services.core.config import Settings
from services.core.dev_files import read_or_create
from services.sandbox import oidc

COOKIE_SECRET_PATH = PROJECT_ROOT / "data" / "dev-cookie-secret"
NEXT_COOKIE = "hub_next"
NEXT_TTL_S = 600
USER_COOKIE = "_streamlit_user"
_PAGE = re.compile(r"^/[A-Za-z0-9_\-/]*(\?[A-Za-z0-9_\-=&%.~+]*)?$")
_NOT_PAGES = ("/auth/", "/oauth2callback", "/_stcore", "/sandbox", "/api/", "/hooks/", "/static/", "/media/",
              "/component/")


def auth_secrets(settings: Settings) -> dict[str, Any] | None:
    """Programmatic secrets for st.App: the sandbox ``[auth]`` block, or None (use secrets.toml)."""
    if not settings.sandbox_enabled or settings.is_production:
        return None
    return {"auth": oidc.auth_section(settings.base_url, dev_cookie_secret())}


def dev_cookie_secret(path: Path | None = None) -> str:
    """Read or create the development cookie secret (shared with concurrent servers)."""
    return read_or_create(path or COOKIE_SECRET_PATH, lambda: secrets.token_urlsafe(48),
                          "development cookie secret")


def safe_page(value: str | None) -> str | None:
    """``value`` if it is a path of this Hub's pages (never another origin, never a route), else None."""
    if not value or not _PAGE.match(value) or value.startswith("//") or len(value) > 300:
        return None
    if value == "/" or any(value.startswith(p) for p in _NOT_PAGES):
        return None
    return value


def page_from_referer(referer: str | None, host: str | None) -> str | None:
    """The page sign-in started on, from the Referer of ``/auth/login`` (same origin only)."""
    if not referer or not host:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.netloc != host:
        return None
    return safe_page(parts.path + (f"?{parts.query}" if parts.query else ""))


def _cookie(value: str, max_age: int) -> bytes:
    return f"{NEXT_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax".encode()


def _signed_in(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a response sets a fresh identity cookie (Streamlit's callback succeeded)."""
    for name, value in headers:
        if name.lower() == b"set-cookie" and value.startswith(USER_COOKIE.encode() + b"="):
            cookie = value.split(b";", 1)[0].split(b"=", 1)[1]
            if cookie not in (b"", b'""'):
                return True
    return False


class DeepLinkMiddleware:
    """Pure ASGI middleware: touches only ``/auth/login`` and ``/oauth2callback`` responses."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if not (path.endswith("/auth/login") or path.endswith("/oauth2callback")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.endswith("/auth/login"):
            target = page_from_referer(headers.get("referer"), headers.get("host"))
            set_cookie: bytes | None = (_cookie(quote(target, safe="/?=&-_.~%+"), NEXT_TTL_S) if target
                                        else _cookie("", 0))
            redirect_to = None
        else:
            cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";")
                           if "=" in part)
            redirect_to = safe_page(unquote(cookies.get(NEXT_COOKIE, "")))
            set_cookie = _cookie("", 0) if NEXT_COOKIE in cookies else None

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", []))
                if redirect_to and message.get("status") in (302, 303, 307) and _signed_in(out):
                    out = [(k, v) for k, v in out if k.lower() != b"location"]
                    out.append((b"location", redirect_to.encode()))
                if set_cookie is not None:
                    out.append((b"set-cookie", set_cookie))
                message = {**message, "headers": out}
            await send(message)

        await self.app(scope, receive, send_wrapper)
