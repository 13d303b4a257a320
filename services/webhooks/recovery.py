"""The recovery pass: inbound events stored (answered 2xx) but never handled (issue 17).

An event is handled after the answer (``inbound.handle_events``, a route background task). When the process stops
or the database goes away in between, the event stays ``received``. This pass handles every event still
``received`` ``GRACE`` after it arrived, each with ``inbound.handle_received``: a claim (conditional UPDATE) and the
outcome in one transaction, so an event is handled exactly once whoever runs the pass, however many run at once,
and whenever a connection drops (a transaction that did not commit changed nothing: the next pass takes it).

Run by the server every ``INTERVAL_S`` (app.py's lifespan) and by ``layers-hub webhooks send`` (cron), which then
sends the deliveries the pass queued. ``unprocessed`` is the API health page's figure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.webhooks import WebhookEvent
from db.outage import is_outage
from db.session import session_scope
from services.webhooks import inbound

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=1)   # after-2xx handling takes milliseconds; past this it was lost
INTERVAL_S = 30.0              # how often the server runs the pass
BATCH = 500                    # events per pass (the oldest first); the next pass takes the rest


@dataclass
class PassReport:
    statuses: dict[str, int] = field(default_factory=dict)   # new status -> events (handled, ignored, failed)
    skipped: int = 0                                          # another handler had them first
    queued: list[int] = field(default_factory=list)           # deliveries to send (``hooks.send``)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def line(self) -> str:
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        return (f"handled {self.total} inbound event{'' if self.total == 1 else 's'} left unprocessed"
                + (f" ({done})" if done else "") + (f"; {self.skipped} taken by another handler" if self.skipped
                                                    else ""))


def _left(cutoff: datetime) -> ColumnElement[bool]:
    return and_(WebhookEvent.status == "received", WebhookEvent.received_at < cutoff)


def unprocessed(session: Session, now: datetime | None = None) -> tuple[int, datetime | None]:
    """Events still ``received`` ``GRACE`` after they arrived: how many, and when the oldest arrived."""
    cutoff = (now or utcnow()) - GRACE
    count, oldest = session.execute(select(func.count(), func.min(WebhookEvent.received_at))
                                    .where(_left(cutoff))).one()
    return int(count or 0), oldest


def _mark_failed(event_id: int, cutoff: datetime, exc: Exception, db_url: str | None) -> str | None:
    """The event's handling cannot commit for a reason of its own (not an outage): failed (replayable), so it does
    not come back on every pass."""
    with session_scope(db_url) as session:
        stmt = (update(WebhookEvent).where(WebhookEvent.id == event_id, _left(cutoff))
                .values(status="failed", attempts=WebhookEvent.attempts + 1, handled_at=utcnow(),
                        error=f"{type(exc).__name__}: {exc}"[:1000])
                .execution_options(synchronize_session=False))
        return "failed" if cast("CursorResult[Any]", session.execute(stmt)).rowcount == 1 else None


def run_pass(*, now: datetime | None = None, db_url: str | None = None, limit: int = BATCH) -> PassReport:
    """Handle the events left ``received`` (oldest first, at most ``limit``). Raises when the database is
    unreachable (what was committed stays; the rest waits for the next pass). The caller sends ``queued``."""
    cutoff = (now or utcnow()) - GRACE
    with session_scope(db_url) as session:
        ids = list(session.scalars(select(WebhookEvent.id).where(_left(cutoff)).order_by(WebhookEvent.id)
                                   .limit(limit)))
    report = PassReport()
    for event_id in ids:
        try:
            status, queued = inbound.handle_received(event_id, before=cutoff, db_url=db_url)
        except Exception as exc:
            if is_outage(exc) or is_outage(exc.__context__):
                raise
            log.warning("webhook event %s: handling failed to commit (%s); marked failed", event_id,
                        type(exc).__name__)
            status, queued = _mark_failed(event_id, cutoff, exc, db_url), []
        if status is None:
            report.skipped += 1
            continue
        report.statuses[status] = report.statuses.get(status, 0) + 1
        report.queued.extend(queued)
    if ids:
        log.info("webhook recovery pass: %s", report.line())
    return report
