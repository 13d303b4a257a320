"""How credential code reaches a provider: the sandbox rewrite, the SSRF guard and the HTTP client."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from services import sandbox
from services.core.config import Settings, load_settings
from services.core.errors import InvalidInput
from services.runtime import http
from services.runtime.netguard import Resolver, check_url, guard, system_resolver


@dataclass(frozen=True)
class Outbound:
    """Settings plus an optional transport (tests inject ``http.MockTransport``)."""

    settings: Settings = field(default_factory=load_settings)
    transport: Any = None
    resolver: Resolver = system_resolver     # tests inject a fake DNS

    def url(self, slug: str, url: str, *, sandbox_connection: bool) -> str:
        """The URL to call: the real one, or its sandbox stand-in for a sandbox connection."""
        if not sandbox_connection:
            return url
        if not self.settings.sandbox_enabled:
            raise InvalidInput("this is a sandbox connection and the sandbox is off (set HUB_SANDBOX=1)")
        try:
            return sandbox.rewrite(slug, url, self.settings.base_url)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None

    def check(self, url: str, what: str = "URL") -> str:
        return check_url(url, sandbox_enabled=self.settings.sandbox_enabled, field=what, resolver=self.resolver)

    def check_field(self, slug: str, url: str, what: str, *, sandbox_connection: bool) -> str:
        """A connection's URL field (account URL, site URL ...), checked as it will be called; returns the value to
        store. A sandbox connection's calls are rewritten onto the sandbox, so what is checked is that rewrite:
        the configured host (a made-up ``https://x.api-us1.com`` included) is never resolved, and a URL the
        sandbox has no stand-in for is refused by the field's name."""
        if not sandbox_connection:
            return self.check(url, what)
        value = url.strip()
        try:
            target = self.url(slug, value, sandbox_connection=True)
        except InvalidInput as exc:
            raise InvalidInput(f"{what}: {exc}") from None
        self.check(target, what)
        return value

    def client(self, base_url: str = "", *, guard_ttl: float = 0.0, **kwargs: Any) -> http.Client:
        """A client whose every request URL is checked; with guard_ttl, a host's verdict is reused for
        that many seconds (the client of one action run calls the same host many times)."""
        url_guard = self._guard() if not guard_ttl else _cached_guard(self._guard(), guard_ttl)
        return http.make_client(base_url, transport=self.transport, url_guard=url_guard, **kwargs)

    def oauth_client(self, client_id: str, client_secret: str | None, **kwargs: Any) -> Any:
        return http.oauth2_client(client_id, client_secret, transport=self.transport, url_guard=self._guard(),
                                  **kwargs)

    def _guard(self) -> Any:
        return guard(sandbox_enabled=self.settings.sandbox_enabled, resolver=self.resolver)


def _cached_guard(check: Any, ttl: float) -> Any:
    verified: dict[str, float] = {}

    def guard_url(url: str) -> None:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        now = time.monotonic()
        if verified.get(key, 0.0) > now:
            return
        check(url)
        verified[key] = now + ttl
    return guard_url


def provider_message(response: Any) -> str:
    """The provider's own error message from the usual body shapes (never headers)."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {**body, **body["error"], "error": None}   # an error object: {"error": {"message", "code"}}
    if isinstance(body, dict):
        parts = [body.get(k) for k in ("title", "message", "Message", "error_description", "detail", "error")]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]   # ActiveCampaign {title, detail}, Mailchimp {field, message}, HubSpot {message}
            field_name = first.get("field")
            text = first.get("message") or first.get("title") or first.get("detail")
            parts.append(f"{field_name}: {text}" if field_name and text else text)
        code = body.get("errorCode") or body.get("ErrorCode") or body.get("code") or body.get("category")  # Postmark
        words = [str(p) for p in dict.fromkeys(parts) if p]
        return (f"{code}: " if code and str(code) not in words else "") + " — ".join(words)[:300]
    return str(body)[:200]


def scrub(text: str, secrets: Any) -> str:
    """Remove every known secret value from a message (defence in depth for provider-echoed values)."""
    values = secrets.values() if isinstance(secrets, dict) else secrets
    for value in values:
        if isinstance(value, str) and len(value) >= 6:
            text = text.replace(value, "[redacted]")
    return text
