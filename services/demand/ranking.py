"""The demand ranking: which unbuilt integrations to build next, and why.

score = sum over an integration's upvotes of the upvoter's tier weight. Bucket: Top when
upvotes >= top_upvotes or high-tier upvoters >= high_tier_min; Medium when upvotes >= medium_upvotes;
else Low. Order: score desc, upvotes desc, organizations desc, slug asc. Reads only the aggregates
(services/upvotes.py keeps them current), so its cost depends on integrations, not upvotes.

Reading and scoring are apart: ``load_demand`` reads the aggregates once (``Demand``, plain picklable data)
and the pure functions rank it (``rank_demand``), preview a settings edit against it (``edited_settings`` +
``preview``: rank moves and bucket changes, nothing written) and say why each integration is in its bucket
(``reasons``). ``data_version`` is a one-statement fingerprint of everything they read, for caches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Integration, Tier
from db.models.ranking import IntegrationStat, IntegrationTierStat, RankingSettings
from services.core import audit
from services.core.errors import InvalidInput, PermissionDenied
from services.core.text import plural
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


@dataclass(frozen=True)
class DemandRow:
    """One integration as the ranking sees it: its aggregates, upvotes per upvoter tier included."""

    slug: str
    name: str
    category: str
    status: str
    built: bool
    upvotes: int
    organizations: int
    per_tier: dict[str, int]


@dataclass(frozen=True)
class Demand:
    """What every ranking is computed from (``load_demand``): the integrations and the tiers, slug → name."""

    rows: tuple[DemandRow, ...]
    tiers: dict[str, str]


@dataclass(frozen=True)
class RankChange:
    """An integration whose rank or bucket a settings edit changes."""

    slug: str
    name: str
    old_rank: int
    new_rank: int
    old_bucket: str
    new_bucket: str
    old_score: float
    new_score: float

    @property
    def moved(self) -> int:
        """Places gained (negative: lost)."""
        return self.old_rank - self.new_rank


@dataclass(frozen=True)
class Preview:
    """A settings edit against the ranking in force: the changes in new-rank order, bucket sizes before/after."""

    changes: tuple[RankChange, ...]
    buckets_before: dict[str, int]
    buckets_after: dict[str, int]


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


def edited_settings(current: Settings, tiers: Iterable[str], *, weights: dict[str, float] | None = None,
                    high_tiers: Iterable[str] | None = None, top_upvotes: int | None = None,
                    medium_upvotes: int | None = None, high_tier_min: int | None = None) -> Settings:
    """``current`` with these edits, checked (InvalidInput names the field); nothing is written.

    Returns ``current`` itself when the edits change nothing, else the settings the next version would hold."""
    known = list(tiers)
    new_weights = dict(current.weights)
    for slug, weight in (weights or {}).items():
        if slug not in known:
            raise InvalidInput(f"unknown tier {slug!r}; known: {', '.join(known)}")
        if not isinstance(weight, int | float) or weight < 0 or weight != weight or weight > 1000:
            raise InvalidInput(f"weight for {slug}: {weight!r} must be a number from 0 to 1000")
        new_weights[slug] = float(weight)
    new_high = tuple(current.high_tiers if high_tiers is None else high_tiers)
    for slug in new_high:
        if slug not in known:
            raise InvalidInput(f"high tiers: unknown tier {slug!r}; known: {', '.join(known)}")
    top = current.top_upvotes if top_upvotes is None else top_upvotes
    medium = current.medium_upvotes if medium_upvotes is None else medium_upvotes
    high_min = current.high_tier_min if high_tier_min is None else high_tier_min
    if medium < 0 or top < 0 or high_min < 1:
        raise InvalidInput("thresholds must not be negative and the high-tier minimum must be at least 1")
    if medium > top:
        raise InvalidInput(f"medium threshold ({medium}) must not exceed the top threshold ({top})")
    if (new_weights, new_high, top, medium, high_min) == (current.weights, current.high_tiers, current.top_upvotes,
                                                          current.medium_upvotes, current.high_tier_min):
        return current
    return replace(current, version=current.version + 1, weights=new_weights, high_tiers=new_high,
                   top_upvotes=top, medium_upvotes=medium, high_tier_min=high_min)


def update_settings(session: Session, *, actor: str, actor_role: str, weights: dict[str, float] | None = None,
                    high_tiers: list[str] | None = None, top_upvotes: int | None = None,
                    medium_upvotes: int | None = None, high_tier_min: int | None = None) -> Settings:
    """Store a new settings version (pm/admin only); weights and high tiers also update the tiers."""
    if actor_role not in SETTINGS_ROLES:
        raise PermissionDenied(f"only {' and '.join(SETTINGS_ROLES)} may change ranking settings")
    old = current_settings(session)
    tiers = {t.slug: t for t in session.scalars(select(Tier))}
    edited = edited_settings(old, tiers, weights=weights, high_tiers=high_tiers, top_upvotes=top_upvotes,
                             medium_upvotes=medium_upvotes, high_tier_min=high_tier_min)
    if edited == old:
        return old
    row = RankingSettings(version=old.version + 1, weights=edited.weights, high_tiers=list(edited.high_tiers),
                          top_upvotes=edited.top_upvotes, medium_upvotes=edited.medium_upvotes,
                          high_tier_min=edited.high_tier_min, created_by=actor)
    session.add(row)
    for slug, tier in tiers.items():
        tier.weight, tier.is_high = edited.weights.get(slug, tier.weight), slug in edited.high_tiers
    new = _view(row)
    audit.record(session, actor=actor, action="ranking.settings_changed", entity_type="ranking_settings",
                 entity_id=new.version, before=_settings_dict(old), after=_settings_dict(new))
    session.flush()
    return new


def _settings_dict(s: Settings) -> dict:
    return {"version": s.version, "weights": s.weights, "high_tiers": list(s.high_tiers),
            "top_upvotes": s.top_upvotes, "medium_upvotes": s.medium_upvotes, "high_tier_min": s.high_tier_min}


def load_demand(session: Session) -> Demand:
    """Every integration's aggregates and upvotes per tier, in three small queries (no upvote is read)."""
    tiers = session.execute(select(Tier.id, Tier.slug, Tier.name).order_by(Tier.position)).all()
    tier_slugs = {tid: slug for tid, slug, _ in tiers}
    per_tier: dict[int, dict[str, int]] = {}
    for integration_id, tier_id, n in session.execute(
            select(IntegrationTierStat.integration_id, IntegrationTierStat.tier_id, IntegrationTierStat.upvotes)
            .order_by(IntegrationTierStat.integration_id, IntegrationTierStat.tier_id)):
        per_tier.setdefault(integration_id, {})[tier_slugs[tier_id]] = n
    rows = session.execute(
        select(Integration.id, Integration.slug, Integration.name, Integration.category, Integration.status,
               Integration.existing, func.coalesce(IntegrationStat.upvotes, 0),
               func.coalesce(IntegrationStat.organizations, 0))
        .outerjoin(IntegrationStat, IntegrationStat.integration_id == Integration.id)
        .order_by(Integration.slug)).all()
    return Demand(tuple(DemandRow(slug=slug, name=name, category=category, status=status,
                                  built=bool(existing) or status in BUILT_STATUSES, upvotes=upvotes,
                                  organizations=orgs, per_tier=per_tier.get(iid, {}))
                        for iid, slug, name, category, status, existing, upvotes, orgs in rows),
                  {slug: name for _, slug, name in tiers})


