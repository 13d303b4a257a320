"""What the jobs run. Each takes ids (or nothing, for a periodic pass); the rows are the truth.

- ``handle_inbound_event``: one accepted inbound event (``inbound.handle_received`` claims it in the transaction
  that handles it: a second run, or a retry after a killed worker, matches nothing), then its deliveries;
- ``send_delivery``: one outbound delivery (its claim lease: services/providers/zapier/rest_hooks.py);
- ``send_announcements``: the upvoter announcements outbox (each row claimed before its mail leaves);
- ``pending_pass`` (every minute): inbound events left unprocessed, deliveries left pending or interrupted,
  announcements waiting: whatever a lost job or a stopped process left undone;
- ``health_sweep`` (every 15 minutes) and ``prune`` (daily): the former cron entries; ``sweep_shard``: one shard of
  a sweep, whose alert events are then queued as ``deliver_alert`` jobs (one per event and configured channel),
  each retried with backoff when its attempt fails (the event's fields travel in the job, never a secret); on the
  queue, the pages' and CLI's checks, runs, sweeps and evaluations queue theirs the same way (``alert_sender``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy import func, select

from db.models import Notification
from db.session import database_url, session_scope
from services.build import notifications
from services.core.errors import DeliveryFailed
from services.jobs.dispatch import defer
from services.jobs.registry import MAINTENANCE, NOTIFY, WEBHOOKS, job, uses_queue
from services.monitoring import alerts, delivery
from services.monitoring.sweep import run_sweep
from services.monitoring.sweep import targets as sweep_targets
from services.webhooks import hooks, inbound, recovery, retention

log = logging.getLogger(__name__)

ACTOR = "scheduler"            # audit actor of periodic work (prune, sweeps, announcements)
# Threads per shard job: a worker has this × its --concurrency checks in flight (32 by default), more than one
# process's interpreter keeps busy at provider latencies of tens of ms. 16 made four workers on two cores slower
# (more threads waiting for each process's interpreter lock): 9.8 s against 8.6 s (docs/benchmarks.md).
SWEEP_CONCURRENCY = 8
SHARD = 50                     # connections per sweep job
DELIVERY_LOCK = "delivery:{delivery_id}"


def _send_later(delivery_ids: list[int]) -> int:
    return defer("send_delivery", [{"delivery_id": i} for i in delivery_ids], lock=DELIVERY_LOCK)


@job("handle_inbound_event", queue=WEBHOOKS, retries=5)
def handle_inbound_event(event_id: int) -> str | None:
    status, queued = inbound.handle_received(event_id)
    _send_later(queued)
    return status


def inbound_accepted(event_ids: list[int]) -> None:
    """After the 2xx of an inbound webhook (a route background task; never raises): a job per event on the queue,
    so any worker handles it; embedded, handled here as before. A failed defer loses nothing: the event stays
    ``received`` and the pending pass handles it."""
    try:
        if uses_queue(database_url()):
            defer("handle_inbound_event", [{"event_id": i} for i in event_ids])
            return
    except Exception as exc:
        log.warning("webhook event(s) %s not queued (%s); left for the pending pass", event_ids, type(exc).__name__)
        return
    inbound.handle_events(event_ids)


@job("send_delivery", queue=WEBHOOKS, retries=3)
def send_delivery(delivery_id: int) -> str | None:
    sent = hooks.send([delivery_id])
    return sent[0] if sent else None


@job("send_announcements", queue=NOTIFY, exclusive=True)
def send_announcements(timestamp: int | None = None) -> int:
    """The outbox, when SMTP_URL is set (without it the announcements stay in-app, as documented)."""
    smtp_url = os.environ.get("SMTP_URL") or None
    if not smtp_url:
        return 0
    report = notifications.send_pending(smtp_url=smtp_url, actor=ACTOR)
    return report.sent


@job("pending_pass", queue=MAINTENANCE, cron="* * * * *", every_s=recovery.INTERVAL_S, exclusive=True)
def pending_pass(timestamp: int | None = None) -> dict[str, Any]:
    """Everything a lost job left undone, found from the rows: events still ``received`` a minute after they
    arrived are handled here (their claim keeps it once), deliveries due are queued (one job each at most)."""
    report = recovery.run_pass()
    with session_scope() as session:
        due = hooks.due(session)
        waiting = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.status.in_(notifications.RETRYABLE),
            Notification.attempts < notifications.MAX_ATTEMPTS)) or 0
    queued = _send_later(sorted(set(report.queued) | set(due)))
    if waiting and os.environ.get("SMTP_URL"):
        defer("send_announcements", [{}], lock="send_announcements")
    return {"events": report.total, "deliveries": queued, "announcements": waiting}


@job("health_sweep", queue=MAINTENANCE, cron="*/15 * * * *", every_s=15 * 60, exclusive=True)
def health_sweep(timestamp: int | None = None) -> int:
    """Split the sweep into shards of ``SHARD`` connections, one job each, so every worker takes part (each shard
    is stored as its own sweep); embedded, the shards run in this process one after another."""
    with session_scope() as session:
        ids = [v.id for v in sweep_targets(session)]
    shards = [{"connection_ids": ids[i:i + SHARD]} for i in range(0, len(ids), SHARD)]
    if not uses_queue(database_url()):
        return sum(sweep_shard(**shard) for shard in shards)
    return defer("sweep_shard", shards)


@job("sweep_shard", queue=MAINTENANCE, retries=1)
def sweep_shard(connection_ids: list[int]) -> int:
    """Check these connections (concurrently, paced by the shared budget), then evaluate their alerts in a unit of
    work of its own and queue the events' deliveries as jobs (not inline: each is retried on its own); the number
    of checks that failed."""
    report = run_sweep(actor=ACTOR, concurrency=SWEEP_CONCURRENCY, connection_ids=connection_ids,
                       evaluate_alerts=False)
    if report.results:
        alerts.evaluate_and_deliver(connection_ids=[r.connection_id for r in report.results], actor=ACTOR,
                                    send=deliver_later)
    return report.failed


def deliver_later(events: list[alerts.AlertEvent]) -> int:
    """One ``deliver_alert`` job per event and configured channel (none configured: none queued)."""
    return defer("deliver_alert", [{"event": delivery.payload(event), "channel": channel}
                                   for channel in delivery.channels() for event in events])


def alert_sender(url: str | None = None) -> alerts.Send | None:
    """The ``send`` for a page's or command's check, run, sweep or evaluation: on the queue, ``deliver_later``
    (retried jobs any worker runs); embedded, None (inline), since a CLI process could exit before the in-process
    runner had delivered."""
    return deliver_later if uses_queue(url or database_url()) else None


@job("deliver_alert", queue=NOTIFY, retries=4)
def deliver_alert(event: dict[str, Any], channel: str) -> bool:
    """One alert event (its delivery payload) on one channel: one attempt, one ``alert_deliveries`` row. A failed
    attempt raises ``DeliveryFailed``, so procrastinate retries it (4 retries, 2, 4, 8 and 16 s apart; the embedded
    runner makes the one attempt). False, nothing sent, when the channel is no longer configured."""
    row = delivery.deliver_event(alerts.AlertEvent.from_payload(event), channel)
    if row is None:
        log.info("alert #%s %s: %s delivery no longer configured; not sent", event.get("alert_id"),
                 event.get("event"), channel)
        return False
    if not row.ok:
        raise DeliveryFailed(f"alert #{row.alert_id} {row.event}: {channel} delivery to {row.target} failed "
                             f"({row.error})")
    return True


@job("prune", queue=MAINTENANCE, cron="30 3 * * *", every_s=24 * 3600, exclusive=True)
def prune(timestamp: int | None = None) -> int:
    with session_scope() as session:
        return retention.prune(session, actor=ACTOR).total
JOBS_LOADED = True   # `import tasks` registers the jobs (services/jobs/registry.py)
