"""The status pipeline: requested → planned → building → testing → available (→ deprecated).

Moving forward needs the checklist steps of GATES done or not applicable; the refusal names the
missing items, and an admin may override it with a written reason (kept in `status_changes`,
audited, shown on the integration). Becoming Available does, in one transaction: registry status
"available", upvoting closed, the three Step 7 items the move itself performs ticked, and one
outbox notification per upvoter. Step 7's guide items count only while the guide is published
(services/guides/publishing.py ticks them when it publishes).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import INTEGRATION_STATUSES, Integration
from db.models.build import StatusChange
from services.build import notifications, tracker
from services.core import audit
from services.core.errors import HubError, InvalidInput, NotFound, PermissionDenied
from services.core.integrations import get_integration
from services.guides.state import guide_state
from services.guides.written import GUIDE_ITEMS

STATUSES = INTEGRATION_STATUSES
PIPELINE = ("requested", "planned", "building", "testing", "available")
# Checklist steps (8 = the testing checklist) that must be done or not applicable to enter a status.
GATES: dict[str, tuple[int, ...]] = {
    "requested": (),
    "planned": (),
    "building": (1,),
    "testing": (1, 2, 3, 4, 5),
    "available": (1, 2, 3, 4, 5, 6, 7, 8),
}
# Step 7 items that the move to Available performs itself (registry status, upvote button, announcement).
DONE_BY_AVAILABLE = ("docs.registry_available", "docs.remove_upvote", "docs.announce")
PLANNERS = frozenset({"pm"})          # besides engineers and admins: may move requested <-> planned


class TransitionRefused(HubError):
    """A forward move whose checklist steps are not complete; `.missing` lists the item keys."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class MissingItem:
    key: str
    step: int
    step_title: str
    title: str
    open: bool = True        # False: ticked, but it no longer counts (a guide item while the guide is not published)


def missing_items(session: Session, slug: str, to_status: str) -> list[MissingItem]:
    """Open checklist items that block moving to `to_status` (none for existing integrations)."""
    integration = get_integration(session, slug)
    needed = set(GATES.get(to_status, ()))
    if integration.existing or not needed:
        return []
    skip = set(DONE_BY_AVAILABLE) if to_status == "available" else set()
    # The guide items count only while the guide is published now: publishing ticks them, but an edit that
    # drops a section (or a tick written around the tracker) must not carry a draft through Step 7.
    guide = guide_state(session, integration) if 7 in needed else None
    lapsed = guide.state if guide is not None and not guide.published else None   # e.g. "incomplete"

    def blocks(item: tracker.ItemView) -> bool:
        return item.state == "open" or (lapsed is not None and item.state == "done" and item.key in GUIDE_ITEMS)
    return [MissingItem(i.key, s.number, s.title,
                        i.title if i.state == "open" else f"{i.title} (ticked, but the guide is {lapsed})",
                        open=i.state == "open")
            for s in tracker.checklist(session, slug, with_evidence=False) if s.number in needed
            for i in s.items if i.key not in skip and blocks(i)]


def allowed_targets(integration: Integration) -> list[str]:
    """Statuses the integration may move to next (forward moves may still be refused by GATES)."""
    if integration.status == "available":
        return ["deprecated"]
    if integration.status == "deprecated":
        return ["available"]
    return [s for s in PIPELINE if s != integration.status]


@dataclass(frozen=True)
class Target:
    """A status the integration may move to next; a forward move with open items is blocked by them."""
    status: str
    forward: bool
    missing: list[MissingItem]

    @property
    def reachable(self) -> bool:
        return not self.missing


def targets(session: Session, integration: Integration) -> list[Target]:
    """Every status of ``allowed_targets`` with what blocks it (nothing for backward moves), in pipeline order."""
    found = []
    for status in allowed_targets(integration):
        forward = is_forward(integration.status, status)
        found.append(Target(status, forward, missing_items(session, integration.slug, status) if forward else []))
    return found


def missing_by_step(missing: list[MissingItem]) -> list[str]:
    """The refusal reasons as one line per step: "Step 2 · Node Configuration Schema: 3 items open: a; b; c"
    (the testing checklist by its title; "not done" when a ticked guide item no longer counts)."""
    lines = []
    for (step, title), group in groupby(missing, key=lambda m: (m.step, m.step_title)):
        items = list(group)
        word = "open" if all(m.open for m in items) else "not done"
        count = f"{len(items)} item{'s' if len(items) != 1 else ''} {word}"
        lines.append(f"{f'Step {step} · ' if step <= 7 else ''}{title}: {count}: " + "; ".join(m.title for m in items))
    return lines


def is_forward(current: str, target: str) -> bool:
    if current == "deprecated":
        return target == "available"
    return target in PIPELINE and current in PIPELINE and PIPELINE.index(target) > PIPELINE.index(current)


