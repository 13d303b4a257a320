"""Publishing guides: an engineer (or admin) publishes a guide whose written sections are complete.

A guide counts as published while its publication row exists AND its written sections are still
complete: an edit that drops a section unpublishes it in effect (the list says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Integration
from db.models_docs import GuidePublication
from services import audit
from services.catalog import load_catalog
from services.errors import InvalidInput
from services.guides.written import problems, read
from services.integrations import get_integration
from services.tracker import require_builder

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


def guide_states(session: Session, directory: Path | None = None) -> list[GuideState]:
    """Every catalog integration with its guide's state, top 10 first, then by name."""
    catalog = load_catalog()
    rows = session.execute(select(Integration, GuidePublication)
                           .outerjoin(GuidePublication, GuidePublication.integration_id == Integration.id)).all()
    states = []
    for integration, pub in rows:
        written = read(integration.slug, directory)
        missing = problems(written)
        if written is None:
            state = "not written"
        elif missing:
            state = "incomplete"
        else:
            state = "published" if pub is not None else "ready to publish"
        states.append(GuideState(
            integration.slug, integration.name, catalog.categories.get(integration.category, integration.category),
            integration.status, integration.top10_rank, state, missing,
            pub.published_by if pub else None, pub.published_at if pub else None,
            bool(pub and written and pub.written_sha256 != written.sha256)))
    return sorted(states, key=lambda s: (s.top10_rank is None, s.top10_rank or 0, s.name.lower()))


def publish(session: Session, *, actor: str, slug: str, directory: Path | None = None) -> GuidePublication:
    """Publish a guide whose written sections are complete (engineers and admins; audited)."""
    require_builder(session, actor)
    integration = get_integration(session, slug)
    written = read(slug, directory)
    missing = problems(written)
    if missing:
        raise InvalidInput(f"{integration.name}'s guide cannot be published: " + "; ".join(missing))
    assert written is not None
    row = session.scalar(select(GuidePublication).where(GuidePublication.integration_id == integration.id))
    before = {"published_by": row.published_by, "written_sha256": row.written_sha256} if row else None
    if row is not None and row.written_sha256 == written.sha256:
        return row
    if row is None:
        row = GuidePublication(integration_id=integration.id, published_by=actor, written_sha256=written.sha256)
        session.add(row)
    row.published_by, row.published_at, row.written_sha256 = actor, utcnow(), written.sha256
    audit.record(session, actor=actor, action="guide.published", entity_type="integration", entity_id=slug,
                 before=before, after={"published_by": actor, "written_sha256": written.sha256})
    session.flush()
    return row


def unpublish(session: Session, *, actor: str, slug: str) -> bool:
    """Withdraw a published guide (engineers and admins; audited). False when it was not published."""
    require_builder(session, actor)
    integration = get_integration(session, slug)
    row = session.scalar(select(GuidePublication).where(GuidePublication.integration_id == integration.id))
    if row is None:
        return False
    audit.record(session, actor=actor, action="guide.unpublished", entity_type="integration", entity_id=slug,
                 before={"published_by": row.published_by, "published_at": row.published_at.isoformat()},
                 after=None)
    session.delete(row)
    session.flush()
    return True


def published_slugs(session: Session, directory: Path | None = None) -> set[str]:
    return {s.slug for s in guide_states(session, directory) if s.published}
