"""Outbound webhook deliveries of the sandbox providers (Webflow site webhooks, HubSpot app webhooks).

The sandbox runs inside the Hub's server, and anyone may register a sandbox webhook, so it only delivers to
the Hub's own inbound routes: a URL whose path starts with ``/hooks/`` on a loopback host or on the host of
HUB_BASE_URL. Any other URL is recorded as skipped and nothing is sent: a sandbox must never become a way
to make the server call arbitrary addresses. One attempt with a 10 s timeout (real providers retry; the
sandbox does not). Tests may set ``TRANSPORT`` to an ``http.MockTransport``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from services.core.config import load_settings
from services.runtime import http

TRANSPORT: Any = None
TIMEOUT = 10.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _resolved_path(path: str) -> str | None:
    """The path a server routes, dot segments resolved (RFC 3986 5.2.4: the HTTP client does it, the server
    decodes ``%2e`` and ``%2f``), or None when it holds anything a layer could read two ways (a backslash, a
    percent sign left after decoding, a NUL)."""
    decoded = unquote(path)
    if any(c in decoded for c in "\\%\x00"):
        return None
    out: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    resolved = "/".join(out)
    return resolved + ("/" if decoded.rsplit("/", 1)[-1] in (".", "..") else "")


def allowed(url: str) -> bool:
    """Whether the sandbox may deliver to ``url`` (the Hub's own /hooks/ routes only, after resolving ``.``,
    ``..`` and their percent-encoded forms: ``/hooks/../api/zapier/hooks`` is ``/api/zapier/hooks``)."""
    parts = urlsplit(url)
    hosts = {*LOOPBACK, urlsplit(load_settings().base_url).hostname}
    path = _resolved_path(parts.path)
    return parts.scheme in ("http", "https") and parts.hostname in hosts and path is not None \
        and path.startswith("/hooks/") and path != "/hooks/"


def post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """POST one delivery; returns ``{"status", "skipped", "error"}`` (never raises)."""
    if not allowed(url):
        return {"status": None, "skipped": True, "error": "the sandbox only delivers to the Hub's /hooks/ URLs"}
    try:
        with http.make_client(transport=TRANSPORT, timeout=TIMEOUT) as client:
            response = client.post(url, content=body, headers=headers)
    except http.HTTPError as exc:
        return {"status": None, "skipped": False, "error": type(exc).__name__}
    return {"status": response.status_code, "skipped": False, "error": None}
