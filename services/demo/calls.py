"""Demo API call history for the demo organizations' sandbox connections, so the API health page has
30 days of rates, latencies and error categories to show, with one episode per kind of trouble (rate
limits, an outage three days ago with its alert raised and cleared, timeouts, a connection that needs
reconnecting failing for the last 12 hours with its alert open). Each provider folder's ``DEMO`` says its
part (services/demo/plan.py: ``calls``, ``episodes``, ``past_alert``).

Deterministic for a seed; times are relative to now (health is about now, whatever the demo's as-of date).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, ApiCall, Connection, Integration
from services.catalog import load_catalog
from services.demo.plan import DemoPlan, plans
from services.monitoring.alerts import evaluate

STATUS = {"auth": 401, "rate_limit": 429, "validation": 422, "not_found": 404, "provider": 503, "network": None}


def _episode(plan: DemoPlan, at: datetime, now: datetime) -> str | None:
    """A failure category forced by the provider's story (``DEMO.episodes``), or None."""
    ago = now - at
    return next((e.category for e in plan.episodes if e.since <= ago < e.until), None)


def seed_call_history(session: Session, *, seed: int = 7, days: int = 30, now: datetime | None = None) -> int:
    """Log demo calls for every sandbox connection of a known profile; returns how many rows were added."""
    now = now or utcnow()
    rng = np.random.default_rng(seed)
    catalog = load_catalog()
    rows = []
    demo = plans()
    conns = session.execute(select(Connection.id, Connection.integration_id, Integration.slug, Connection.base_url)
                            .join(Integration, Integration.id == Connection.integration_id)
                            .where(Connection.sandbox.is_(True)).order_by(Connection.id)).all()
    for conn_id, integration_id, slug, base_url in conns:
        plan = demo.get(slug)
        if plan is None or plan.calls is None:
            continue
        median, per_day = plan.calls.median_ms, plan.calls.per_day
        share, background = plan.calls.failure_share, plan.calls.category
        spec = catalog.get(slug)
        actions = [None, *spec.actions]
        check = spec.check.path if spec.check else "/"
        count = int(per_day * days)
        offsets = np.sort(rng.uniform(0, days * 86400, size=count))
        for offset in offsets:
            at = now - timedelta(seconds=float(days * 86400 - offset))
            category = _episode(plan, at, now) or (background if rng.random() < share else None)
            action = actions[int(rng.integers(0, len(actions)))]
            latency = float(np.round(median * rng.lognormal(0, 0.35), 1))
            if category == "network":
                latency = 15000.0
            rows.append({"integration_id": integration_id, "connection_id": conn_id, "action": action,
                         "mode": "test" if action is None or rng.random() < 0.1 else "live",
                         "method": "GET" if action is None else (spec.actions[action].method or "POST"),
                         "url": (base_url or "https://api.example")[:200] + (check if action is None else "/…"),
                         "status_code": STATUS[category] if category else 200, "duration_ms": latency,
                         "attempt": 1, "error_category": category, "created_at": at})
    for start in range(0, len(rows), 5000):
        session.execute(insert(ApiCall), rows[start:start + 5000])
    _past_alert(session, now)
    session.flush()
    evaluate(session, now=now, actor="demo")
    return len(rows)


def _past_alert(session: Session, now: datetime) -> None:
    """Alerts raised and cleared before the rules ran on the demo (e.g. an outage's, three days ago)."""
    catalog = load_catalog()
    for slug, plan in plans().items():
        alert = plan.past_alert
        if alert is None:
            continue
        row = session.execute(select(Connection.id, Connection.integration_id).join(
            Integration, Integration.id == Connection.integration_id).where(
            Integration.slug == slug, Connection.sandbox.is_(True)).order_by(Connection.id)).first()
        if row is None:
            continue
        session.add(Alert(integration_id=row[1], connection_id=row[0], kind=alert.kind,
                          message=alert.message.format(name=catalog.get(slug).name, connection=row[0]),
                          raised_at=now - alert.raised_ago, cleared_at=now - alert.cleared_ago))
