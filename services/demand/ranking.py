"""The demand ranking: which unbuilt integrations to build next, and why.

score = sum over an integration's upvotes of the upvoter's tier weight. Bucket: Top when
upvotes >= top_upvotes or high-tier upvoters >= high_tier_min; Medium when upvotes >= medium_upvotes;
else Low. Order: score desc, upvotes desc, organizations desc, slug asc. Reads only the aggregates
(services/upvotes.py keeps them current), so its cost depends on integrations, not upvotes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Integration, Tier
from db.models.ranking import IntegrationStat, IntegrationTierStat, RankingSettings
from services.core import audit
from services.core.errors import InvalidInput, PermissionDenied
from services.demand.tiers import DEFAULT_TIERS

SETTINGS_ROLES = ("pm", "admin")
DEFAULT_TOP_UPVOTES, DEFAULT_MEDIUM_UPVOTES, DEFAULT_HIGH_TIER_MIN = 50, 20, 1
BUCKETS = ("Top", "Medium", "Low")
BUILT_STATUSES = ("available",)


@dataclass(frozen=True)
class Settings:
    version: int
    weights: dict[str, float]
    high_tiers: tuple[str, ...]
    top_upvotes: int
    medium_upvotes: int
    high_tier_min: int
    created_by: str


@dataclass(frozen=True)
class RankedIntegration:
    rank: int
    slug: str
    name: str
    category: str
    status: str
    bucket: str
    score: float
    upvotes: int
    users: int
    organizations: int
    high_tier_users: int
    built: bool
    settings_version: int

    def as_dict(self) -> dict:
        return asdict(self)


def bucket_for(upvotes: int, high_tier_users: int, settings: Settings) -> str:
    if upvotes >= settings.top_upvotes or high_tier_users >= settings.high_tier_min:
        return "Top"
    if upvotes >= settings.medium_upvotes:
        return "Medium"
    return "Low"


def _view(row: RankingSettings) -> Settings:
    return Settings(row.version, {k: float(v) for k, v in row.weights.items()}, tuple(row.high_tiers),
                    row.top_upvotes, row.medium_upvotes, row.high_tier_min, row.created_by)


def current_settings(session: Session) -> Settings:
    row = session.scalar(select(RankingSettings).order_by(RankingSettings.version.desc()).limit(1))
    return _view(row) if row is not None else ensure_settings(session)


def ensure_settings(session: Session) -> Settings:
    """Version 1 from the tiers' weights, created once (by `layers-hub db upgrade`)."""
    row = session.scalar(select(RankingSettings).order_by(RankingSettings.version.desc()).limit(1))
    if row is not None:
        return _view(row)
    tiers = session.scalars(select(Tier).order_by(Tier.position)).all()
    weights = {t.slug: t.weight for t in tiers} or {s: w for s, _, w, _ in DEFAULT_TIERS}
    high = [t.slug for t in tiers if t.is_high] or [s for s, _, _, h in DEFAULT_TIERS if h]
    row = RankingSettings(version=1, weights=weights, high_tiers=high, top_upvotes=DEFAULT_TOP_UPVOTES,
                          medium_upvotes=DEFAULT_MEDIUM_UPVOTES, high_tier_min=DEFAULT_HIGH_TIER_MIN,
                          created_by="system")
    session.add(row)
    session.flush()
    return _view(row)


