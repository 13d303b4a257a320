"""Success criteria 1, 3, 5 and 6 (2: credential_flows.py, 4: planning.py), each with its rows.

1. Top 10 implemented and tested: Available with the testing checklist complete (for an integration
   built before the Hub, which has no testing checklist: its existing-integration review complete).
   Counted for the seed's named list and for the demand ranking's top 10. The demand ranking here
   includes integrations already built, so building one does not move it out of the list.
3. Node executors: catalog actions of Available integrations with a registered executor.
5. Documentation: Available integrations whose guide is published.
6. 30+ integrations: Available integrations (built before the Hub + built since) against 30.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration
from services.build import tracker
from services.build.evidence import registered_executors
from services.catalog import load_catalog
from services.demand import ranking
from services.guides.state import guide_states
from services.success.availability import available_since
from services.success.criterion import Criterion

TARGET_AVAILABLE = 30      # the seed: "30+ integrations (19 existing + 10 new)"
TOP_N = 10
TOP10_COLUMNS = ["rank", "slug", "name", "status", "checklist", "done", "applicable", "implemented_and_tested",
                 "in_other_list"]


def seed_top10(session: Session) -> list[tuple[int, str]]:
    """(rank, slug) of the seed's named Top 10 (the catalog's top10_rank)."""
    rows = session.execute(select(Integration.top10_rank, Integration.slug)
                           .where(Integration.top10_rank.is_not(None)).order_by(Integration.top10_rank))
    return [(rank, slug) for rank, slug in rows if rank is not None]


def demand_top10(session: Session) -> list[tuple[int, str]]:
    """(rank, slug) of the first ten of the demand ranking, built integrations included."""
    return [(r.rank, r.slug) for r in ranking.rank(session, include_built=True)[:TOP_N]]


def tested(session: Session, integration: Integration) -> tuple[str, int, int, bool]:
    """(checklist, done, applicable, complete) of the testing checklist, or of the review if existing."""
    kind = "review" if integration.existing else "testing"
    items = [i for s in tracker.checklist(session, integration.slug, with_evidence=False, kinds=(kind,))
             for i in s.items]
    applicable = [i for i in items if i.state != "not_applicable"]
    done = sum(1 for i in applicable if i.state == "done")
    return kind, done, len(applicable), all(i.closed for i in items)


def implemented_and_tested(session: Session, integration: Integration) -> bool:
    return integration.status == "available" and tested(session, integration)[3]


def _top10(session: Session, key: str, title: str, measure: str, members: list[tuple[int, str]],
           other: list[tuple[int, str]]) -> Criterion:
    rows_by_slug = {i.slug: i for i in session.scalars(
        select(Integration).where(Integration.slug.in_([s for _, s in members])))}
    others = {s for _, s in other}
    rows = []
    for rank, slug in members:
        i = rows_by_slug[slug]
        kind, done, applicable, complete = tested(session, i)
        rows.append({"rank": rank, "slug": slug, "name": i.name, "status": i.status, "checklist": kind, "done": done,
                     "applicable": applicable, "implemented_and_tested": i.status == "available" and complete,
                     "in_other_list": slug in others})
    frame = pd.DataFrame(rows, columns=TOP10_COLUMNS)
    return Criterion(key, 1, title, measure, int(frame["implemented_and_tested"].sum()), len(members), False, frame)


def _named(session: Session, members: list[tuple[int, str]]) -> list[tuple[int, Integration]]:
    by_slug = {i.slug: i for i in session.scalars(select(Integration).where(
        Integration.slug.in_([s for _, s in members])))}
    return [(rank, by_slug[slug]) for rank, slug in members if slug in by_slug]


def top10_criteria(session: Session) -> tuple[Criterion, Criterion]:
    """Criterion 1 for the seed's named list and for the current demand top 10, with their difference."""
    seed, demand = seed_top10(session), demand_top10(session)
    measure = ("Available, with the testing checklist complete (the review list for integrations built "
               "before the Hub).")
    a = _top10(session, "1-seed", "Top 10 priority integrations implemented and tested — the seed's list",
               measure + " The seed's list = the ten integrations the Phase 4 plan names as top priority ("
               + ", ".join(i.name for _, i in _named(session, seed)) + "), fixed when the plan was written.",
               seed, demand)
    b = _top10(session, "1-demand", "Top 10 priority integrations implemented and tested — demand ranking",
               measure + " Top 10 = the first ten of the demand ranking, counting integrations already built.",
               demand, seed)
    names = {r["slug"]: r["name"] for c in (a, b) for r in c.rows.to_dict("records")}
    only_seed = [names[s] for _, s in seed if s not in {d for _, d in demand}]
    only_demand = [names[s] for _, s in demand if s not in {d for _, d in seed}]
    note = ("The two lists agree." if not only_seed and not only_demand else
            f"Only in the seed's list: {', '.join(only_seed) or 'none'}. "
            f"Only in the demand top 10: {', '.join(only_demand) or 'none'}.")
    return (Criterion(a.key, 1, a.title, a.measure, a.numerator, a.denominator, False, a.rows, note),
            Criterion(b.key, 1, b.title, b.measure, b.numerator, b.denominator, False, b.rows, note))