def _high_tier_users(row: DemandRow, settings: Settings) -> int:
    return sum(n for t, n in row.per_tier.items() if t in settings.high_tiers)


def rank_demand(demand: Demand, settings: Settings, *, include_built: bool = False) -> list[RankedIntegration]:
    """The ranking of ``demand`` under ``settings`` (pure)."""
    scored = []
    for row in demand.rows:
        if row.built and not include_built:
            continue
        score = sum(n * settings.weights.get(t, 0.0) for t, n in row.per_tier.items())
        scored.append((round(score, 6), row))
    scored.sort(key=lambda r: (-r[0], -r[1].upvotes, -r[1].organizations, r[1].slug))
    return [RankedIntegration(rank=i, slug=row.slug, name=row.name, category=row.category, status=row.status,
                              bucket=bucket_for(row.upvotes, high, settings), score=score, upvotes=row.upvotes,
                              users=row.upvotes, organizations=row.organizations, high_tier_users=high,
                              built=row.built, settings_version=settings.version)
            for i, (score, row) in enumerate(scored, 1)
            for high in (_high_tier_users(row, settings),)]


def rank(session: Session, *, include_built: bool = False, settings: Settings | None = None) -> list[RankedIntegration]:
    """The ranking, computed from the aggregates in three small queries."""
    return rank_demand(load_demand(session), settings or current_settings(session), include_built=include_built)


