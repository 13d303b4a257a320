"""Hand-built histories for the success-criteria tests: status moves and checklist ticks at fixed times."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from db.models.build import ChecklistEvent, StatusChange
from services.build import tracker


def integration(session: Session, slug: str) -> Integration:
    return session.scalar(select(Integration).where(Integration.slug == slug))


def move(session: Session, slug: str, to: str, at: datetime) -> None:
    """A pipeline move recorded at `at` (history row + current status), without the tracker's gates."""
    row = integration(session, slug)
    session.add(StatusChange(integration_id=row.id, from_status=row.status, to_status=to, actor="test",
                             created_at=at))
    row.status, row.status_changed_at = to, at
    session.flush()


def open_keys(session: Session, slug: str, step: int) -> list[str]:
    return [i.key for s in tracker.checklist(session, slug, with_evidence=False) if s.number == step
            for i in s.items if i.state == "open"]


def tick_at(session: Session, slug: str, keys: list[str], at: datetime) -> None:
    """Tick items through the tracker, then date their history events `at`."""
    row = integration(session, slug)
    for key in keys:
        tracker.tick(session, actor="cli", slug=slug, key=key)
    session.execute(update(ChecklistEvent).where(ChecklistEvent.integration_id == row.id,
                                                 ChecklistEvent.item_key.in_(keys)).values(created_at=at))
    session.flush()


def complete_step_at(session: Session, slug: str, step: int, at: datetime, first_at: datetime | None = None) -> None:
    """Close every open item of a step at `at` (the first one at `first_at` when given)."""
    keys = open_keys(session, slug, step)
    if first_at is not None:
        tick_at(session, slug, keys[:1], first_at)
        keys = keys[1:]
    tick_at(session, slug, keys, at)


def close_review(session: Session, slug: str) -> None:
    """Tick the existing-integration review of `slug` (its stand-in for the testing checklist)."""
    keys = [i.key for s in tracker.checklist(session, slug, with_evidence=False, kinds=("review",))
            for i in s.items if i.state == "open"]
    for key in keys:
        tracker.tick(session, actor="cli", slug=slug, key=key)


def items_state(session: Session, slug: str, step: int) -> list[str]:
    row = integration(session, slug)
    return list(session.scalars(select(ChecklistItem.state).where(ChecklistItem.integration_id == row.id,
                                                                  ChecklistItem.step == step)))


def known_pace(session: Session, now: datetime) -> None:
    """Pipedrive built at a known pace: steps of 2, 4, 6 and 8 days (median 5, quartiles 3.5 and 6.5).

    Every other integration not built before the Hub is deprecated, so the forecast queue holds exactly
    Pipedrive (building, 4 steps left) and Copper (planned, 8 steps); ActiveCampaign's review is done.
    """
    day, t0 = timedelta(days=1), now - timedelta(days=30)
    session.execute(update(Integration).where(Integration.existing.is_(False)).values(status="deprecated"))
    close_review(session, "activecampaign")
    move(session, "pipedrive", "building", t0)
    complete_step_at(session, "pipedrive", 1, t0 + 2 * day, first_at=t0)
    complete_step_at(session, "pipedrive", 2, t0 + 6 * day)
    complete_step_at(session, "pipedrive", 3, t0 + 12 * day)
    complete_step_at(session, "pipedrive", 4, t0 + 20 * day)
    move(session, "copper", "planned", t0)
