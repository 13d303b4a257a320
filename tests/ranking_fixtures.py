"""Small hand-built upvote histories for the ranking tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Integration, Organization, Tier, User
from services.demand.upvotes import add_upvote


class History:
    """Create organizations/users on tiers and upvotes by slug, through the real upvote service."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tiers = {t.slug: t for t in session.scalars(select(Tier))}
        self.integrations = {i.slug: i for i in session.scalars(select(Integration))}
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, User] = {}

    def org(self, name: str, tier: str) -> Organization:
        if name not in self.orgs:
            org = Organization(name=name, tier_id=self.tiers[tier].id)
            self.session.add(org)
            self.session.flush()
            self.orgs[name] = org
        return self.orgs[name]

    def user(self, email: str, tier: str, org: str | None = None) -> User:
        if email not in self.users:
            organization = self.org(org or f"{tier}-org", tier)
            user = User(email=email, name=email.split("@")[0], organization_id=organization.id,
                        tier_id=self.tiers[tier].id)
            self.session.add(user)
            self.session.flush()
            self.users[email] = user
        return self.users[email]

    def upvote(self, slug: str, email: str, tier: str = "free", org: str | None = None) -> bool:
        user = self.user(email, tier, org)
        return add_upvote(self.session, user_id=user.id, integration_id=self.integrations[slug].id)

    def many(self, slug: str, count: int, tier: str, prefix: str | None = None, orgs: int = 1) -> None:
        for n in range(count):
            self.upvote(slug, f"{prefix or slug}-{tier}-{n}@example.com", tier, org=f"{tier}-org-{n % orgs}")