def preview(demand: Demand, current: Settings, edited: Settings, *, include_built: bool = False) -> Preview:
    """What ``edited`` would change in the ranking ``current`` gives (pure; nothing is written): every
    integration whose rank or bucket moves, old → new, in the new order."""
    before = {r.slug: r for r in rank_demand(demand, current, include_built=include_built)}
    after = rank_demand(demand, edited, include_built=include_built)
    changes = tuple(RankChange(slug=new.slug, name=new.name, old_rank=old.rank, new_rank=new.rank,
                               old_bucket=old.bucket, new_bucket=new.bucket, old_score=old.score,
                               new_score=new.score)
                    for new in after for old in (before[new.slug],)
                    if (old.rank, old.bucket) != (new.rank, new.bucket))
    return Preview(changes, _bucket_counts(before.values()), _bucket_counts(after))


def _bucket_counts(ranked: Iterable[RankedIntegration]) -> dict[str, int]:
    found = Counter(r.bucket for r in ranked)
    return {b: found.get(b, 0) for b in BUCKETS}


def reasons(demand: Demand, settings: Settings) -> dict[str, str]:
    """Why each integration is in its bucket, by slug: its upvotes against the thresholds and which high-tier
    users asked, e.g. "142 upvotes (50+), 38 from high-tier users: 30 Agency, 8 Enterprise" or, Top for its
    high-tier users alone, "1 high-tier user: 1 Enterprise (16 upvotes)" (pure)."""
    out = {}
    for row in demand.rows:
        high = _high_tier_users(row, settings)
        who = ", ".join(f"{row.per_tier[t]:,} {name}" for t, name in demand.tiers.items()
                        if t in settings.high_tiers and row.per_tier.get(t))
        upvotes = plural(row.upvotes, "upvote")
        bucket = bucket_for(row.upvotes, high, settings)
        if bucket == "Top" and row.upvotes < settings.top_upvotes:
            out[row.slug] = f"{plural(high, 'high-tier user')}: {who} ({upvotes})"
            continue
        if not row.upvotes:
            out[row.slug] = "no upvotes"
            continue
        if bucket == "Top":
            band = f"{settings.top_upvotes:,}+"
        elif bucket == "Medium":
            band = (f"{settings.medium_upvotes:,}–{settings.top_upvotes - 1:,}"
                    if settings.top_upvotes - 1 > settings.medium_upvotes else f"{settings.medium_upvotes:,}+")
        else:
            band = f"under {settings.medium_upvotes:,}"
        text = f"{upvotes} ({band})"
        if high:
            text += f", {high:,} from high-tier users: {who}" if high > 1 else f", 1 from a high-tier user: {who}"
        out[row.slug] = text
    return out


def data_version(session: Session) -> tuple[object, ...]:
    """A fingerprint of everything the ranking, "who asked" and the charts read, in one cheap statement (index
    lookups and sums over the per-integration aggregates, never the upvotes): the settings version, the newest
    audit entry (every change a person makes writes one), the integrations' last change, and sums that move with
    any upvote change, audited or not. Equal fingerprints: nothing those reads return has changed."""
    stat, tier_stat = IntegrationStat, IntegrationTierStat
    return tuple(session.execute(select(
        select(func.max(RankingSettings.version)).scalar_subquery(),
        select(func.max(AuditEntry.id)).scalar_subquery(),
        select(func.max(Integration.updated_at)).scalar_subquery(),
        select(func.count()).select_from(Integration).scalar_subquery(),
        select(func.coalesce(func.sum(stat.upvotes), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(stat.organizations), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(tier_stat.upvotes * tier_stat.tier_id), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(tier_stat.upvotes * tier_stat.integration_id), 0)).scalar_subquery(),
    )).one())


def score_by_tier(session: Session, slugs: list[str], settings: Settings | None = None) -> list[dict]:
    """Upvotes and score per tier for these integrations (the stacked chart)."""
    settings = settings or current_settings(session)
    rows = session.execute(
        select(Integration.slug, Integration.name, Tier.slug, IntegrationTierStat.upvotes)
        .join(IntegrationTierStat, IntegrationTierStat.integration_id == Integration.id)
        .join(Tier, Tier.id == IntegrationTierStat.tier_id).where(Integration.slug.in_(slugs))).all()
    return [{"slug": s, "name": n, "tier": t, "upvotes": u, "score": u * settings.weights.get(t, 0.0)}
            for s, n, t, u in rows]
