"""Alerts on repeated failures, from the API call log, with thresholds per customer tier.

Two rules per connection, each its own alert kind:
- ``consecutive_failures``: the connection's latest N calls (within the last 30 days) all failed;
- ``failure_rate``: over the last ``window_minutes``, at least ``min_calls`` calls and a failed share
  reaching ``failure_rate``.
N, the rate, the window and the minimum come from the organization's tier (enterprise alerts sooner);
rows in ``alert_thresholds`` override the defaults below. An open alert clears itself once its rule no
longer holds *and* the connection's latest call succeeded. Raising and clearing are both recorded (the
alert row's raised_at / cleared_at and an audit entry each) and optionally delivered (delivery.py).
A failed call is a logged call with an error category; each retry attempt is its own logged call.
Rules run after every check, test run and sweep (for those connections), and on "Evaluate alerts now".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, ApiCall, Connection, Integration, Organization, Tier
from db.models.health import AlertThreshold
from db.session import session_scope
from services.core import audit
from services.core.errors import InvalidInput, NotFound, PermissionDenied
from services.monitoring.delivery import deliver, event_data

log = logging.getLogger(__name__)

KINDS = ("consecutive_failures", "failure_rate")
# tier slug -> (consecutive failures, failure rate, window minutes, minimum calls)
DEFAULTS: dict[str, tuple[int, float, int, int]] = {
    "free": (5, 0.5, 60, 10), "starter": (5, 0.4, 60, 10), "pro": (4, 0.3, 60, 10),
    "agency": (3, 0.25, 60, 8), "enterprise": (2, 0.1, 60, 5)}
FALLBACK = (5, 0.5, 60, 10)
THRESHOLD_ROLES = frozenset({"engineer", "admin"})
RECENT_MINUTES = 24 * 60                # "every connection": those with calls in the last day (or open alerts)
STREAK_HORIZON = timedelta(days=30)     # consecutive failures are counted among the last 30 days' calls
CHUNK = 500


@dataclass(frozen=True)
class Threshold:
    tier_id: int
    tier: str
    tier_name: str
    consecutive_failures: int
    failure_rate: float
    window_minutes: int
    min_calls: int
    custom: bool


@dataclass(frozen=True)
class AlertEvent:
    alert_id: int
    event: str               # raised | cleared
    kind: str
    connection_id: int
    integration: str
    organization: str
    tier: str
    message: str
    at: datetime

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> AlertEvent:
        """The event rebuilt from its delivery payload (``delivery.payload``: what a ``deliver_alert`` job carries)."""
        return cls(**event_data(data))


def thresholds(session: Session) -> dict[int, Threshold]:
    """Every tier's thresholds (stored override, else the default), by tier id."""
    rows = {r.tier_id: r for r in session.scalars(select(AlertThreshold))}
    out = {}
    for tier in session.scalars(select(Tier).order_by(Tier.position)):
        row = rows.get(tier.id)
        values = ((row.consecutive_failures, row.failure_rate, row.window_minutes, row.min_calls) if row
                  else DEFAULTS.get(tier.slug, FALLBACK))
        out[tier.id] = Threshold(tier.id, tier.slug, tier.name, *values, custom=row is not None)
    return out


def set_threshold(session: Session, tier: str, *, actor: str, consecutive_failures: int, failure_rate: float,
                  window_minutes: int, min_calls: int, role: str | None = None) -> Threshold:
    """Change a tier's thresholds (audited with before and after); engineers and admins only."""
    if role is not None and role not in THRESHOLD_ROLES:
        raise PermissionDenied(f"{role} may not change alert thresholds")
    row_tier = session.scalar(select(Tier).where(Tier.slug == tier))
    if row_tier is None:
        raise NotFound(f"tier {tier!r} not found")
    if consecutive_failures < 1 or window_minutes < 1 or min_calls < 1:
        raise InvalidInput("consecutive failures, window and minimum calls must be at least 1")
    if not 0 < failure_rate <= 1:
        raise InvalidInput("the failure rate is a share between 0 (exclusive) and 1, e.g. 0.25 for 25%")
    before = thresholds(session)[row_tier.id]
    row = session.scalar(select(AlertThreshold).where(AlertThreshold.tier_id == row_tier.id))
    if row is None:
        row = AlertThreshold(tier_id=row_tier.id)
        session.add(row)
    row.consecutive_failures, row.failure_rate = consecutive_failures, float(failure_rate)
    row.window_minutes, row.min_calls, row.updated_by, row.updated_at = window_minutes, min_calls, actor, utcnow()
    session.flush()
    after = thresholds(session)[row_tier.id]
    keys = ("consecutive_failures", "failure_rate", "window_minutes", "min_calls")
    audit.record(session, actor=actor, action="alert_threshold.updated", entity_type="tier", entity_id=tier,
                 before={k: getattr(before, k) for k in keys}, after={k: getattr(after, k) for k in keys})
    return after


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _latest(session: Session, ids: list[int], depth: int, since: datetime) -> dict[int, list[bool]]:
    """connection id -> failed? of its latest ``depth`` calls since ``since``, newest first."""
    out: dict[int, list[bool]] = {}
    for chunk in _chunks(ids):
        ranked = (select(ApiCall.connection_id, ApiCall.error_category,
                         func.row_number().over(partition_by=ApiCall.connection_id,
                                                order_by=(ApiCall.created_at.desc(), ApiCall.id.desc())).label("n"))
                  .where(ApiCall.connection_id.in_(chunk), ApiCall.created_at >= since).subquery())
        for cid, category, _ in session.execute(select(ranked).where(ranked.c.n <= depth)
                                                .order_by(ranked.c.connection_id, ranked.c.n)):
            out.setdefault(cid, []).append(category is not None)
    return out


