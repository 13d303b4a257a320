"""Demo API call history for the demo organizations' sandbox connections, so the API health page has
30 days of rates, latencies and error categories to show, with one episode per kind of trouble: HubSpot
rate limits, a Salesforce outage three days ago (its alert raised and cleared), WordPress timeouts, and
the Calendly connection that needs reconnecting failing for the last 12 hours (its alert open).

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
from services.monitoring.alerts import evaluate

# slug -> (median latency ms, calls per day, background failure share, background category)
PROFILES: dict[str, tuple[float, int, float, str]] = {
    "activecampaign": (180, 40, 0.01, "provider"), "hubspot": (250, 60, 0.03, "rate_limit"),
    "calendly": (220, 20, 0.01, "provider"), "n8n": (90, 30, 0.0, "provider"),
    "salesforce": (320, 30, 0.005, "provider"), "wordpress": (600, 15, 0.05, "network"),
    "mailchimp": (150, 25, 0.01, "rate_limit"), "webflow": (200, 10, 0.04, "validation"),
}
STATUS = {"auth": 401, "rate_limit": 429, "validation": 422, "not_found": 404, "provider": 503, "network": None}


def _episode(slug: str, at: datetime, now: datetime) -> str | None:
    """A failure category forced by the story above, or None."""
    ago = now - at
    if slug == "salesforce" and timedelta(days=3) <= ago < timedelta(days=3, hours=2):
        return "provider"
    if slug == "calendly" and ago < timedelta(hours=12):
        return "auth"
    return None


def seed_call_history(session: Session, *, seed: int = 7, days: int = 30, now: datetime | None = None) -> int:
    """Log demo calls for every sandbox connection of a known profile; returns how many rows were added."""
    now = now or utcnow()
    rng = np.random.default_rng(seed)
    catalog = load_catalog()
    rows = []
    conns = session.execute(select(Connection.id, Connection.integration_id, Integration.slug, Connection.base_url)
                            .join(Integration, Integration.id == Connection.integration_id)
                            .where(Connection.sandbox.is_(True)).order_by(Connection.id)).all()
    for conn_id, integration_id, slug, base_url in conns:
        if slug not in PROFILES:
            continue
        median, per_day, share, background = PROFILES[slug]
        spec = catalog.get(slug)
        actions = [None, *spec.actions]
        check = spec.check.path if spec.check else "/"
        count = int(per_day * days)
        offsets = np.sort(rng.uniform(0, days * 86400, size=count))
        for offset in offsets:
            at = now - timedelta(seconds=float(days * 86400 - offset))
            category = _episode(slug, at, now) or (background if rng.random() < share else None)
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
    """The Salesforce outage's alert, raised and cleared three days ago (before the rules ran on the demo)."""
    row = session.execute(select(Connection.id, Connection.integration_id).join(
        Integration, Integration.id == Connection.integration_id).where(
        Integration.slug == "salesforce", Connection.sandbox.is_(True)).order_by(Connection.id)).first()
    if row is None:
        return
    session.add(Alert(integration_id=row[1], connection_id=row[0], kind="consecutive_failures",
                      message=f"Salesforce connection #{row[0]}: the last 5 calls failed (demo: provider outage)",
                      raised_at=now - timedelta(days=3, minutes=-20), cleared_at=now - timedelta(days=3, hours=-2)))
