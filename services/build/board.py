"""Read side of the build tracker: the catalog table with checklist progress, the board, the burn-up history and
an integration's history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from db.models.build import SEVERITIES, ChecklistEvent, ReviewFinding, StatusChange
from services.build.checklist import template
from services.catalog import load_catalog
from services.core.integrations import get_integration

BOARD_COLUMNS = ["slug", "name", "category", "status", "existing", "owner", "target_date", "done",
                 "applicable", "progress", "open_findings", "worst_finding", "status_changed_at"]


def _kind_by_step() -> dict[int, str]:
    return {t.step: t.kind for t in template()}


@dataclass(frozen=True)
class Progress:
    """An integration's checklist progress: items done / items that apply (not-applicable items are neither)."""
    done: int = 0
    applicable: int = 0

    @property
    def share(self) -> float:
        return self.done / self.applicable if self.applicable else 0.0


def checklist_progress(session: Session) -> dict[int, Progress]:
    """Integration id -> progress of the list that applies to it: the seven steps and the testing checklist, or
    the review list for an integration built before the Hub. The one definition of progress (board, catalog)."""
    kinds = _kind_by_step()
    existing = dict(session.execute(select(Integration.id, Integration.existing)).all())
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"done": 0, "applicable": 0})
    for integration_id, step, state, n in session.execute(
            select(ChecklistItem.integration_id, ChecklistItem.step, ChecklistItem.state, func.count())
            .group_by(ChecklistItem.integration_id, ChecklistItem.step, ChecklistItem.state)):
        if (kinds.get(step) == "review") != bool(existing.get(integration_id)):
            continue                                    # the other list: not the one this integration follows
        if state != "not_applicable":
            counts[integration_id]["applicable"] += n
        if state == "done":
            counts[integration_id]["done"] += n
    return {i: Progress(**c) for i, c in counts.items()}


def integrations_frame(session: Session) -> pd.DataFrame:
    """Every catalog integration with its pipeline status and checklist progress (``checklist_pct``: the
    tracker's progress, in percent)."""
    progress = checklist_progress(session)
    catalog = load_catalog()
    rows = []
    for i in session.scalars(select(Integration).order_by(Integration.category, Integration.name)):
        spec = catalog.integrations.get(i.slug)
        rows.append({
            "slug": i.slug, "name": i.name, "category": catalog.categories.get(i.category, i.category),
            "auth": i.auth_method, "status": i.status, "existing": i.existing,
            "upvoting": "open" if i.upvoting_open else "closed",
            "top10": i.top10_rank, "actions": len(spec.actions) if spec else 0,
            "triggers": len(spec.triggers) if spec else 0,
            "checklist_pct": round(100 * progress.get(i.id, Progress()).share),
        })
    return pd.DataFrame(rows)


def board_frame(session: Session) -> pd.DataFrame:
    """One row per integration: status, owner, target date and checklist progress (``checklist_progress``)."""
    progress = checklist_progress(session)
    findings: dict[int, list[str]] = defaultdict(list)
    for integration_id, severity in session.execute(
            select(ReviewFinding.integration_id, ReviewFinding.severity).where(ReviewFinding.resolved_at.is_(None))):
        findings[integration_id].append(severity)
    categories = load_catalog().categories
    rows = []
    for i in session.scalars(select(Integration).order_by(Integration.name)):
        p = progress.get(i.id, Progress())
        worst = max(findings[i.id], key=SEVERITIES.index) if findings[i.id] else None
        rows.append({"slug": i.slug, "name": i.name, "category": categories.get(i.category, i.category),
                     "status": i.status, "existing": i.existing, "owner": i.owner, "target_date": i.target_date,
                     "done": p.done, "applicable": p.applicable, "progress": p.share,
                     "open_findings": len(findings[i.id]), "worst_finding": worst,
                     "status_changed_at": i.status_changed_at})
    return pd.DataFrame(rows, columns=BOARD_COLUMNS)


def burnup_frame(session: Session, slugs: list[str] | None = None) -> pd.DataFrame:
    """Items done per day, cumulative (`done`), with `scope` = applicable items today.

    Built from the checklist history: +1 when an item becomes done, -1 when it is unticked.
    """
    query = (select(ChecklistEvent.created_at, ChecklistEvent.from_state, ChecklistEvent.to_state)
             .join(Integration, Integration.id == ChecklistEvent.integration_id).order_by(ChecklistEvent.created_at))
    scope_query = select(func.count()).select_from(ChecklistItem).join(Integration).where(
        ChecklistItem.state != "not_applicable")
    if slugs:
        query = query.where(Integration.slug.in_(slugs))
        scope_query = scope_query.where(Integration.slug.in_(slugs))
    events = pd.DataFrame(session.execute(query).all(), columns=["at", "from_state", "to_state"])
    scope = session.scalar(scope_query) or 0
    if events.empty:
        return pd.DataFrame(columns=["day", "completed", "done", "scope"])
    events["delta"] = (events["to_state"] == "done").astype(int) - (events["from_state"] == "done").astype(int)
    events["day"] = pd.to_datetime(events["at"], utc=True).dt.floor("D")
    daily = events.groupby("day", as_index=False)["delta"].sum().rename(columns={"delta": "completed"})
    daily["done"] = daily["completed"].cumsum()
    daily["scope"] = scope
    return daily


def history_frame(session: Session, slug: str) -> pd.DataFrame:
    """Checklist changes, pipeline moves and review findings of one integration, newest first."""
    integration = get_integration(session, slug)
    titles = {t.key: t.title for t in template()}
    rows = []
    for e in session.scalars(select(ChecklistEvent).where(ChecklistEvent.integration_id == integration.id)):
        change = {"done": "ticked", "todo": "unticked" if e.from_state == "done" else "reopened",
                  "not_applicable": "marked not applicable"}[e.to_state]
        if e.from_state == e.to_state:
            change = "updated note/link of"
        rows.append({"when": e.created_at, "who": e.actor, "what": f"{change} “{titles.get(e.item_key, e.item_key)}”",
                     "note": e.note, "link": e.link})
    for c in session.scalars(select(StatusChange).where(StatusChange.integration_id == integration.id)):
        what = f"moved {c.from_status} → {c.to_status}" + (" (admin override)" if c.override_reason else "")
        rows.append({"when": c.created_at, "who": c.actor, "what": what, "note": c.override_reason, "link": None})
    for f in session.scalars(select(ReviewFinding).where(ReviewFinding.integration_id == integration.id)):
        rows.append({"when": f.created_at, "who": f.created_by, "what": f"{f.severity} finding", "note": f.finding,
                     "link": f.link})
    frame = pd.DataFrame(rows, columns=["when", "who", "what", "note", "link"])
    frame[["note", "link"]] = frame[["note", "link"]].fillna("")
    return frame.sort_values("when", ascending=False, ignore_index=True) if not frame.empty else frame
