"""Customer tiers and their default ranking weights (reference data)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Tier

# slug, display name, default weight, high tier (counts towards the Top bucket)
DEFAULT_TIERS: tuple[tuple[str, str, float, bool], ...] = (
    ("free", "Free", 1.0, False),
    ("starter", "Starter", 1.5, False),
    ("pro", "Pro", 2.0, False),
    ("agency", "Agency", 3.0, True),
    ("enterprise", "Enterprise", 5.0, True),
)
TIER_SLUGS = tuple(t[0] for t in DEFAULT_TIERS)


def sync_tiers(session: Session) -> int:
    """Create missing tiers with their default weights; existing weights are never overwritten."""
    existing = {t.slug for t in session.scalars(select(Tier))}
    added = 0
    for position, (slug, name, weight, high) in enumerate(DEFAULT_TIERS):
        if slug not in existing:
            session.add(Tier(slug=slug, name=name, weight=weight, is_high=high, position=position))
            added += 1
    session.flush()
    return added


def tiers_by_slug(session: Session) -> dict[str, Tier]:
    return {t.slug: t for t in session.scalars(select(Tier).order_by(Tier.position))}
