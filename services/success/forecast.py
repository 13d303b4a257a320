"""Forecast dates for 30 Available integrations and for the top 10, from the observed pace.

Model (stated on the page): the team builds `lanes` integrations at a time (as many as had checklist
changes in the last 30 days); each takes its remaining steps x days per step. Work in flight goes
first (testing, then building, then planned; fewest steps left first), then the demand ranking in
order. Three runs: the median days per step gives the expected date, the 25th and 75th percentiles
the early and late ends of the range.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration
from services.demand import ranking
from services.success.criteria import TARGET_AVAILABLE, demand_top10, implemented_and_tested, seed_top10
from services.success.pace import MIN_SAMPLES, Pace, observed_pace, progress

IN_FLIGHT_ORDER = {"available": 0, "testing": 1, "building": 2, "planned": 3}
SCENARIOS = ("early", "expected", "late")


@dataclass(frozen=True)
class Build:
    slug: str
    name: str
    status: str
    remaining_steps: int
    finish: dict[str, datetime]      # scenario -> finish time

    @property
    def adds_available(self) -> bool:
        return self.status != "available"


@dataclass(frozen=True)
class Outlook:
    label: str
    reached: bool
    dates: dict[str, datetime]       # scenario -> date; empty when not reached and not forecast
    note: str = ""

    @property
    def expected(self) -> datetime | None:
        return self.dates.get("expected")


@dataclass(frozen=True)
class Forecast:
    now: datetime
    pace: Pace
    available_now: int
    target: int
    builds: tuple[Build, ...]
    outlooks: tuple[Outlook, ...]    # 30 Available, the seed's top 10, the demand top 10

    @property
    def reason(self) -> str | None:
        if not self.pace.enough:
            return (f"Not enough history yet: the forecast needs at least {MIN_SAMPLES} completed checklist steps; "
                    f"there are {len(self.pace.samples)}.")
        return None


def _queue(session: Session, needs_work: set[str], remaining: dict[str, int]) -> list[Integration]:
    """Integrations left to finish, in the order the model builds them."""
    rows = {i.slug: i for i in session.scalars(select(Integration))}
    flight = [i for i in rows.values() if i.slug in needs_work and i.status in IN_FLIGHT_ORDER]
    flight.sort(key=lambda i: (IN_FLIGHT_ORDER[i.status], remaining[i.slug], i.slug))
    queued = {i.slug for i in flight}
    rest = [rows[r.slug] for r in ranking.rank(session) if r.slug in needs_work and r.slug not in queued
            and rows[r.slug].status == "requested"]
    return flight + rest


def _simulate(queue: list[tuple[Integration, int]], lanes: int, days_per_step: float,
              now: datetime) -> list[datetime]:
    free = [now] * lanes
    heapq.heapify(free)
    finishes = []
    for _, steps in queue:
        start = heapq.heappop(free)
        finish = start + timedelta(days=steps * days_per_step)
        heapq.heappush(free, finish)
        finishes.append(finish)
    return finishes


def _outlook(label: str, builds: list[Build], slugs: set[str], done: set[str], enough: bool) -> Outlook:
    pending = slugs - done
    if not pending:
        return Outlook(label, True, {}, "reached")
    planned = [b for b in builds if b.slug in pending]
    if len(planned) < len(pending):
        missing = sorted(pending - {b.slug for b in planned})
        return Outlook(label, False, {}, f"cannot be forecast: {', '.join(missing)} not in the pipeline")
    if not enough:
        return Outlook(label, False, {}, "not enough history")
    return Outlook(label, False, {s: max(b.finish[s] for b in planned) for s in SCENARIOS},
                   f"{len(pending)} still to finish")


def forecast(session: Session, now: datetime, target: int = TARGET_AVAILABLE) -> Forecast:
    pace = observed_pace(session, now)
    states = progress(session)
    integrations = {i.slug: i for i in session.scalars(select(Integration))}
    seed = {s for _, s in seed_top10(session)}
    demand = {s for _, s in demand_top10(session)}
    finished = {s for s in seed | demand if implemented_and_tested(session, integrations[s])}
    needs_work = {s for s, i in integrations.items() if i.status in ("requested", "planned", "building", "testing")}
    needs_work |= (seed | demand) - finished
    remaining = {slug: p.remaining_steps for slug, p in states.items()}
    queue = [(i, remaining[i.slug]) for i in _queue(session, needs_work, remaining)]
    paces = dict(zip(SCENARIOS, (pace.low, pace.median, pace.high), strict=True))
    runs = {s: _simulate(queue, pace.lanes, paces[s] or 0.0, now) for s in SCENARIOS}
    builds = [Build(i.slug, i.name, i.status, steps, {s: runs[s][n] for s in SCENARIOS})
              for n, (i, steps) in enumerate(queue)]
    available_now = sum(1 for i in integrations.values() if i.status == "available")
    to_target = _target_outlook(builds, available_now, target, pace.enough)
    outlooks = (to_target,
                _outlook("The seed's top 10 implemented and tested", builds, seed, finished, pace.enough),
                _outlook("The demand top 10 implemented and tested", builds, demand, finished, pace.enough))
    return Forecast(now, pace, available_now, target, tuple(builds), outlooks)


def _target_outlook(builds: list[Build], available_now: int, target: int, enough: bool) -> Outlook:
    label = f"{target} integrations Available"
    needed = target - available_now
    if needed <= 0:
        return Outlook(label, True, {}, "reached")
    adding = [b for b in builds if b.adds_available]
    if len(adding) < needed:
        return Outlook(label, False, {}, f"cannot be forecast: only {len(adding)} more integrations are in the "
                                         f"pipeline and the ranking, {needed} needed")
    if not enough:
        return Outlook(label, False, {}, "not enough history")
    return Outlook(label, False, {s: sorted(b.finish[s] for b in adding)[needed - 1] for s in SCENARIOS},
                   f"{needed} more to build")
