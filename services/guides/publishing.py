"""Publishing guides: an engineer (or admin) publishes a guide whose written sections are complete.

A guide counts as published while its publication row exists AND its written sections are still
complete: an edit that drops a section unpublishes it in effect (the list says why).

Publishing is what performs Step 7's guide items (`GUIDE_ITEMS`: "Write integration guide" and its
five sections), so it ticks them, the way the move to Available ticks the items it performs
(pipeline.DONE_BY_AVAILABLE): a tick stays an audited checklist event that the burn-up and pace
read, while evidence only informs. Nobody ticks these items by hand without a publication
(tracker.set_item refuses), unpublishing reopens them, and the Available gate re-checks the guide
is still published (pipeline.missing_items), so a draft or a lapsed guide cannot pass Step 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Integration
from db.models.docs import GuidePublication
from services.build import tracker
from services.build.evidence import GUIDE_ITEMS
from services.catalog import Catalog, load_catalog
from services.core import audit
from services.core.errors import InvalidInput
from services.core.integrations import get_integration
from services.guides.written import problems, read

STATES = ("published", "ready to publish", "incomplete", "not written")


@dataclass(frozen=True)
class GuideState:
    slug: str
    name: str
    category: str
    status: str                      # the integration's pipeline status
    top10_rank: int | None
    state: str                       # one of STATES
    problems: list[str]
    published_by: str | None
    published_at: datetime | None
    edited_since_published: bool

    @property
    def published(self) -> bool:
        return self.state == "published"


def _state(integration: Integration, pub: GuidePublication | None, catalog: Catalog,
           directory: Path | None) -> GuideState:
    written = read(integration.slug, directory)
    missing = problems(written, integration.slug)
    if written is None:
        state = "not written"
    elif missing:
        state = "incomplete"
    else:
        state = "published" if pub is not None else "ready to publish"
    return GuideState(
        integration.slug, integration.name, catalog.categories.get(integration.category, integration.category),
        integration.status, integration.top10_rank, state, missing,
        pub.published_by if pub else None, pub.published_at if pub else None,
        bool(pub and written and pub.written_sha256 != written.sha256))


def guide_states(session: Session, directory: Path | None = None) -> list[GuideState]:
    """Every catalog integration with its guide's state, top 10 first, then by name."""
    catalog = load_catalog()
    rows = session.execute(select(Integration, GuidePublication)
                           .outerjoin(GuidePublication, GuidePublication.integration_id == Integration.id)).all()
    states = [_state(integration, pub, catalog, directory) for integration, pub in rows]
    return sorted(states, key=lambda s: (s.top10_rank is None, s.top10_rank or 0, s.name.lower()))


def guide_state(session: Session, integration: Integration, directory: Path | None = None) -> GuideState:
    """One integration's guide state (the tracker's Step 7 evidence and the Available gate read this)."""
    pub = session.scalar(select(GuidePublication).where(GuidePublication.integration_id == integration.id))
    return _state(integration, pub, load_catalog(), directory)


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


def published_slugs(session: Session, directory: Path | None = None) -> set[str]:
    return {s.slug for s in guide_states(session, directory) if s.published}
