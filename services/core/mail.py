"""Sending mail through ``SMTP_URL``: parsing the URL and opening a connection (used by the upvoter
announcements in services/build/notifications.py and the alert emails in services/monitoring/delivery.py)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from services.core.errors import HubError, InvalidInput

DEFAULT_SENDER = "Layers <no-reply@layers.example>"
SMTP_TIMEOUT_S = 20


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str                 # plain | starttls | ssl
    username: str | None
    password: str | None
    sender: str

    @property
    def where(self) -> str:       # for messages: never the credentials
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user:pass@]host[:port][?from=addr], smtp+starttls://… (port 587), smtps://… (port 465)."""
    parsed = urlparse(url)
    security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}.get(parsed.scheme)
    if security is None or not parsed.hostname:
        raise InvalidInput("SMTP_URL must look like smtp://user:pass@host:port, smtp+starttls://… or smtps://…")
    port = parsed.port or {"plain": 25, "starttls": 587, "ssl": 465}[security]
    sender = parse_qs(parsed.query).get("from", [DEFAULT_SENDER])[0]
    return SmtpSettings(parsed.hostname, port, security, unquote(parsed.username) if parsed.username else None,
                        unquote(parsed.password) if parsed.password else None, sender)


@contextmanager
def smtp_connection(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
        if settings.security == "starttls":
            client.starttls()
        if settings.username:
            client.login(settings.username, settings.password or "")
    except (OSError, smtplib.SMTPException) as exc:
        raise HubError(f"cannot reach the SMTP server {settings.where}: {type(exc).__name__}: {exc}") from None
    try:
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
