"""The state of each integration's guide: written (complete or not) and published (or not).

A guide counts as published while its publication row exists AND its written sections are still
complete: an edit that drops a section unpublishes it in effect (the list says why). The build tracker
reads this for Step 7's evidence and the Available gate; publishing (services/guides/publishing.py)
changes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration
from db.models.docs import GuidePublication
from services.catalog import Catalog, load_catalog
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


def published_slugs(session: Session, directory: Path | None = None) -> set[str]:
    return {s.slug for s in guide_states(session, directory) if s.published}