def _lock(session: Session, slug: str) -> Integration:
    """The integration row, locked for this transaction so concurrent moves run one after another."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock before we read.
        session.execute(update(Integration).where(Integration.slug == slug).values(updated_at=Integration.updated_at))
    row = session.scalar(select(Integration).where(Integration.slug == slug).with_for_update()
                         .execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"integration {slug!r} is not in the catalog")
    return row


def _check_permission(role: str | None, actor: str, current: str, target: str) -> None:
    if role is None:        # the system or a CLI operator (who holds the database credentials anyway)
        return
    planning = {current, target} <= {"requested", "planned"}
    if role not in tracker.BUILDERS and not (role in PLANNERS and planning):
        raise PermissionDenied(f"{actor} ({role}) may not move integrations to {target}; engineers and admins may"
                               + (" (product managers may plan requested integrations)" if role != "pm" else ""))


def refusal_message(name: str, target: str, missing: list[MissingItem]) -> str:
    """The CLI's refusal: the open items grouped under their step (as the page's list), each with its key for
    `checklist tick`."""
    lines = [f"{name} cannot move to {target}: {len(missing)} checklist item(s) are neither done nor "
             "not applicable:"]
    for (step, title), group in groupby(missing, key=lambda m: (m.step, m.step_title)):
        items = list(group)
        lines.append(f"  {f'Step {step} · ' if step <= 7 else ''}{title} ({len(items)}):")
        lines += [f"    - {m.title} [{m.key}]" for m in items]
    return "\n".join(lines)


def change_status(session: Session, *, actor: str, slug: str, to_status: str,
                  override_reason: str | None = None) -> Integration:
    """Move an integration along the pipeline (audited in the caller's unit of work).

    Raises TransitionRefused (with `.missing`) when a forward move's steps are incomplete and no
    admin override reason is given; InvalidInput for a move the pipeline does not allow;
    PermissionDenied for a role that may not make it. Moving to the current status is a no-op.
    """
    if to_status not in INTEGRATION_STATUSES:
        raise InvalidInput(f"status: {to_status!r} is not one of {', '.join(INTEGRATION_STATUSES)}")
    reason = (override_reason or "").strip() or None
    integration = _lock(session, slug)
    current = integration.status
    if to_status == current:
        return integration
    role = tracker.staff_role(session, actor)
    _check_permission(role, actor, current, to_status)
    if to_status not in allowed_targets(integration):
        targets = allowed_targets(integration)
        hint = "; only an Available integration can be deprecated" if to_status == "deprecated" else ""
        raise InvalidInput(f"{integration.name} is {current}: it can only move to "
                           f"{', '.join(targets[:-1]) + ' or ' if len(targets) > 1 else ''}{targets[-1]}{hint}")
    missing = missing_items(session, slug, to_status) if is_forward(current, to_status) else []
    if missing and reason is None:
        raise TransitionRefused(refusal_message(integration.name, to_status, missing), [m.key for m in missing])
    if missing and role not in (None, "admin"):
        raise PermissionDenied(f"only an admin may override the checklist; {actor} is {role}")
    reason = reason if missing else None     # an override reason only means something when items are skipped

    before = {"status": current, "upvoting_open": integration.upvoting_open}
    integration.status, integration.status_changed_at = to_status, utcnow()
    skipped = [m.key for m in missing] or None
    session.add(StatusChange(integration_id=integration.id, from_status=current, to_status=to_status, actor=actor,
                             override_reason=reason, skipped=skipped))
    after: dict[str, object] = {"status": to_status, "override_reason": reason, "skipped": skipped}
    if to_status == "available":
        after.update(_become_available(session, actor, integration))
    after["upvoting_open"] = integration.upvoting_open
    audit.record(session, actor=actor, action="integration.status_changed", entity_type="integration",
                 entity_id=slug, before=before, after=after)
    session.flush()
    return integration


def _become_available(session: Session, actor: str, integration: Integration) -> dict[str, object]:
    integration.upvoting_open = False
    if not integration.existing:
        states = {i.key: i.state for s in tracker.checklist(session, integration.slug, with_evidence=False)
                  for i in s.items}
        for key in DONE_BY_AVAILABLE:
            if states.get(key) == "open":
                tracker.set_item(session, actor=actor, slug=integration.slug, key=key, state="done",
                                 note="Done by the move to Available")
    return {"notifications_written": notifications.enqueue_for_upvoters(session, integration)}


def last_override(session: Session, slug: str) -> StatusChange | None:
    """The most recent move made with an admin override (shown on the integration)."""
    return session.scalar(select(StatusChange).join(Integration, Integration.id == StatusChange.integration_id)
                          .where(Integration.slug == slug, StatusChange.override_reason.is_not(None))
                          .order_by(StatusChange.id.desc()).limit(1))