def update_settings(session: Session, *, actor: str, actor_role: str, weights: dict[str, float] | None = None,
                    high_tiers: list[str] | None = None, top_upvotes: int | None = None,
                    medium_upvotes: int | None = None, high_tier_min: int | None = None) -> Settings:
    """Store a new settings version (pm/admin only); weights and high tiers also update the tiers."""
    if actor_role not in SETTINGS_ROLES:
        raise PermissionDenied(f"only {' and '.join(SETTINGS_ROLES)} may change ranking settings")
    old = current_settings(session)
    tiers = {t.slug: t for t in session.scalars(select(Tier))}
    new_weights = dict(old.weights)
    for slug, weight in (weights or {}).items():
        if slug not in tiers:
            raise InvalidInput(f"unknown tier {slug!r}; known: {', '.join(tiers)}")
        if not isinstance(weight, int | float) or weight < 0 or weight != weight or weight > 1000:
            raise InvalidInput(f"weight for {slug}: {weight!r} must be a number from 0 to 1000")
        new_weights[slug] = float(weight)
    new_high = tuple(old.high_tiers if high_tiers is None else high_tiers)
    for slug in new_high:
        if slug not in tiers:
            raise InvalidInput(f"high tiers: unknown tier {slug!r}; known: {', '.join(tiers)}")
    top = old.top_upvotes if top_upvotes is None else top_upvotes
    medium = old.medium_upvotes if medium_upvotes is None else medium_upvotes
    high_min = old.high_tier_min if high_tier_min is None else high_tier_min
    if medium < 0 or top < 0 or high_min < 1:
        raise InvalidInput("thresholds must not be negative and the high-tier minimum must be at least 1")
    if medium > top:
        raise InvalidInput(f"medium threshold ({medium}) must not exceed the top threshold ({top})")
    if (new_weights, new_high, top, medium, high_min) == (old.weights, old.high_tiers, old.top_upvotes,
                                                          old.medium_upvotes, old.high_tier_min):
        return old
    row = RankingSettings(version=old.version + 1, weights=new_weights, high_tiers=list(new_high),
                          top_upvotes=top, medium_upvotes=medium, high_tier_min=high_min, created_by=actor)
    session.add(row)
    for slug, tier in tiers.items():
        tier.weight, tier.is_high = new_weights.get(slug, tier.weight), slug in new_high
    new = _view(row)
    audit.record(session, actor=actor, action="ranking.settings_changed", entity_type="ranking_settings",
                 entity_id=new.version, before=_settings_dict(old), after=_settings_dict(new))
    session.flush()
    return new


def _settings_dict(s: Settings) -> dict:
    return {"version": s.version, "weights": s.weights, "high_tiers": list(s.high_tiers),
            "top_upvotes": s.top_upvotes, "medium_upvotes": s.medium_upvotes, "high_tier_min": s.high_tier_min}


def rank(session: Session, *, include_built: bool = False, settings: Settings | None = None) -> list[RankedIntegration]:
    """The ranking, computed from the aggregates in two small queries."""
    settings = settings or current_settings(session)
    tier_slugs = dict(session.execute(select(Tier.id, Tier.slug)).all())
    per_tier: dict[int, dict[str, int]] = {}
    for integration_id, tier_id, n in session.execute(
            select(IntegrationTierStat.integration_id, IntegrationTierStat.tier_id, IntegrationTierStat.upvotes)):
        per_tier.setdefault(integration_id, {})[tier_slugs[tier_id]] = n
    rows = session.execute(
        select(Integration.id, Integration.slug, Integration.name, Integration.category, Integration.status,
               Integration.existing, func.coalesce(IntegrationStat.upvotes, 0),
               func.coalesce(IntegrationStat.organizations, 0))
        .outerjoin(IntegrationStat, IntegrationStat.integration_id == Integration.id)).all()
    scored = []
    for iid, slug, name, category, status, existing, upvotes, orgs in rows:
        built = bool(existing) or status in BUILT_STATUSES
        if built and not include_built:
            continue
        tiers = per_tier.get(iid, {})
        score = sum(n * settings.weights.get(t, 0.0) for t, n in tiers.items())
        high = sum(n for t, n in tiers.items() if t in settings.high_tiers)
        scored.append((round(score, 6), upvotes, orgs, slug, name, category, status, high, built))
    scored.sort(key=lambda r: (-r[0], -r[1], -r[2], r[3]))
    return [RankedIntegration(rank=i, slug=slug, name=name, category=category, status=status,
                              bucket=bucket_for(upvotes, high, settings), score=score, upvotes=upvotes,
                              users=upvotes, organizations=orgs, high_tier_users=high, built=built,
                              settings_version=settings.version)
            for i, (score, upvotes, orgs, slug, name, category, status, high, built) in enumerate(scored, 1)]


def score_by_tier(session: Session, slugs: list[str], settings: Settings | None = None) -> list[dict]:
    """Upvotes and score per tier for these integrations (the stacked chart)."""
    settings = settings or current_settings(session)
    rows = session.execute(
        select(Integration.slug, Integration.name, Tier.slug, IntegrationTierStat.upvotes)
        .join(IntegrationTierStat, IntegrationTierStat.integration_id == Integration.id)
        .join(Tier, Tier.id == IntegrationTierStat.tier_id).where(Integration.slug.in_(slugs))).all()
    return [{"slug": s, "name": n, "tier": t, "upvotes": u, "score": u * settings.weights.get(t, 0.0)}
            for s, n, t, u in rows]
