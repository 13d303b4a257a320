"""Criterion 4: the upvote system informs build priority.

Of the integrations planned in the period, the share that were in the Top bucket when a PM planned
them: the bucket recorded at planning time (planning_decisions), not today's. An integration planned
more than once in the period counts once, with its latest decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration
from db.models.ranking import PlanningDecision
from services.success.criterion import Criterion

COLUMNS = ["slug", "name", "planned_at", "planned_by", "rank", "bucket", "score", "upvotes", "settings_version",
           "top_when_planned"]


def planning_criterion(session: Session, now: datetime, period_days: int | None = 90) -> Criterion:
    """period_days None: all time."""
    query = (select(PlanningDecision, Integration.slug, Integration.name)
             .join(Integration, Integration.id == PlanningDecision.integration_id)
             .where(PlanningDecision.planned_at <= now)
             .order_by(PlanningDecision.planned_at, PlanningDecision.id))
    if period_days is not None:
        query = query.where(PlanningDecision.planned_at >= now - timedelta(days=period_days))
    latest: dict[str, dict] = {}
    for d, slug, name in session.execute(query):
        latest[slug] = {"slug": slug, "name": name, "planned_at": d.planned_at, "planned_by": d.planned_by,
                        "rank": d.rank, "bucket": d.bucket, "score": d.score, "upvotes": d.upvotes,
                        "settings_version": d.settings_version, "top_when_planned": d.bucket == "Top"}
    frame = pd.DataFrame(sorted(latest.values(), key=lambda r: r["planned_at"], reverse=True), columns=COLUMNS)
    period = f"the last {period_days} days" if period_days is not None else "all time"
    return Criterion("4", 4, "Integration upvote system informs build priority",
                     f"Integrations planned in {period} that were in the Top bucket when planned (recorded at "
                     "planning time).", int(frame["top_when_planned"].sum()), len(frame), True, frame,
                     "" if len(frame) else f"No integration was planned in {period}.")
