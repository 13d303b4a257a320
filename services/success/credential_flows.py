"""Criterion 2: Available integrations whose credential flow worked in the last 30 days.

A flow worked when, inside the window, one of the integration's connections (not revoked) showed:
a credential check that passed (saving a verified key, or "Test connection"), OAuth tokens issued or
refreshed without error, a webhook connection created, or a test run that passed. Evidence from
sandbox connections is listed but not counted: it proves our code, not the provider's real flow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Connection, Integration, TestRun
from services.success.criterion import Criterion

WINDOW_DAYS = 30
COLUMNS = ["slug", "name", "auth", "last_success", "evidence", "connection_id", "sandbox_only", "counted"]


def _connection_events(conn: Connection, since: datetime) -> list[tuple[datetime, str]]:
    if conn.status == "revoked":
        return []
    events = []
    if conn.last_checked_at and conn.last_checked_at >= since and conn.last_error is None:
        events.append((conn.last_checked_at, "credential check passed"))
    if (conn.auth_type == "oauth2" and conn.last_refreshed_at and conn.last_refreshed_at >= since
            and conn.status == "active" and conn.last_error is None):
        events.append((conn.last_refreshed_at, "OAuth tokens issued or refreshed"))
    if conn.auth_type == "webhook" and conn.created_at >= since and conn.status == "active":
        events.append((conn.created_at, "webhook connection created"))
    return events


def credential_flows_criterion(session: Session, now: datetime, window_days: int = WINDOW_DAYS) -> Criterion:
    since = now - timedelta(days=window_days)
    available = session.scalars(select(Integration).where(Integration.status == "available")
                                .order_by(Integration.name)).all()
    ids = [i.id for i in available]
    found: dict[int, list[tuple[datetime, str, int, bool]]] = {i: [] for i in ids}
    conns = {c.id: c for c in session.scalars(select(Connection).where(Connection.integration_id.in_(ids)))}
    for conn in conns.values():
        for at, what in _connection_events(conn, since):
            if at <= now:
                found[conn.integration_id].append((at, what, conn.id, conn.sandbox))
    for run in session.scalars(select(TestRun).where(TestRun.connection_id.in_(list(conns)), TestRun.ok.is_(True),
                                                     TestRun.created_at >= since, TestRun.created_at <= now)):
        conn = conns[run.connection_id]
        what = f"test run passed ({run.action})" if run.action else "credential test passed"
        found[conn.integration_id].append((run.created_at, what, conn.id, conn.sandbox))
    rows = []
    for i in available:
        real = [e for e in found[i.id] if not e[3]]
        best = max(real or found[i.id], default=None)
        rows.append({"slug": i.slug, "name": i.name, "auth": i.auth_method,
                     "last_success": best[0] if best else None,
                     "evidence": best[1] if best else f"no successful connection or check in {window_days} days",
                     "connection_id": best[2] if best else None, "sandbox_only": bool(best and not real),
                     "counted": bool(real)})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    sandbox = int(frame["sandbox_only"].sum())
    return Criterion("2", 2, "All integrations have OAuth/API key flows working",
                     f"Available integrations whose credential flow had a successful connection or credential "
                     f"check in the last {window_days} days (real connections; sandbox ones listed, not counted).",
                     int(frame["counted"].sum()), len(frame), True, frame,
                     f"{sandbox} more worked only against the sandbox." if sandbox else "")
