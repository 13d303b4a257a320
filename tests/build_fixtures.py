"""Helpers shared by the build tracker tests (tests/test_build_*.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration, Organization, StaffUser, Tier, Upvote, User
from services.build import tracker
from services.build.evidence import GUIDE_ITEMS
from services.guides import publishing

ENGINEER = "eng@layers.example"
ADMIN = "boss@layers.example"
PM = "plan@layers.example"
LEADER = "lead@layers.example"


def add_staff(session: Session) -> None:
    session.add_all([StaffUser(email=ENGINEER, name="Eng", role="engineer"),
                     StaffUser(email=ADMIN, name="Boss", role="admin"),
                     StaffUser(email=PM, name="Plan", role="pm"),
                     StaffUser(email=LEADER, name="Lead", role="leadership")])
    session.flush()


def add_upvoters(session: Session, slug: str, n: int, prefix: str = "fan") -> list[User]:
    tier = session.scalar(select(Tier).where(Tier.slug == "pro"))
    org = Organization(name=f"{prefix} agency {slug}", tier_id=tier.id)
    session.add(org)
    session.flush()
    users = [User(email=f"{prefix}{k}@{slug}.example", name=f"Fan {k}", organization_id=org.id, tier_id=tier.id)
             for k in range(n)]
    session.add_all(users)
    session.flush()
    integration = session.scalar(select(Integration).where(Integration.slug == slug))
    session.add_all([Upvote(user_id=u.id, integration_id=integration.id) for u in users])
    session.flush()
    return users


def complete_steps(session: Session, slug: str, steps: set[int], actor: str = ENGINEER,
                   skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Tick every open item of the given steps (except `skip`); Step 7's guide items by publishing the guide."""
    if 7 in steps and not set(GUIDE_ITEMS) <= set(skip):
        publishing.publish(session, actor=actor, slug=slug)        # docs/integrations/<slug>.md
    for step in tracker.checklist(session, slug, with_evidence=False):
        if step.number in steps:
            for item in step.items:
                if item.state == "open" and item.key not in skip:
                    tracker.tick(session, actor=actor, slug=slug, key=item.key)