def _window(session: Session, ids: list[int], since: datetime) -> dict[int, tuple[int, int]]:
    """connection id -> (calls, failed calls) since ``since``."""
    out: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(ids):
        query = (select(ApiCall.connection_id, func.count(), func.count(ApiCall.error_category))
                 .where(ApiCall.connection_id.in_(chunk), ApiCall.created_at >= since)
                 .group_by(ApiCall.connection_id))
        out.update({cid: (total, failed) for cid, total, failed in session.execute(query) if cid is not None})
    return out


def evaluate(session: Session, *, connection_ids: list[int] | None = None, now: datetime | None = None,
             actor: str = "system") -> list[AlertEvent]:
    """Raise and clear alerts for the given connections (default: every connection with recent calls or an
    open alert). Returns the events, in the caller's unit of work. Alerts are the system's doing; ``actor``
    (whose check, run or sweep prompted the evaluation) is kept in the audit entry."""
    now = now or utcnow()
    tiers = thresholds(session)
    if connection_ids is None:
        longest = max([t.window_minutes for t in tiers.values()] + [RECENT_MINUTES])
        candidates = set(session.scalars(select(ApiCall.connection_id).where(
            ApiCall.created_at >= now - timedelta(minutes=longest), ApiCall.connection_id.is_not(None)).distinct()))
        candidates |= set(session.scalars(select(Alert.connection_id).where(Alert.cleared_at.is_(None),
                                                                            Alert.kind.in_(KINDS))))
        connection_ids = sorted(i for i in candidates if i is not None)
    info = {}
    for chunk in _chunks(sorted(set(connection_ids))):
        info.update({c: (i, iname, oname, tier) for c, i, iname, oname, tier in session.execute(
            select(Connection.id, Integration.id, Integration.name, Organization.name, Organization.tier_id)
            .join(Integration, Integration.id == Connection.integration_id)
            .join(Organization, Organization.id == Connection.organization_id).where(Connection.id.in_(chunk)))})
    ids = sorted(info)
    latest = _latest(session, ids, max((t.consecutive_failures for t in tiers.values()), default=5),
                     now - STREAK_HORIZON)
    windows: dict[int, tuple[int, int]] = {}
    for minutes in {t.window_minutes for t in tiers.values()}:
        group = [c for c in ids if tiers[info[c][3]].window_minutes == minutes]
        windows.update(_window(session, group, now - timedelta(minutes=minutes)))
    open_alerts: dict[tuple[int, str], Alert] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(Alert).where(Alert.connection_id.in_(chunk), Alert.cleared_at.is_(None),
                                                       Alert.kind.in_(KINDS))):
            if row.connection_id is not None:
                open_alerts.setdefault((row.connection_id, row.kind), row)
    events = []
    for cid in ids:
        integration_id, integration, org, tier_id = info[cid]
        t = tiers[tier_id]
        recent = latest.get(cid, [])
        streak = next((n for n, failed in enumerate(recent) if not failed), len(recent))
        total, failed = windows.get(cid, (0, 0))
        who = f"{integration} connection #{cid} ({org}, {t.tier_name})"
        holds = {
            "consecutive_failures": (streak >= t.consecutive_failures,
                                     f"{who}: the last {streak} calls failed (alert at {t.consecutive_failures} "
                                     f"for {t.tier_name})"),
            "failure_rate": (total >= t.min_calls and failed / total >= t.failure_rate if total else False,
                             f"{who}: {failed} of {total} calls failed in the last {t.window_minutes} min "
                             f"({failed / total if total else 0:.0%}; alert at {t.failure_rate:.0%} for "
                             f"{t.tier_name})"),
        }
        recovered = bool(recent) and not recent[0]
        for kind, (condition, message) in holds.items():
            alert = open_alerts.get((cid, kind))
            if condition and alert is None:
                alert = Alert(integration_id=integration_id, connection_id=cid, kind=kind, message=message,
                              raised_at=now)
                session.add(alert)
                session.flush()
                event = "raised"
            elif alert is not None and not condition and recovered:
                alert.cleared_at = now
                event = "cleared"
                message = f"{who}: recovered (latest call succeeded); was: {alert.message}"
            else:
                continue
            audit.record(session, actor="system", action=f"alert.{event}", entity_type="alert", entity_id=alert.id,
                         after={"kind": kind, "connection": cid, "message": message, "triggered_by": actor})
            events.append(AlertEvent(alert.id, event, kind, cid, integration, org, t.tier, message, now))
    return events


Send = Callable[[list[AlertEvent]], object]   # hands events over for delivery (services.jobs.tasks.deliver_later)


def evaluate_and_deliver(*, connection_ids: list[int] | None = None, actor: str = "system",
                         db_url: str | None = None, out: object | None = None,
                         send: Send | None = None) -> list[AlertEvent]:
    """Evaluate in its own unit of work, then deliver the events (delivery never undoes an alert): inline, or by
    ``send`` (on PostgreSQL every caller queues a retried job per event: services.jobs.tasks.alert_sender)."""
    with session_scope(db_url) as s:
        events = evaluate(s, connection_ids=connection_ids, actor=actor)
    if events:
        if send is not None:
            try:
                send(events)
                return events
            except Exception:   # the events are recorded and would never be evaluated again: deliver them here once
                log.exception("could not queue the deliveries of %d alert event(s); delivering them now", len(events))
        deliver(events, db_url=db_url, out=out)
    return events
