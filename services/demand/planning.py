"""Status moves from the entry points: every way an integration leaves ``requested`` is a planning decision.

Criterion 4 asks whether the upvote ranking informed what was built, so each move out of ``requested``
(to planned, or straight to building) records what the ranking said at that moment (rank, bucket, score,
upvotes, the weights' version), whoever makes it: the Priorities page, the Build tracker or
``layers-hub status set``. The build tracker owns the transition rules (services/build/pipeline.py); this
wraps them so the record and the move share one unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Integration
from db.models.ranking import PlanningDecision
from services.build.pipeline import change_status
from services.core.integrations import get_integration
from services.demand import ranking


def move_status(session: Session, *, actor: str, slug: str, to_status: str,
                override_reason: str | None = None) -> Integration:
    """``change_status`` plus, when the integration leaves ``requested``, its planning decision."""
    before = get_integration(session, slug).status
    snapshot = ranking_snapshot(session, slug) if before == "requested" and to_status != "requested" else None
    integration = change_status(session, actor=actor, slug=slug, to_status=to_status,
                                override_reason=override_reason)
    if snapshot is not None and integration.status == to_status:
        session.add(PlanningDecision(integration_id=integration.id, planned_by=actor, **snapshot))
        session.flush()
    return integration


def ranking_snapshot(session: Session, slug: str) -> dict[str, object]:
    """What the ranking says about ``slug`` now: the fields of its planning decision."""
    settings = ranking.current_settings(session)
    row = next(r for r in ranking.rank(session, include_built=True, settings=settings) if r.slug == slug)
    return {"rank": row.rank if not row.built else None, "bucket": row.bucket, "score": row.score,
            "upvotes": row.upvotes, "settings_version": settings.version}
