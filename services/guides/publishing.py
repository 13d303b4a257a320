"""Publishing guides: an engineer (or admin) publishes a guide whose written sections are complete.

What counts as published (the row AND still-complete written sections) is services/guides/state.py.

Publishing is what performs Step 7's guide items (`GUIDE_ITEMS`: "Write integration guide" and its
five sections), so it ticks them, the way the move to Available ticks the items it performs
(pipeline.DONE_BY_AVAILABLE): a tick stays an audited checklist event that the burn-up and pace
read, while evidence only informs. Nobody ticks these items by hand without a publication
(tracker.set_item refuses), unpublishing reopens them, and the Available gate re-checks the guide
is still published (pipeline.missing_items), so a draft or a lapsed guide cannot pass Step 7.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Integration
from db.models.docs import GuidePublication
from services.build import tracker
from services.core import audit
from services.core.errors import InvalidInput
from services.core.integrations import get_integration
from services.guides.state import guide_states
from services.guides.written import GUIDE_ITEMS, problems, read

# guide_states lives in state.py (the build tracker reads guide states too); kept importable from here.
__all__ = ["guide_states", "publish", "unpublish"]


def _sync_guide_items(session: Session, actor: str, integration: Integration, *, published: bool) -> list[str]:
    """Tick the open guide items (published) or reopen the ticked ones (unpublished); returns the keys changed.

    Integrations built before the Hub have the review list instead of Step 7, so nothing changes for them.
    """
    if integration.existing:
        return []
    steps = tracker.checklist(session, integration.slug, with_evidence=False)
    states = {i.key: i.state for s in steps for i in s.items if i.key in GUIDE_ITEMS}
    want, note = ("open", "published guide") if published else ("done", "guide unpublished")
    changed = [key for key in GUIDE_ITEMS if states.get(key) == want]
    for key in changed:
        tracker.set_item(session, actor=actor, slug=integration.slug, key=key,
                         state="done" if published else "open", note=note)
    return changed


def publish(session: Session, *, actor: str, slug: str, directory: Path | None = None) -> GuidePublication:
    """Publish a guide whose written sections are complete (engineers and admins; audited)."""
    tracker.require_builder(session, actor)
    integration = get_integration(session, slug)
    written = read(slug, directory)
    missing = problems(written, slug)
    if missing:
        raise InvalidInput(f"{integration.name}'s guide cannot be published: " + "; ".join(missing))
    assert written is not None
    row = session.scalar(select(GuidePublication).where(GuidePublication.integration_id == integration.id))
    before = {"published_by": row.published_by, "written_sha256": row.written_sha256} if row else None
    if row is not None and row.written_sha256 == written.sha256:
        _sync_guide_items(session, actor, integration, published=True)     # e.g. an item reopened by hand
        return row
    if row is None:
        row = GuidePublication(integration_id=integration.id, published_by=actor, written_sha256=written.sha256)
        session.add(row)
    row.published_by, row.published_at, row.written_sha256 = actor, utcnow(), written.sha256
    session.flush()
    ticked = _sync_guide_items(session, actor, integration, published=True)
    audit.record(session, actor=actor, action="guide.published", entity_type="integration", entity_id=slug,
                 before=before, after={"published_by": actor, "written_sha256": written.sha256, "ticked": ticked})
    session.flush()
    return row


def unpublish(session: Session, *, actor: str, slug: str) -> bool:
    """Withdraw a published guide (engineers and admins; audited). False when it was not published."""
    tracker.require_builder(session, actor)
    integration = get_integration(session, slug)
    row = session.scalar(select(GuidePublication).where(GuidePublication.integration_id == integration.id))
    if row is None:
        return False
    before = {"published_by": row.published_by, "published_at": row.published_at.isoformat()}
    session.delete(row)
    session.flush()
    reopened = _sync_guide_items(session, actor, integration, published=False)
    audit.record(session, actor=actor, action="guide.unpublished", entity_type="integration", entity_id=slug,
                 before=before, after={"reopened": reopened} if reopened else None)
    session.flush()
    return True
