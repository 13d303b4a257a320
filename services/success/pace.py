"""The observed pace of the build checklist: days per step, from the checklist history.

For each integration being built, its steps (the seven build steps and the testing checklist) that
are complete now are ordered by when they completed (the last tick or not-applicable mark on one of
their items). A sample is the time from the previous step's completion (for the first, from the
integration's first checklist change) to this one's: calendar days per step, work in parallel included.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from db.models.build import ChecklistEvent
from services.build.checklist import template

BUILD_STEPS = tuple(range(1, 9))     # steps 1-7 and the testing checklist (8)
MIN_SAMPLES = 3
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class StepSample:
    slug: str
    name: str
    step: int
    started: datetime
    completed: datetime

    @property
    def days(self) -> float:
        return (self.completed - self.started).total_seconds() / 86400


@dataclass(frozen=True)
class Pace:
    samples: tuple[StepSample, ...]
    active: tuple[str, ...]          # integrations with checklist changes in the last ACTIVE_DAYS
    low: float | None                # 25th percentile of days per step
    median: float | None
    high: float | None               # 75th percentile

    @property
    def enough(self) -> bool:
        return len(self.samples) >= MIN_SAMPLES

    @property
    def lanes(self) -> int:
        """Integrations built in parallel: those with recent checklist activity (at least one)."""
        return max(1, len(self.active))


@dataclass(frozen=True)
class Progress:
    """Where one integration's checklist stands now."""

    slug: str
    remaining_steps: int             # build/testing steps with open items (or 1 if an open review)
    completed: dict[int, datetime]   # step -> completion time (complete steps with history)


def _steps_of_keys() -> dict[str, int]:
    return {t.key: t.step for t in template()}


def progress(session: Session) -> dict[str, Progress]:
    """Every integration's remaining steps; for integrations built before the Hub, the open review."""
    step_of = _steps_of_keys()
    open_steps: dict[int, set[int]] = defaultdict(set)
    has_items: dict[int, set[int]] = defaultdict(set)
    for integration_id, key, step, state in session.execute(
            select(ChecklistItem.integration_id, ChecklistItem.key, ChecklistItem.step, ChecklistItem.state)):
        has_items[integration_id].add(step)
        if state == "todo":
            open_steps[integration_id].add(step_of.get(key, step))
    last_close: dict[tuple[int, int], datetime] = {}
    for integration_id, key, at in session.execute(
            select(ChecklistEvent.integration_id, ChecklistEvent.item_key, ChecklistEvent.created_at)
            .where(ChecklistEvent.to_state.in_(("done", "not_applicable")))):
        closed_step = step_of.get(key)
        if closed_step in BUILD_STEPS:
            k = (integration_id, closed_step)
            last_close[k] = max(last_close.get(k, at), at)
    result = {}
    for i in session.scalars(select(Integration)):
        if i.existing:
            result[i.slug] = Progress(i.slug, 1 if 9 in open_steps[i.id] else 0, {})
            continue
        remaining = {s for s in open_steps[i.id] if s in BUILD_STEPS}
        done = {s: last_close[(i.id, s)] for s in BUILD_STEPS
                if s in has_items[i.id] and s not in remaining and (i.id, s) in last_close}
        result[i.slug] = Progress(i.slug, len(remaining), done)
    return result


def observed_pace(session: Session, now: datetime) -> Pace:
    """Days-per-step samples, their quartiles, and which integrations are being worked on now."""
    step_of = _steps_of_keys()
    first: dict[int, datetime] = {}
    recent: set[int] = set()
    for integration_id, key, at in session.execute(
            select(ChecklistEvent.integration_id, ChecklistEvent.item_key, ChecklistEvent.created_at)
            .where(ChecklistEvent.created_at <= now)):
        if step_of.get(key) not in BUILD_STEPS:
            continue
        first[integration_id] = min(first.get(integration_id, at), at)
        if at >= now - timedelta(days=ACTIVE_DAYS):
            recent.add(integration_id)
    integrations = {i.id: i for i in session.scalars(select(Integration).where(Integration.existing.is_(False)))}
    states = progress(session)
    samples = []
    for iid, start in first.items():
        i = integrations.get(iid)
        if i is None:
            continue
        previous = start
        for step, completed in sorted(states[i.slug].completed.items(), key=lambda kv: (kv[1], kv[0])):
            if completed > now:
                continue
            samples.append(StepSample(i.slug, i.name, step, previous, completed))
            previous = completed
    days = [s.days for s in samples]
    low = median = high = None
    if len(days) >= MIN_SAMPLES:
        low, median, high = statistics.quantiles(days, n=4, method="inclusive")
    active = tuple(sorted(integrations[i].slug for i in recent if i in integrations))
    return Pace(tuple(sorted(samples, key=lambda s: (s.completed, s.slug, s.step))), active, low, median, high)
