"""Optional delivery of alert events: a JSON POST to ``HUB_ALERT_WEBHOOK_URL`` and/or an email to the
comma-separated ``HUB_ALERT_EMAIL`` addresses through ``SMTP_URL``.

Delivery happens after the alert is committed and never undoes it; each attempt is stored in
``alert_deliveries`` (target = scheme and host, or the address: a webhook URL's path may hold a token).
The webhook URL follows the same SSRF rules as connection URLs (https, public addresses).
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from db.models.health import AlertDelivery
from db.session import session_scope
from services.connect.outbound import Outbound
from services.core.errors import HubError
from services.core.mail import parse_smtp_url, smtp_connection
from services.runtime import http

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Targets:
    webhook_url: str | None
    emails: tuple[str, ...]
    smtp_url: str | None

    @property
    def webhook_host(self) -> str | None:
        if not self.webhook_url:
            return None
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.hostname or ''}"

    @property
    def any(self) -> bool:
        return bool(self.webhook_url or self.emails)


def targets() -> Targets:
    emails = tuple(e.strip() for e in os.environ.get("HUB_ALERT_EMAIL", "").split(",") if e.strip())
    return Targets(os.environ.get("HUB_ALERT_WEBHOOK_URL", "").strip() or None, emails,
                   os.environ.get("SMTP_URL") or None)


def payload(event: Any) -> dict[str, Any]:
    return {"event": f"alert.{event.event}", "alert_id": event.alert_id, "kind": event.kind,
            "connection_id": event.connection_id, "integration": event.integration,
            "organization": event.organization, "tier": event.tier, "message": event.message,
            "at": event.at.isoformat()}


def _post(url: str, body: dict[str, Any], out: Outbound) -> str | None:
    try:
        with out.client(timeout=TIMEOUT_S) as client:
            response = client.post(url, json=body)
    except http.HTTPError as exc:
        return f"{type(exc).__name__}"
    except HubError as exc:       # the URL guard refused the address
        return str(exc)
    return None if response.is_success else f"HTTP {response.status_code}"


def _mail(smtp_url: str | None, addresses: tuple[str, ...], events: list[Any]) -> list[str | None]:
    if not smtp_url:
        return ["SMTP_URL is not set"] * len(events)
    try:
        settings = parse_smtp_url(smtp_url)
        errors: list[str | None] = []
        with smtp_connection(settings) as client:
            for event in events:
                msg = EmailMessage()
                msg["From"], msg["To"] = settings.sender, ", ".join(addresses)
                verb = "Alert" if event.event == "raised" else "Cleared"
                msg["Subject"] = (f"[Layers Hub] {verb}: {event.integration} #{event.connection_id} "
                                  f"({event.organization})")
                when = event.at.strftime("%Y-%m-%d %H:%M UTC")
                msg.set_content(f"{event.message}\n\nKind: {event.kind}\nTier: {event.tier}\nAt: {when}\n\n"
                                "See the API health page of the Layers Integration Hub.")
                try:
                    client.send_message(msg)
                    errors.append(None)
                except (OSError, smtplib.SMTPException) as exc:
                    errors.append(f"{type(exc).__name__}")
        return errors
    except HubError as exc:
        return [str(exc)] * len(events)


def deliver(events: list[Any], *, db_url: str | None = None, out: Any = None) -> list[AlertDelivery]:
    """Send each event to the configured targets and store one delivery row per attempt."""
    where = targets()
    if not events or not where.any:
        return []
    rows = []
    if where.webhook_url:
        outbound = out if isinstance(out, Outbound) else Outbound()
        for event in events:
            error = _post(where.webhook_url, payload(event), outbound)
            rows.append(AlertDelivery(alert_id=event.alert_id, event=event.event, channel="webhook",
                                      target=where.webhook_host or "", ok=error is None, error=error))
    if where.emails:
        for event, error in zip(events, _mail(where.smtp_url, where.emails, events), strict=True):
            rows.append(AlertDelivery(alert_id=event.alert_id, event=event.event, channel="email",
                                      target=", ".join(where.emails)[:300], ok=error is None, error=error))
    with session_scope(db_url) as s:
        s.add_all(rows)
    return rows
