"""Read side of API health: the API call log as DataFrames, success/failure rates and latency percentiles.

Definitions (tests compute them by hand on fixture rows):
- a call is one logged request attempt (``api_calls`` row); it failed when it has an error category;
- success rate = succeeded / calls, failure rate = failed / calls, over the window;
- p50 / p95 = the 50th / 95th percentile of ``duration_ms`` with linear interpolation between the two
  nearest ranks (pandas/numpy "linear"), over every call of the group, failed ones included.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, ApiCall, Connection, Integration, Organization, Tier
from services.webhooks import recovery

WINDOWS: dict[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
WINDOW_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
BUCKETS = {"24h": "1h", "7d": "6h", "30d": "1D"}
CALL_COLUMNS = ["created_at", "integration_slug", "integration", "connection_id", "organization", "action", "mode",
                "status_code", "duration_ms", "category", "failed"]
SUMMARY_COLUMNS = ["calls", "succeeded", "failed", "success_rate", "failure_rate", "p50_ms", "p95_ms"]


def calls_frame(session: Session, *, window: str = "24h", now: datetime | None = None,
                integration: str | None = None, connection_id: int | None = None) -> pd.DataFrame:
    """Every logged call of the window (optionally of one integration or connection), oldest first."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
    now = now or utcnow()
    query = (select(ApiCall.created_at, Integration.slug, Integration.name, ApiCall.connection_id, Organization.name,
                    ApiCall.action, ApiCall.mode, ApiCall.status_code, ApiCall.duration_ms, ApiCall.error_category)
             .join(Integration, Integration.id == ApiCall.integration_id)
             .outerjoin(Connection, Connection.id == ApiCall.connection_id)
             .outerjoin(Organization, Organization.id == Connection.organization_id)
             .where(ApiCall.created_at >= now - WINDOWS[window], ApiCall.created_at <= now)
             .order_by(ApiCall.created_at, ApiCall.id))
    if integration:
        query = query.where(Integration.slug == integration)
    if connection_id is not None:
        query = query.where(ApiCall.connection_id == connection_id)
    rows = session.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=CALL_COLUMNS[:-1])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["duration_ms"] = frame["duration_ms"].astype(float)
    frame["failed"] = frame["category"].notna()
    return frame


def _stats(group: pd.DataFrame) -> dict[str, float | int | None]:
    calls = len(group)
    failed = int(group["failed"].sum()) if calls else 0
    return {"calls": calls, "succeeded": calls - failed, "failed": failed,
            "success_rate": (calls - failed) / calls if calls else None,
            "failure_rate": failed / calls if calls else None,
            "p50_ms": float(group["duration_ms"].quantile(0.5)) if calls else None,
            "p95_ms": float(group["duration_ms"].quantile(0.95)) if calls else None}


def summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rates and percentiles per group (e.g. ``["integration"]`` or ``["connection_id", ...]``), worst first."""
    if frame.empty:
        return pd.DataFrame(columns=[*by, *SUMMARY_COLUMNS])
    rows = [{**dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)), **_stats(group)}
            for key, group in frame.groupby(by, dropna=False, sort=True)]
    out = pd.DataFrame(rows, columns=[*by, *SUMMARY_COLUMNS])
    for column in ("calls", "succeeded", "failed"):
        out[column] = out[column].astype(int)
    return out.sort_values(["failure_rate", "calls"], ascending=[False, False], kind="stable").reset_index(drop=True)


def totals(frame: pd.DataFrame) -> dict[str, float | int | None]:
    return _stats(frame)


def categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Failed calls per error category, most frequent first."""
    failed = frame[frame["failed"]] if not frame.empty else frame
    counts = failed["category"].value_counts() if not failed.empty else pd.Series(dtype=int)
    return pd.DataFrame({"category": counts.index.astype(str), "calls": counts.to_numpy(dtype=int)})


def timeline(frame: pd.DataFrame, window: str = "24h") -> pd.DataFrame:
    """Per time bucket (1 h / 6 h / 1 day for 24 h / 7 d / 30 d): calls, failed, failure rate, p50, p95."""
    columns = ["bucket", "calls", "succeeded", "failed", "failure_rate", "p50_ms", "p95_ms"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    bucket = frame["created_at"].dt.floor(BUCKETS[window])
    rows = [{"bucket": key, **{k: v for k, v in _stats(group).items() if k in columns}}
            for key, group in frame.groupby(bucket, sort=True)]
    return pd.DataFrame(rows, columns=columns)


def alerts_frame(session: Session, *, open_only: bool = True, since: datetime | None = None,
                 limit: int = 200) -> pd.DataFrame:
    """Alerts (every kind, including needs_reauth from the credentials service), newest first."""
    query = (select(Alert.id, Alert.kind, Integration.name, Alert.connection_id, Organization.name, Tier.name,
                    Alert.message, Alert.raised_at, Alert.cleared_at)
             .join(Integration, Integration.id == Alert.integration_id)
             .outerjoin(Connection, Connection.id == Alert.connection_id)
             .outerjoin(Organization, Organization.id == Connection.organization_id)
             .outerjoin(Tier, Tier.id == Organization.tier_id)
             .order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit))
    if open_only:
        query = query.where(Alert.cleared_at.is_(None))
    if since is not None:
        query = query.where(Alert.raised_at >= since)
    return pd.DataFrame(session.execute(query).all(),
                        columns=["id", "kind", "integration", "connection_id", "organization", "tier", "message",
                                 "raised_at", "cleared_at"])


def logged_integrations(session: Session, *, now: datetime | None = None) -> list[tuple[str, str]]:
    """(slug, name) of the integrations with calls in the last 30 days, by name (the page's filter)."""
    since = (now or utcnow()) - WINDOWS["30d"]
    rows = session.execute(select(Integration.slug, Integration.name).join(ApiCall, ApiCall.integration_id ==
                                                                           Integration.id)
                           .where(ApiCall.created_at >= since).distinct()).all()
    return sorted(((s, n) for s, n in rows), key=lambda r: r[1].lower())


def unprocessed_events(session: Session, *, now: datetime | None = None) -> tuple[int, timedelta | None]:
    """Inbound webhook events answered 2xx but still not handled past the recovery pass's grace period
    (``recovery.GRACE``; services/webhooks/recovery.py): how many, and how long ago the oldest arrived."""
    when = now or utcnow()
    count, oldest = recovery.unprocessed(session, when)
    return count, (when - oldest if oldest is not None else None)
