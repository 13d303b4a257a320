"""Optional delivery of alert events: a JSON POST to ``HUB_ALERT_WEBHOOK_URL`` and/or an email to the
comma-separated ``HUB_ALERT_EMAIL`` addresses through ``SMTP_URL``.

Delivery happens after the alert is committed and never undoes it; each attempt is stored in
``alert_deliveries`` (target = scheme and host, or the address: a webhook URL's path may hold a token).
The webhook URL follows the same SSRF rules as connection URLs (https, public addresses).

``deliver_event`` is one attempt (one event, one channel, one row). ``deliver`` makes one attempt per event and
channel inline (single-connection checks, test runs, the pages' sweep and "Evaluate alerts now"); the sweep jobs
queue a ``deliver_alert`` job per event and channel instead, retried with backoff on a worker
(services/jobs/tasks.py). A job carries ``payload(event)`` (no secret: the URL and SMTP_URL are read from the
environment when it runs); ``event_data`` turns it back into the event's fields.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from db.models.health import AlertDelivery
from db.session import session_scope
from services.connect.outbound import Outbound
from services.core.errors import HubError, InvalidInput
from services.core.mail import parse_smtp_url, smtp_connection
from services.runtime import http

TIMEOUT_S = 5.0
CHANNELS = ("webhook", "email")


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
    except HubError as exc:       # the URL guard refused the address (its message may quote the URL: not stored)
        parts = urlsplit(url)
        return str(exc).replace(url, f"{parts.scheme}://{parts.hostname or ''}")
    return None if response.is_success else f"HTTP {response.status_code}"


def _message(sender: str, addresses: tuple[str, ...], event: Any) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, ", ".join(addresses)
    verb = "Alert" if event.event == "raised" else "Cleared"
    msg["Subject"] = f"[Layers Hub] {verb}: {event.integration} #{event.connection_id} ({event.organization})"
    when = event.at.strftime("%Y-%m-%d %H:%M UTC")
    msg.set_content(f"{event.message}\n\nKind: {event.kind}\nTier: {event.tier}\nAt: {when}\n\n"
                    "See the API health page of the Layers Integration Hub.")
    return msg


def _mail(smtp_url: str | None, addresses: tuple[str, ...], event: Any) -> str | None:
    if not smtp_url:
        return "SMTP_URL is not set"
    try:
        settings = parse_smtp_url(smtp_url)
        with smtp_connection(settings) as client:
            client.send_message(_message(settings.sender, addresses, event))
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}"
    except HubError as exc:       # a malformed SMTP_URL, or the server unreachable (never the credentials)
        return str(exc)
    return None


def channels(where: Targets | None = None) -> tuple[str, ...]:
    """The configured channels, in delivery order: ``webhook`` (HUB_ALERT_WEBHOOK_URL), ``email``
    (HUB_ALERT_EMAIL; without SMTP_URL each attempt is stored as failed, as the page says)."""
    where = where or targets()
    return tuple(c for c, on in (("webhook", where.webhook_url), ("email", where.emails)) if on)


def event_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of ``payload``: the fields of the event (``AlertEvent(**event_data(payload(e)))`` == e), for a
    job that carries the payload (JSON) and rebuilds the event."""
    name = str(data["event"])
    return {"alert_id": int(data["alert_id"]), "event": name.removeprefix("alert."), "kind": data["kind"],
            "connection_id": int(data["connection_id"]), "integration": data["integration"],
            "organization": data["organization"], "tier": data["tier"], "message": data["message"],
            "at": datetime.fromisoformat(data["at"])}


def deliver_event(event: Any, channel: str, *, db_url: str | None = None, out: Any = None,
                  where: Targets | None = None) -> AlertDelivery | None:
    """One attempt: send ``event`` on ``channel`` (``webhook`` or ``email``) and store its delivery row (its ``ok``
    says whether it went). None, and nothing sent, when that channel is not configured (read from the environment
    now: the webhook URL, which may hold a token, is never passed in or stored)."""
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown alert channel {channel!r} (webhook or email)")
    where = where or targets()
    if channel not in channels(where):
        return None
    if channel == "webhook":
        assert where.webhook_url
        error = _post(where.webhook_url, payload(event), out if isinstance(out, Outbound) else Outbound())
        target = where.webhook_host or ""
    else:
        error = _mail(where.smtp_url, where.emails, event)
        target = ", ".join(where.emails)[:300]
    row = AlertDelivery(alert_id=event.alert_id, event=event.event, channel=channel, target=target,
                        ok=error is None, error=error)
    with session_scope(db_url) as s:
        s.add(row)
    return row


def deliver(events: list[Any], *, db_url: str | None = None, out: Any = None) -> list[AlertDelivery]:
    """Send each event to the configured targets (one attempt each, inline) and store one delivery row per
    attempt: every event's webhook, then every event's email. The jobs deliver one event and channel each, with
    retries (services/jobs/tasks.py ``deliver_alert``)."""
    where = targets()
    if not events or not where.any:
        return []
    outbound = out if isinstance(out, Outbound) else Outbound() if where.webhook_url else None
    rows = [deliver_event(event, channel, db_url=db_url, out=outbound, where=where)
            for channel in channels(where) for event in events]
    return [row for row in rows if row is not None]
