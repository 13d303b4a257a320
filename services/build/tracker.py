"""The build checklist of one integration: read it, tick items, mark them not applicable, plan it.

The template (services/checklist_template.yaml) decides which items exist and in which order; the
`checklist_items` rows hold their state. Integrations built before the Hub (`existing`) get the
seed's review list instead of the seven steps. Every change writes a `checklist_events` row and an
audit entry in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ChecklistItem, Integration, StaffUser
from db.models.build import SEVERITIES, ChecklistEvent, ReviewFinding
from db.models.docs import GuidePublication
from services.build.checklist import TemplateItem, applies, template
from services.build.evidence import Evidence, evidence_for
from services.catalog import load_catalog
from services.core import audit
from services.core.errors import InvalidInput, NotFound, PermissionDenied
from services.core.integrations import get_integration
from services.guides.written import GUIDE_ITEMS

BUILDERS = frozenset({"engineer", "admin"})
STATE_LABELS = {"todo": "open", "done": "done", "not_applicable": "not_applicable"}
STATES = ("done", "open", "not_applicable")
NA_REASON = "Does not apply to this integration's authentication"


@dataclass(frozen=True)
class ItemView:
    key: str
    step: int
    title: str
    state: str                       # done | open | not_applicable
    depth: int                       # 1 for a sub-item of the item before it (e.g. "Handle rate limits")
    note: str | None = None
    link: str | None = None
    na_reason: str | None = None
    by: str | None = None
    at: datetime | None = None
    evidence: Evidence | None = None
    has_evidence: bool = False       # the Hub can hold evidence for this item (shown even when none yet)

    @property
    def closed(self) -> bool:
        return self.state != "open"


@dataclass(frozen=True)
class StepView:
    number: int
    title: str
    kind: str                        # build | testing | review
    items: list[ItemView] = field(default_factory=list)

    @property
    def applicable(self) -> int:
        return sum(1 for i in self.items if i.state != "not_applicable")

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.state == "done")

    @property
    def complete(self) -> bool:
        return all(i.closed for i in self.items)


def kinds_for(integration: Integration) -> tuple[str, ...]:
    """Which checklist applies: the seven steps + testing checklist, or the review of an existing one."""
    return ("review",) if integration.existing else ("build", "testing")


def staff_role(session: Session, actor: str) -> str | None:
    """The active staff role of `actor`, or None for a non-staff actor (system, CLI operator)."""
    row = session.scalar(select(StaffUser).where(StaffUser.email == actor.strip().lower()))
    if row is None:
        return None
    if not row.active:
        raise PermissionDenied(f"{actor} is not an active staff user")
    return row.role


def require_builder(session: Session, actor: str) -> None:
    """Only engineers and admins change checklists (operators without a staff row are trusted)."""
    role = staff_role(session, actor)
    if role is not None and role not in BUILDERS:
        raise PermissionDenied(f"{actor} ({role}) may not change build checklists; engineers and admins may")


def _template_item(key: str) -> TemplateItem:
    for item in template():
        if item.key == key:
            return item
    raise NotFound(f"no checklist item {key!r}; see `layers-hub checklist show SLUG` for the keys")


def _depth(key: str, keys: list[str]) -> int:
    parent = key.rsplit(".", 1)[0]
    return 1 if key.count(".") >= 2 and parent in keys else 0


def _applies(t: TemplateItem, integration: Integration) -> bool:
    """For an item without a row yet (e.g. the review of an integration marked existing later)."""
    spec = load_catalog().integrations.get(integration.slug)
    if spec is None:
        return True
    return applies(t, {spec.auth.method, *spec.auth.alternatives}, has_webhooks=bool(spec.triggers))


def checklist(session: Session, slug: str, *, with_evidence: bool = True,
              kinds: tuple[str, ...] | None = None) -> list[StepView]:
    """The integration's steps in template order; an item without a row yet is open (or not applicable)."""
    integration = get_integration(session, slug)
    kinds = kinds or kinds_for(integration)
    rows = {r.key: r for r in session.scalars(
        select(ChecklistItem).where(ChecklistItem.integration_id == integration.id))}
    items = [t for t in template() if t.kind in kinds]
    keys = [t.key for t in items]
    evidence = evidence_for(session, integration, keys) if with_evidence else {}
    steps: dict[int, StepView] = {}
    for t in items:
        row = rows.get(t.key)
        step = steps.setdefault(t.step, StepView(t.step, t.step_title, t.kind))
        default = "open" if row or _applies(t, integration) else "not_applicable"
        step.items.append(ItemView(
            key=t.key, step=t.step, title=t.title, depth=_depth(t.key, keys),
            state=STATE_LABELS[row.state] if row else default,
            note=row.note if row else None, link=row.link if row else None,
            na_reason=row.na_reason if row else NA_REASON if default == "not_applicable" else None,
            by=row.updated_by if row else None,
            at=row.updated_at if row else None,
            evidence=evidence.get(t.key), has_evidence=t.key in evidence,
        ))
    return list(steps.values())


def _check_link(link: str | None) -> str | None:
    link = (link or "").strip() or None
    if link is not None:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInput(f"link: {link!r} is not an http(s) URL (a pull request or document)")
    return link


