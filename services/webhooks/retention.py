"""Retention for the webhook tables: old failed verifications, handled events and finished deliveries.

Kept whatever their age: events still ``received`` (not handled yet) or ``failed`` (they need someone to look
and replay), events with a delivery not finished yet, and deliveries ``pending`` or ``sending``. Deleting a
handled event leaves its finished deliveries (their ``event_id`` becomes NULL; they have their own age rule).
Used by ``layers-hub webhooks prune`` and the inbox page; a real run writes one audit row with the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.webhooks import WebhookDelivery, WebhookEvent, WebhookRejection
from services.core import audit

REJECTION_DAYS = 14      # failed verifications: enough to investigate a misconfigured sender
EVENT_DAYS = 90          # handled / ignored events and finished deliveries: a quarter of history to replay from
DONE_EVENTS = ("handled", "ignored")
DONE_DELIVERIES = ("delivered", "failed", "disabled")
OPEN_DELIVERIES = ("pending", "sending")

# (table, what is pruned): the order deletes run in and the order reports list them.
TABLES = (("webhook_deliveries", "finished deliveries (delivered, failed, disabled)"),
          ("webhook_events", "handled or ignored events"),
          ("webhook_rejections", "failed verifications"))


@dataclass(frozen=True)
class PruneReport:
    """Rows deleted per table (or that would be, with ``dry_run``)."""

    deliveries: int
    events: int
    rejections: int
    event_days: int
    rejection_days: int
    dry_run: bool

    @property
    def total(self) -> int:
        return self.deliveries + self.events + self.rejections

    def counts(self) -> dict[str, int]:
        return {"webhook_deliveries": self.deliveries, "webhook_events": self.events,
                "webhook_rejections": self.rejections}


def _conditions(now: datetime, event_days: int, rejection_days: int) -> dict[str, tuple[Any, ColumnElement[bool]]]:
    events_before, rejections_before = now - timedelta(days=event_days), now - timedelta(days=rejection_days)
    open_delivery = exists().where(WebhookDelivery.event_id == WebhookEvent.id,
                                   WebhookDelivery.status.in_(OPEN_DELIVERIES))
    return {
        "webhook_deliveries": (WebhookDelivery, and_(
            WebhookDelivery.status.in_(DONE_DELIVERIES),
            func.coalesce(WebhookDelivery.finished_at, WebhookDelivery.created_at) < events_before)),
        "webhook_events": (WebhookEvent, and_(
            WebhookEvent.status.in_(DONE_EVENTS),
            func.coalesce(WebhookEvent.handled_at, WebhookEvent.received_at) < events_before,   # replays count
            ~open_delivery)),
        "webhook_rejections": (WebhookRejection, WebhookRejection.received_at < rejections_before),
    }


def prune(session: Session, *, actor: str, event_days: int = EVENT_DAYS, rejection_days: int = REJECTION_DAYS,
          dry_run: bool = False, now: datetime | None = None,
          progress: Callable[[str, int], None] | None = None) -> PruneReport:
    """Delete (or with ``dry_run`` only count) what is past retention; ``progress(table, rows)`` after each table.

    Runs in the caller's unit of work: the deletes and the audit row commit together."""
    if event_days < 0 or rejection_days < 0:
        raise ValueError("retention days must not be negative")
    counts: dict[str, int] = {}
    for table, (model, condition) in _conditions(now or utcnow(), event_days, rejection_days).items():
        if dry_run:
            counts[table] = session.scalar(select(func.count()).select_from(model).where(condition)) or 0
        else:
            counts[table] = cast("CursorResult[Any]", session.execute(
                delete(model).where(condition).execution_options(synchronize_session=False))).rowcount
        if progress is not None:
            progress(table, counts[table])
    report = PruneReport(deliveries=counts["webhook_deliveries"], events=counts["webhook_events"],
                         rejections=counts["webhook_rejections"], event_days=event_days,
                         rejection_days=rejection_days, dry_run=dry_run)
    if not dry_run:
        audit.record(session, actor=actor, action="webhooks.pruned", entity_type="webhooks", entity_id=None,
                     after={k: v for k, v in asdict(report).items() if k != "dry_run"})
    return report
