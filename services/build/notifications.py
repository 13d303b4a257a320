"""Announcing an Available integration to its upvoters: the outbox and sending it.

Writing: one `notifications` row per upvoter, inserted with ON CONFLICT DO NOTHING against the
unique (user, integration, channel), so running it twice or concurrently writes each row once.

Sending (a separate, retryable step): each row is claimed with a conditional UPDATE
(pending/failed -> sending) committed before the mail goes out, then marked sent or failed. A
row another sender claimed is skipped, so a notification is never sent twice. A row left in
`sending` by a crash is not retried automatically (the mail may have left); it shows in the
outbox for a person to check.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

import pandas as pd
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.base import UTCDateTime, utcnow
from db.models import Integration, Notification, Organization, Tier, Upvote, User
from db.session import session_scope
from services.core import audit
from services.core.errors import HubError
from services.core.mail import parse_smtp_url, smtp_connection

CHANNEL = "email"
MAX_ATTEMPTS = 5
RETRYABLE = ("pending", "failed")


def enqueue_for_upvoters(session: Session, integration: Integration) -> int:
    """Write one pending notification per upvoter; returns how many rows were new."""
    columns = ["user_id", "integration_id", "channel", "status", "attempts", "created_at"]
    rows = select(Upvote.user_id, literal(integration.id), literal(CHANNEL), literal("pending"), literal(0),
                  literal(utcnow(), UTCDateTime())).where(Upvote.integration_id == integration.id)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Notification).from_select(columns, rows).on_conflict_do_nothing(
        index_elements=["user_id", "integration_id", "channel"]).returning(Notification.id)
    return len(session.execute(stmt).all())   # RETURNING: rowcount is -1 for INSERT ... SELECT on psycopg


def recipients(session: Session, slug: str) -> pd.DataFrame:
    """Who an Available announcement goes to: every upvoter, with whether they were notified already."""
    notified = (select(Notification.user_id, Notification.status).join(Integration)
                .where(Integration.slug == slug, Notification.channel == CHANNEL).subquery())
    query = (select(User.email, User.name, Organization.name.label("organization"), Tier.name.label("tier"),
                    Upvote.created_at.label("upvoted_at"), notified.c.status.label("notification"))
             .join(Upvote, Upvote.user_id == User.id).join(Integration, Integration.id == Upvote.integration_id)
             .join(Organization, Organization.id == User.organization_id).join(Tier, Tier.id == User.tier_id)
             .outerjoin(notified, notified.c.user_id == User.id)
             .where(Integration.slug == slug).order_by(User.email))
    return pd.DataFrame(session.execute(query).all(),
                        columns=["email", "name", "organization", "tier", "upvoted_at", "notification"])


def outbox(session: Session, *, slug: str | None = None, statuses: list[str] | None = None) -> pd.DataFrame:
    query = (select(Notification.id, Integration.slug.label("integration"), User.email, User.name,
                    Notification.channel, Notification.status, Notification.attempts, Notification.last_error,
                    Notification.created_at, Notification.sent_at)
             .join(Integration, Integration.id == Notification.integration_id)
             .join(User, User.id == Notification.user_id).order_by(Notification.id))
    if slug:
        query = query.where(Integration.slug == slug)
    if statuses:
        query = query.where(Notification.status.in_(statuses))
    return pd.DataFrame(session.execute(query).all(),
                        columns=["id", "integration", "email", "name", "channel", "status", "attempts",
                                 "last_error", "created_at", "sent_at"])


def status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())


# --- sending -----------------------------------------------------------------------------------

def message(sender: str, email: str, name: str, integration: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, email
    msg["Subject"] = f"{integration} is now available in Layers"
    msg.set_content(f"Hi {name},\n\nYou upvoted {integration} in Layers. It is now available: add it to your "
                    "workflows from the tool chest.\n\nThank you for telling us what to build.\n— The Layers team\n")
    return msg


@dataclass
class SendReport:
    dry_run: bool
    sent: int = 0
    failed: int = 0
    skipped: int = 0              # claimed by another sender in the meantime
    recipients: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _due(session: Session, limit: int | None) -> list[tuple[int, str, str, str]]:
    query = (select(Notification.id, User.email, User.name, Integration.name)
             .join(User, User.id == Notification.user_id)
             .join(Integration, Integration.id == Notification.integration_id)
             .where(Notification.status.in_(RETRYABLE), Notification.attempts < MAX_ATTEMPTS,
                    Notification.channel == CHANNEL)
             .order_by(Notification.id).limit(limit))
    return [(nid, email, name, integration) for nid, email, name, integration in session.execute(query)]


def _claim(session: Session, notification_id: int) -> bool:
    claimed = session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.status.in_(RETRYABLE),
                                   Notification.attempts < MAX_ATTEMPTS)
        .values(status="sending", attempts=Notification.attempts + 1).returning(Notification.id))
    return claimed.first() is not None


def send_pending(*, smtp_url: str | None, actor: str, url: str | None = None, limit: int | None = None,
                 dry_run: bool = False) -> SendReport:
    """Send every pending (or failed, under MAX_ATTEMPTS) notification once, each in its own claim.

    Uses its own short transactions (claim, then result) so a claimed row is visible to other
    senders before the mail leaves. `dry_run` lists the recipients and changes nothing.
    """
    with session_scope(url) as session:
        due = _due(session, limit)
    report = SendReport(dry_run=dry_run, recipients=[email for _, email, _, _ in due])
    if dry_run or not due:
        return report
    if not smtp_url:
        raise HubError(f"SMTP_URL is not set: {len(due)} notifications stay in the outbox "
                       "(export them from the Build tracker page)")
    settings = parse_smtp_url(smtp_url)
    with smtp_connection(settings) as client:
        for notification_id, email, name, integration in due:
            with session_scope(url) as session:
                claimed = _claim(session, notification_id)
            if not claimed:
                report.skipped += 1
                continue
            error = None
            try:
                refused = client.send_message(message(settings.sender, email, name, integration))
                if refused:
                    error = f"refused: {refused}"
            except smtplib.SMTPServerDisconnected as exc:
                error = f"SMTP server disconnected: {exc}"
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
            with session_scope(url) as session:
                values = ({"status": "sent", "sent_at": utcnow(), "last_error": None} if error is None
                          else {"status": "failed", "last_error": error[:1000]})
                session.execute(update(Notification).where(Notification.id == notification_id).values(**values))
            if error is None:
                report.sent += 1
            else:
                report.failed += 1
                report.errors.append(f"{email}: {error}")
                if "disconnected" in error:
                    break
    with session_scope(url) as session:
        audit.record(session, actor=actor, action="notifications.sent", entity_type="notification", entity_id=None,
                     after={"sent": report.sent, "failed": report.failed, "skipped": report.skipped,
                            "smtp": settings.where})
    return report