def set_item(session: Session, *, actor: str, slug: str, key: str, state: str, note: str | None = None,
             link: str | None = None, reason: str | None = None) -> ItemView:
    """Set one item to done, open or not_applicable (a reason is required for not applicable).

    `note` and `link` replace the stored ones when given; None keeps them.
    """
    if state not in STATES:
        raise InvalidInput(f"state: {state!r} is not one of {', '.join(STATES)}")
    require_builder(session, actor)
    integration = get_integration(session, slug)
    t = _template_item(key)
    if t.kind not in kinds_for(integration):
        which = "review list" if integration.existing else "build checklist"
        raise InvalidInput(f"{key} is not on {integration.name}'s {which}")
    reason = (reason or "").strip() or None
    if state == "not_applicable" and reason is None:
        raise InvalidInput("a reason is required to mark an item not applicable")
    if state == "done" and key in GUIDE_ITEMS and session.scalar(
            select(GuidePublication.id).where(GuidePublication.integration_id == integration.id)) is None:
        # Publishing the guide ticks these (services/guides/publishing.py); a hand tick would claim docs exist.
        raise InvalidInput(f"“{t.title}” is ticked by publishing {integration.name}'s guide (Integration guides "
                           f"page or `layers-hub docs publish {slug}`), not by hand")
    row = session.scalar(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id,
                                                     ChecklistItem.key == key))
    if row is None:  # e.g. a review item of an integration marked existing after the last sync
        row = ChecklistItem(integration_id=integration.id, key=key, step=t.step, title=t.title, state="todo")
        session.add(row)
    stored = "todo" if state == "open" else state
    before = {"state": row.state, "note": row.note, "link": row.link, "na_reason": row.na_reason}
    new_note = row.note if note is None else (note.strip() or None)
    new_link = row.link if link is None else _check_link(link)
    new_reason = reason if stored == "not_applicable" else None
    after = {"state": stored, "note": new_note, "link": new_link, "na_reason": new_reason}
    if before == after:
        return _view(row, t)
    row.state, row.note, row.link, row.na_reason = stored, new_note, new_link, new_reason
    row.updated_by, row.updated_at = actor, utcnow()
    event_note = reason if stored == "not_applicable" else after["note"] if after["note"] != before["note"] else None
    session.add(ChecklistEvent(integration_id=integration.id, item_key=key, from_state=before["state"],
                               to_state=stored, actor=actor, note=event_note, link=after["link"]))
    audit.record(session, actor=actor, action="checklist.item_changed", entity_type="checklist_item",
                 entity_id=f"{slug}:{key}", before=before, after=after)
    session.flush()
    return _view(row, t)


def tick(session: Session, *, actor: str, slug: str, key: str, done: bool = True, note: str | None = None,
         link: str | None = None) -> ItemView:
    """Tick (or untick) one item, optionally with a note and a link (pull request, document)."""
    return set_item(session, actor=actor, slug=slug, key=key, state="done" if done else "open", note=note,
                    link=link)


def mark_not_applicable(session: Session, *, actor: str, slug: str, key: str, reason: str) -> ItemView:
    return set_item(session, actor=actor, slug=slug, key=key, state="not_applicable", reason=reason)


def _view(row: ChecklistItem, t: TemplateItem) -> ItemView:
    return ItemView(key=t.key, step=t.step, title=t.title, depth=0, state=STATE_LABELS[row.state],
                    note=row.note, link=row.link, na_reason=row.na_reason, by=row.updated_by, at=row.updated_at)


def set_plan(session: Session, *, actor: str, slug: str, owner: str | None, target_date: date | None) -> Integration:
    """Set who owns the build and when it should be Available (owner: an active staff email or None)."""
    require_builder(session, actor)
    integration = get_integration(session, slug)
    owner = (owner or "").strip().lower() or None
    if owner is not None and staff_role(session, owner) is None:
        raise InvalidInput(f"owner: {owner} is not a staff user")
    before = {"owner": integration.owner, "target_date": _iso(integration.target_date)}
    after = {"owner": owner, "target_date": _iso(target_date)}
    if before != after:
        integration.owner, integration.target_date = owner, target_date
        audit.record(session, actor=actor, action="integration.plan_changed", entity_type="integration",
                     entity_id=slug, before=before, after=after)
        session.flush()
    return integration


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def add_finding(session: Session, *, actor: str, slug: str, severity: str, finding: str,
                link: str | None = None) -> ReviewFinding:
    """Record a missing feature or edge case found while reviewing an integration."""
    require_builder(session, actor)
    integration = get_integration(session, slug)
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    if not finding.strip():
        raise InvalidInput("finding: describe the missing feature or edge case")
    row = ReviewFinding(integration_id=integration.id, severity=severity, finding=finding.strip(),
                        link=_check_link(link), created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="review.finding_added", entity_type="integration", entity_id=slug,
                 after={"id": row.id, "severity": severity, "finding": row.finding, "link": row.link})
    return row


def resolve_finding(session: Session, *, actor: str, finding_id: int) -> ReviewFinding:
    require_builder(session, actor)
    row = session.get(ReviewFinding, finding_id)
    if row is None:
        raise NotFound(f"review finding {finding_id} not found")
    if row.resolved_at is None:
        row.resolved_by, row.resolved_at = actor, utcnow()
        audit.record(session, actor=actor, action="review.finding_resolved", entity_type="review_finding",
                     entity_id=row.id, before={"resolved": False}, after={"resolved": True})
        session.flush()
    return row


def findings(session: Session, slug: str) -> list[ReviewFinding]:
    integration = get_integration(session, slug)
    return list(session.scalars(select(ReviewFinding).where(ReviewFinding.integration_id == integration.id)
                                .order_by(ReviewFinding.resolved_at.is_not(None), ReviewFinding.id.desc())))
