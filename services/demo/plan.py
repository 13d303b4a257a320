"""Where the demo puts an integration: ``DemoPlan``.

A provider folder may declare ``DEMO = DemoPlan(...)`` in ``services/providers/<slug>/demo.py``; the demo
seeders (services/demo/) read ``plans()`` and never name a provider. Every part is optional:

- ``pipeline``: moved part-way through the build pipeline, with an owner and a target date (tracker history).
- ``review``: an existing integration under review (review items done, findings).
- ``shipped``: taken through the whole checklist and made Available by the tracker (the gate's override reason).
- ``connection``: a sandbox connection of one of the first demo organizations (status, expiry, secrets).
- ``calls``: the API call history the health page shows for that connection, with forced ``episodes`` of
  trouble and a ``past_alert`` raised and cleared before the alert rules first ran.

The demo is deterministic by seed, so the order rows are written in is part of the plan: the pipeline,
review and shipped lists go by ``order`` (then slug), the connections by organization then ``position``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from services.catalog import providers as folders

ENGINEER = "engineer@layers.example"
ADMIN = "admin@layers.example"


@dataclass(frozen=True)
class Pipeline:
    status: str                     # the pipeline status it is moved to (3 days before the as-of date)
    steps_done: int                 # checklist steps ticked off entirely ...
    extra: int = 0                  # ... plus this many items of the next step
    owner: str | None = None
    target_days: int | None = None  # target date, in days from the demo's as-of date


@dataclass(frozen=True)
class Review:
    done: tuple[str, ...] = ()                      # review checklist items done
    findings: tuple[tuple[str, str], ...] = ()      # (severity, text)


@dataclass(frozen=True)
class DemoConnection:
    organization: int               # the demo's n-th organization (0 = the first)
    position: int                   # where it comes among that organization's connections (fixes the ids)
    auth_type: str
    status: str = "active"
    expires_in: timedelta | None = None             # from the seeding time; negative = already expired
    secrets: dict[str, str] = field(default_factory=dict)   # {a} = the organization's sandbox account


@dataclass(frozen=True)
class CallProfile:
    median_ms: float
    per_day: int
    failure_share: float            # background failures ...
    category: str                   # ... of this error category


@dataclass(frozen=True)
class Episode:
    """Calls between ``since`` and ``until`` ago (``since`` <= age < ``until``) fail with ``category``."""

    category: str
    since: timedelta
    until: timedelta


@dataclass(frozen=True)
class PastAlert:
    """An alert on the first sandbox connection, raised ``raised_ago`` and cleared ``cleared_ago``."""

    kind: str
    message: str                    # {name}: the integration's name, {connection}: the connection id
    raised_ago: timedelta
    cleared_ago: timedelta


@dataclass(frozen=True)
class DemoPlan:
    order: int = 0
    pipeline: Pipeline | None = None
    review: Review | None = None
    shipped: str | None = None      # the override reason when the tracker makes it Available
    connection: DemoConnection | None = None
    calls: CallProfile | None = None
    episodes: tuple[Episode, ...] = ()
    past_alert: PastAlert | None = None


def plans() -> dict[str, DemoPlan]:
    """Every provider folder's ``DEMO``, by slug, in ``order`` then slug."""
    found: dict[str, DemoPlan] = folders.parts("demo", "DEMO")
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
