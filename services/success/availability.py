"""When each integration was Available: from the status history, for the burn-up and criterion 6.

An integration is Available from a move into "available" until a move out of it. Integrations that
were Available without such a move (built before the Hub, or marked existing) count from the moment
their row says they became Available (status_changed_at), else from when the row was created.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import INTEGRATION_STATUSES, Integration
from db.models.build import StatusChange

Interval = tuple[datetime, datetime | None]


def intervals(session: Session) -> dict[str, list[Interval]]:
    """slug -> the periods it was Available (end None: still Available)."""
    moves: dict[int, list[StatusChange]] = defaultdict(list)
    for change in session.scalars(select(StatusChange).order_by(StatusChange.created_at, StatusChange.id)):
        moves[change.integration_id].append(change)
    result: dict[str, list[Interval]] = {}
    for i in session.scalars(select(Integration)):
        spans: list[Interval] = []
        history = moves.get(i.id, [])
        start = i.created_at if history and history[0].from_status == "available" else None
        for c in history:
            if c.to_status == "available" and start is None:
                start = c.created_at
            elif c.from_status == "available" and c.to_status != "available" and start is not None:
                spans.append((start, c.created_at))
                start = None
        if i.status == "available" and start is None:
            start = i.status_changed_at or i.created_at
        if start is not None:
            spans.append((start, None) if i.status == "available" else (start, i.status_changed_at or start))
        result[i.slug] = spans
    return result


def available_since(session: Session) -> dict[str, datetime]:
    """slug -> start of the current Available period, for integrations Available now."""
    return {slug: spans[-1][0] for slug, spans in intervals(session).items() if spans and spans[-1][1] is None}


def burnup_frame(session: Session, now: datetime, *, max_days: int = 365) -> pd.DataFrame:
    """Available integrations at the end of each day (existing / newly built / total), up to today."""
    existing = dict(session.execute(select(Integration.slug, Integration.existing)).all())
    spans = [(slug, s, e) for slug, periods in intervals(session).items() for s, e in periods]
    columns = ["day", "existing", "new", "available"]
    if not spans:
        return pd.DataFrame(columns=columns)
    first = max(min(s for _, s, _ in spans).date(), (now - timedelta(days=max_days)).date())
    days = pd.date_range(first, now.date(), freq="D")
    rows = []
    for day in days:
        end_of_day = datetime.combine(day.date(), datetime.max.time(), tzinfo=now.tzinfo)
        live = {slug for slug, s, e in spans if s <= end_of_day and (e is None or e > end_of_day)}
        old = sum(1 for slug in live if existing.get(slug))
        rows.append({"day": day.date(), "existing": old, "new": len(live) - old, "available": len(live)})
    return pd.DataFrame(rows, columns=columns)


def status_counts(session: Session) -> pd.DataFrame:
    """Integrations per pipeline stage (every stage listed, zero included)."""
    counts = dict(session.execute(select(Integration.status, func.count()).group_by(Integration.status)).all())
    return pd.DataFrame([{"status": s, "integrations": int(counts.get(s, 0))} for s in INTEGRATION_STATUSES])