def _available(session: Session) -> list[Integration]:
    return list(session.scalars(select(Integration).where(Integration.status == "available")
                                .order_by(Integration.name)))


def executors_criterion(session: Session) -> Criterion:
    """Criterion 3: Available integrations whose node executors run: at least one action in the catalog and a
    registered executor (declarative or hand-written) for every one of them. Integrations, not actions, are
    counted, so one well-described integration cannot stand in for eleven without any."""
    catalog, pairs = load_catalog(), registered_executors()
    rows = []
    for i in _available(session):
        spec = catalog.integrations.get(i.slug)
        actions = list(spec.actions) if spec else []
        missing = [a for a in actions if pairs is None or (i.slug, a) not in pairs]
        rows.append({"slug": i.slug, "name": i.name, "actions": len(actions),
                     "with_executor": len(actions) - len(missing), "missing": ", ".join(missing),
                     "runs": bool(actions) and not missing})
    frame = pd.DataFrame(rows, columns=["slug", "name", "actions", "with_executor", "missing", "runs"])
    without = frame[frame["actions"] == 0]["name"].tolist()
    notes = []
    if pairs is None:
        notes.append("The executor registry is not installed, so no integration counts.")
    if without:
        notes.append(f"{len(without)} Available integration(s) have no actions in the catalog yet: "
                     f"{', '.join(without)}.")
    return Criterion("3", 3, "All integrations have node executors in the execution engine",
                     "Available integrations with at least one catalog action and a registered executor "
                     "(declarative or hand-written) for every action.",
                     int(frame["runs"].sum()), len(frame), False, frame, " ".join(notes))


def documentation_criterion(session: Session, guides_dir: Path | None = None) -> Criterion:
    """Criterion 5: Available integrations with a published guide."""
    states = {s.slug: s for s in guide_states(session, guides_dir)}
    rows = [{"slug": i.slug, "name": i.name, "guide": states[i.slug].state,
             "published_by": states[i.slug].published_by, "published_at": states[i.slug].published_at,
             "problems": "; ".join(states[i.slug].problems)} for i in _available(session)]
    frame = pd.DataFrame(rows, columns=["slug", "name", "guide", "published_by", "published_at", "problems"])
    return Criterion("5", 5, "Documentation for each integration published",
                     "Available integrations whose guide has complete written sections and was published "
                     "by an engineer.", int((frame["guide"] == "published").sum()), len(frame), False, frame)


def breadth_criterion(session: Session) -> Criterion:
    """Criterion 6: Available integrations (existing + newly built) against 30."""
    since = available_since(session)
    catalog = load_catalog()
    rows = [{"slug": i.slug, "name": i.name, "category": catalog.categories.get(i.category, i.category),
             "built": "before the Hub" if i.existing else "in Phase 4", "available_since": since.get(i.slug)}
            for i in _available(session)]
    frame = pd.DataFrame(rows, columns=["slug", "name", "category", "built", "available_since"])
    old = int((frame["built"] == "before the Hub").sum())
    return Criterion("6", 6, "Users can build workflows with 30+ integrations",
                     f"Available integrations (built before the Hub + built in Phase 4) against {TARGET_AVAILABLE}.",
                     len(frame), TARGET_AVAILABLE, False, frame,
                     f"{old} built before the Hub + {len(frame) - old} built in Phase 4.")
