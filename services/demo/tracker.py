"""Demo data for the build tracker: owners, target dates, history and a few reviews in progress.

Called by services.demo.seed_demo after it has moved a few integrations part-way; what goes where is each
provider folder's ``DEMO`` (services/demo/plan.py: ``pipeline``, ``review``, ``shipped``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from db.models.build import ChecklistEvent, ReviewFinding, StatusChange
from db.models.ranking import PlanningDecision
from services.build import pipeline
from services.build.evidence import GUIDE_ITEMS
from services.demand.planning import ranking_snapshot
from services.demo.plan import ADMIN, ENGINEER, plans

_PATH = ("requested", "planned", "building", "testing", "available")


def shipped() -> tuple[str, str] | None:
    """(slug, override reason) of the integration the tracker takes through the whole checklist and makes
    Available (its upvoters are in the outbox), or None."""
    return next(((slug, plan.shipped) for slug, plan in plans().items() if plan.shipped), None)


def __getattr__(name: str) -> Any:
    if name in ("SHIPPED", "SHIPPED_OVERRIDE"):   # read from the provider folders on first use
        found = shipped()
        if found is None:
            raise AttributeError(f"no provider folder's DEMO is shipped, so there is no {name}")
        return found[0] if name == "SHIPPED" else found[1]
    raise AttributeError(name)


def _move(session: Session, integration: Integration, a: str, b: str, actor: str, at: datetime) -> None:
    session.add(StatusChange(integration_id=integration.id, from_status=a, to_status=b, actor=actor, created_at=at))
    if a == "requested":   # leaving requested is a planning decision (criterion 4), as in the app
        session.add(PlanningDecision(integration_id=integration.id, planned_by=actor, planned_at=at,
                                     **ranking_snapshot(session, integration.slug)))


def seed(session: Session, anchor: datetime) -> None:
    by_slug = {i.slug: i for i in session.scalars(select(Integration))}
    demo = plans()
    for slug, plan in demo.items():
        integration = by_slug.get(slug)
        if plan.pipeline is None or integration is None:
            continue
        owner, days = plan.pipeline.owner, plan.pipeline.target_days
        integration.owner = owner
        integration.target_date = (anchor + timedelta(days=days)).date() if days is not None else None
        steps = _PATH[: _PATH.index(integration.status) + 1] if integration.status in _PATH else ()
        moves = list(zip(steps, steps[1:], strict=False))
        for n, (a, b) in enumerate(moves):   # the last move matches status_changed_at (3 days ago)
            _move(session, integration, a, b, ADMIN if a == "requested" else owner or ENGINEER,
                  anchor - timedelta(days=3 + 14 * (len(moves) - 1 - n)))
    for slug, plan in demo.items():
        integration = by_slug.get(slug)
        if plan.review is None or integration is None:
            continue
        done, found = plan.review.done, plan.review.findings
        for item in session.scalars(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id,
                                                                ChecklistItem.key.in_(done))):
            item.state, item.updated_by, item.updated_at = "done", ENGINEER, anchor - timedelta(days=6)
        for severity, text in found:
            session.add(ReviewFinding(integration_id=integration.id, severity=severity, finding=text,
                                      created_by=ENGINEER, created_at=anchor - timedelta(days=5)))
    ship_slug, ship_reason = shipped() or (None, "")
    ship = by_slug.get(ship_slug) if ship_slug else None
    if ship is not None and not ship.existing:
        _complete(session, ship, anchor)
    session.flush()
    # One history event per item done so far (the burn-up chart reads the history).
    for item in session.scalars(select(ChecklistItem).where(ChecklistItem.state == "done",
                                                            ChecklistItem.updated_at.is_not(None))):
        session.add(ChecklistEvent(integration_id=item.integration_id, item_key=item.key, from_state="todo",
                                   to_state="done", actor=item.updated_by or ENGINEER, created_at=item.updated_at))
    session.flush()
    if ship is not None and not ship.existing:
        # Its guide is not written, so Step 7's guide items stay open and an admin overrides the gate.
        pipeline.change_status(session, actor=ADMIN, slug=ship.slug, to_status="available",
                               override_reason=ship_reason)


def _complete(session: Session, integration: Integration, anchor: datetime) -> None:
    """Every applicable item done over the last six weeks, except what the move to Available does itself and
    the guide items (only publishing a guide ticks those)."""
    integration.status, integration.owner = "testing", ENGINEER
    integration.target_date, integration.status_changed_at = anchor.date(), anchor - timedelta(days=9)
    items = session.scalars(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id,
                                                        ChecklistItem.state == "todo")
                            .order_by(ChecklistItem.step, ChecklistItem.id)).all()
    for n, item in enumerate(i for i in items if i.key not in (*pipeline.DONE_BY_AVAILABLE, *GUIDE_ITEMS)):
        item.state, item.updated_by = "done", ENGINEER
        item.updated_at = anchor - timedelta(days=42) + timedelta(hours=14 * n)
    for n, (a, b) in enumerate(zip(_PATH[:3], _PATH[1:4], strict=True)):
        _move(session, integration, a, b, ADMIN if a == "requested" else ENGINEER, anchor - timedelta(days=45 - 12 * n))
