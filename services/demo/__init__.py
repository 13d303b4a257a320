"""Deterministic demo data: organizations, users, a long-tailed upvote history, checklists in flight.

Same seed and `as_of` date give the same rows. Upvotes are bulk-loaded (COPY on PostgreSQL,
executemany on SQLite) so a million of them load in minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration, Organization, StaffUser, User
from services.core import audit
from services.core.errors import InvalidInput
from services.demand.tiers import TIER_SLUGS, tiers_by_slug
from services.demand.upvotes import recompute_aggregates
from services.demo import tracker as tracker_demo
from services.demo.calls import seed_call_history
from services.demo.connections import seed_sandbox_connections
from services.demo.plan import plans
from services.webhooks.apps import seed_sandbox_apps

DEMO_STAFF = (
    ("pm@layers.example", "Priya Patel", "pm"),
    ("engineer@layers.example", "Erik Lindqvist", "engineer"),
    ("support@layers.example", "Sam Okafor", "support"),
    ("leadership@layers.example", "Lea Moreau", "leadership"),
    ("admin@layers.example", "Ada Novak", "admin"),
)
# The customer mix: most agencies are on Free or Starter (86%), a few on the high tiers (5%).
TIER_SHARE = (0.62, 0.24, 0.09, 0.035, 0.015)        # free .. enterprise organizations
TIER_ACTIVITY = (1.0, 1.2, 1.3, 1.5, 1.7)           # higher tiers upvote more ...
# ... but for the mainstream tools: how much less likely a tier's user is to upvote an integration for each place
# it stands lower in demand (a log weight). Free/Starter users ask for anything, down to the long tail;
# Agency/Enterprise customers ask for what many others ask for, so one of their upvotes rarely lands in the tail.
TIER_FOCUS = (0.0, 0.0, 0.05, 0.3, 0.4)
DEFAULT_UPVOTES = 1_400         # a year of requests from 150 agencies: about 10 integrations reach 50+ (Top)
_ADJ = ("Bright", "Blue", "North", "Copper", "Lime", "Quiet", "Bold", "Swift", "Pixel", "Cedar",
        "Harbor", "Atlas", "Nimbus", "Ember", "Maple", "Orbit", "Summit", "Velvet", "Signal", "Prism")
_NOUN = ("Studio", "Digital", "Labs", "Media", "Works", "Collective", "Agency", "Partners", "Growth",
         "Creative", "Interactive", "Ventures", "Marketing", "Design", "Group")
_FIRST = ("Alex", "Maria", "Chen", "Fatima", "Jonas", "Aisha", "Luca", "Sofia", "Kenji", "Nora",
          "Omar", "Elena", "Raj", "Ines", "Tom", "Yara", "Pavel", "Grace", "Diego", "Mei")
_LAST = ("Smith", "Garcia", "Kim", "Nguyen", "Müller", "Rossi", "Okoro", "Silva", "Tanaka", "Haddad",
         "Larsen", "Dubois", "Kowalski", "Santos", "Ahmed", "Jensen", "Costa", "Novak", "Ivanova", "Berg")
_COMMENTS = ("Our clients ask for this every week.", "Blocking our migration to Layers.",
             "Would replace two Zapier zaps for us.", "Need it for lead routing.",
             "Must-have for our booking flows.", "We'd upgrade our plan for this.")


@dataclass(frozen=True)
class DemoResult:
    organizations: int
    users: int
    upvotes: int
    staff: int


def ensure_demo_staff(session: Session) -> int:
    have = set(session.scalars(select(StaffUser.email)))
    added = [StaffUser(email=e, name=n, role=r) for e, n, r in DEMO_STAFF if e not in have]
    session.add_all(added)
    return len(added)


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Organization))


def seed_demo(session: Session, *, orgs: int = 150, users: int | None = None, upvotes: int = DEFAULT_UPVOTES,
              seed: int = 7, as_of: date | None = None, actor: str = "system") -> DemoResult:
    """Generate demo rows into an empty database (raises InvalidInput otherwise)."""
    if orgs < 1 or upvotes < 0 or (users is not None and users < 1):
        raise InvalidInput("--orgs and --users must be at least 1 and --upvotes at least 0")
    if not is_empty(session):
        raise InvalidInput("the database already has organizations; demo data goes into an empty database")
    users = users if users is not None else max(orgs * 20, upvotes // 2)
    integrations = session.scalars(
        select(Integration).where(Integration.existing.is_(False)).order_by(Integration.slug)).all()
    if upvotes > users * len(integrations):
        raise InvalidInput(f"--upvotes {upvotes} exceeds users x integrations ({users * len(integrations)}); "
                           "raise --users")
    rng = np.random.default_rng(seed)
    anchor = datetime.combine(as_of or datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC)
    tiers = tiers_by_slug(session)

    org_tier = rng.choice(len(TIER_SLUGS), size=orgs, p=TIER_SHARE)
    org_rows = [{"name": f"{_ADJ[i % 20]} {_NOUN[(i // 20) % 15]}" + (f" {i // 300 + 1}" if i >= 300 else ""),
                 "tier_id": tiers[TIER_SLUGS[t]].id, "created_at": anchor - timedelta(days=400)}
                for i, t in enumerate(org_tier)]
    org_ids = _insert_returning_ids(session, Organization, org_rows)

    user_org = np.sort(rng.integers(0, orgs, size=users))
    user_rows = []
    for u, o in enumerate(user_org):
        first, last = _FIRST[u % 20], _LAST[(u // 20) % 20]
        domain = org_rows[o]["name"].lower().replace(" ", "-")
        user_rows.append({"email": f"{first.lower()}.{u}@{domain}.example", "name": f"{first} {last}",
                          "organization_id": org_ids[o], "tier_id": org_rows[o]["tier_id"],
                          "created_at": anchor - timedelta(days=380)})
    user_ids = np.array(_insert_returning_ids(session, User, user_rows))

    counts = _upvotes_per_integration(rng, list(integrations), upvotes, users)
    user_tier = org_tier[user_org]
    activity = np.log(np.array(TIER_ACTIVITY)[user_tier])
    focus = np.array(TIER_FOCUS)[user_tier]
    total = _load_upvotes(session, rng, integrations, counts, user_ids, activity, focus, anchor)

    recompute_aggregates(session)
    staff = ensure_demo_staff(session)
    _advance_pipeline(session, integrations, anchor)
    tracker_demo.seed(session, anchor)
    seed_sandbox_connections(session, actor=actor)   # issue 5: demo organizations get sandbox connections
    seed_sandbox_apps(session, actor=actor)            # issue 9: the sandbox HubSpot app (obviously fake key)
    seed_call_history(session, seed=seed)              # issue 7: 30 days of API calls for the health page
    audit.record(session, actor=actor, action="demo.seeded", entity_type="database", entity_id=None,
                 after={"organizations": orgs, "users": users, "upvotes": total, "seed": seed})
    session.flush()
    return DemoResult(orgs, users, total, staff)


def _insert_returning_ids(session: Session, model: type[Organization | User], rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        chunk = rows[start:start + 5000]
        ids.extend(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), chunk))
    return ids


def _upvotes_per_integration(rng: np.random.Generator, integrations: list[Integration], total: int,
                             cap: int) -> np.ndarray:
    """Long-tailed shares (exponential decay over the ranks), capped at one upvote per user per integration.

    The seed's top-10 list is "based on typical agency needs and likely upvote data", so those
    integrations take seeded places among the first 14 ranks; the rest are shuffled behind them.
    """
    n = len(integrations)
    shares = np.exp(-np.arange(n) / 7.0)
    top = [k for k, i in enumerate(integrations) if i.top10_rank]
    rest = [k for k in range(n) if k not in top]
    places = sorted(rng.choice(min(n, 14), size=min(len(top), n), replace=False).tolist())
    order = [-1] * n
    for k, place in zip(rng.permutation(top).tolist(), places, strict=False):
        order[place] = k
    free = iter(rng.permutation(rest).tolist())
    order = [k if k >= 0 else next(free) for k in order]
    by_integration = np.empty(n)
    by_integration[order] = shares
    counts = np.zeros(n, dtype=np.int64)
    remaining = total
    while remaining > 0:
        open_ = counts < cap
        weights = by_integration * open_
        want = np.floor(weights / weights.sum() * remaining).astype(np.int64)
        want[np.argmax(weights)] += remaining - want.sum()      # rounding remainder
        counts = np.minimum(counts + want, cap)
        remaining = total - int(counts.sum())
    return counts


def _load_upvotes(session: Session, rng: np.random.Generator, integrations: Sequence[Integration],
                  counts: np.ndarray, user_ids: np.ndarray, activity: np.ndarray, focus: np.ndarray,
                  anchor: datetime) -> int:
    conn = session.connection()
    raw = conn.connection.driver_connection
    total = 0
    place = np.argsort(np.argsort(-counts, kind="stable"), kind="stable")     # 0 = the most upvoted
    for integration, count, where in zip(integrations, counts, place, strict=True):
        if count == 0:
            continue
        # Gumbel top-k: a weighted sample of distinct users in O(users).
        keys = activity - focus * where + rng.gumbel(size=len(user_ids))
        chosen = user_ids[np.argpartition(-keys, count - 1)[:count]]
        ages = rng.exponential(120.0, size=count) % 364.0   # wrap, so no pile-up at the cutoff
        created = [anchor - timedelta(days=float(a)) for a in ages]
        commented = rng.random(count) < 0.04
        rows = [(int(u), integration.id, c, _COMMENTS[int(u) % len(_COMMENTS)] if k else None)
                for u, c, k in zip(chosen, created, commented, strict=True)]
        _bulk_upvotes(conn.dialect.name, raw, rows)
        total += int(count)
    return total


def _bulk_upvotes(dialect: str, raw: Any, rows: list[tuple]) -> None:
    if dialect == "postgresql":
        with raw.cursor() as cur, cur.copy(
                "COPY upvotes (user_id, integration_id, created_at, comment) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cur = raw.cursor()
    cur.executemany("INSERT INTO upvotes (user_id, integration_id, created_at, comment) VALUES (?, ?, ?, ?)",
                    [(u, i, c.strftime("%Y-%m-%d %H:%M:%S.%f"), m) for u, i, c, m in rows])
    cur.close()


def _advance_pipeline(session: Session, integrations: Sequence[Integration], anchor: datetime) -> None:
    """Integrations shown part-way through the pipeline (their folder's ``DEMO.pipeline``)."""
    by_slug = {i.slug: i for i in integrations}
    for slug, plan in plans().items():
        integration = by_slug.get(slug)
        if plan.pipeline is None or integration is None:
            continue
        status, steps_done, extra = plan.pipeline.status, plan.pipeline.steps_done, plan.pipeline.extra
        integration.status = status
        integration.status_changed_at = anchor - timedelta(days=3)
        items = session.scalars(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id)
                                .order_by(ChecklistItem.step, ChecklistItem.id)).all()
        todo = [i for i in items if i.state == "todo"]
        done = [i for i in todo if i.step <= steps_done]
        done += [i for i in todo if i.step == steps_done + 1][:extra]
        for n, item in enumerate(done):
            item.state = "done"
            item.updated_by = "engineer@layers.example"
            item.updated_at = anchor - timedelta(days=30 - min(n, 29))


