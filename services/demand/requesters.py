"""Who asked for an integration, upvotes over time, and planning from the ranking."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Integration, Organization, Tier, Upvote, User
from db.models.ranking import IntegrationOrgStat, IntegrationWeekStat, PlanningDecision
from services.core.errors import InvalidInput, PermissionDenied
from services.core.integrations import get_integration
from services.demand import ranking
from services.demand.planning import move_status

PLAN_ROLES = ("pm", "admin")


def requesting_users(session: Session, slug: str, *, limit: int = 500) -> tuple[pd.DataFrame, int]:
    """The newest `limit` upvoters of an integration, and how many there are in all."""
    integration = get_integration(session, slug)
    total = session.scalar(select(func.count()).where(Upvote.integration_id == integration.id)) or 0
    rows = session.execute(
        select(User.name, User.email, Organization.name, Tier.name, Upvote.created_at, Upvote.comment)
        .join(User, User.id == Upvote.user_id).join(Organization, Organization.id == User.organization_id)
        .join(Tier, Tier.id == User.tier_id).where(Upvote.integration_id == integration.id)
        .order_by(Upvote.created_at.desc()).limit(limit)).all()
    frame = pd.DataFrame(rows, columns=["name", "email", "organization", "tier", "date", "comment"])
    return frame, total


def requesting_organizations(session: Session, slug: str) -> pd.DataFrame:
    """Upvotes and score contributed by each organization (from the aggregates; current weights)."""
    integration = get_integration(session, slug)
    weights = ranking.current_settings(session).weights
    rows = session.execute(
        select(Organization.name, Tier.slug, IntegrationOrgStat.upvotes)
        .join(Organization, Organization.id == IntegrationOrgStat.organization_id)
        .join(Tier, Tier.id == IntegrationOrgStat.tier_id)
        .where(IntegrationOrgStat.integration_id == integration.id)).all()
    frame = pd.DataFrame(rows, columns=["organization", "tier", "upvotes"])
    if frame.empty:
        return pd.DataFrame(columns=["organization", "upvotes", "score", "tiers"])
    frame["score"] = frame["upvotes"] * frame["tier"].map(weights).fillna(0.0)
    grouped = frame.groupby("organization").agg(upvotes=("upvotes", "sum"), score=("score", "sum"),
                                                tiers=("tier", lambda t: ", ".join(sorted(set(t)))))
    return grouped.reset_index().sort_values(["score", "upvotes", "organization"],
                                             ascending=[False, False, True], ignore_index=True)


def weekly_upvotes(session: Session, slugs: list[str]) -> pd.DataFrame:
    """Upvotes per week (Monday, UTC) for these integrations, from the weekly aggregates."""
    rows = session.execute(
        select(IntegrationWeekStat.week, Integration.name, IntegrationWeekStat.upvotes)
        .join(Integration, Integration.id == IntegrationWeekStat.integration_id)
        .where(Integration.slug.in_(slugs)).order_by(IntegrationWeekStat.week)).all() if slugs else []
    frame = pd.DataFrame(rows, columns=["week", "integration", "upvotes"])
    frame["week"] = pd.to_datetime(frame["week"])
    return frame


def plan_integrations(session: Session, *, actor: str, actor_role: str, slugs: list[str]) -> list[PlanningDecision]:
    """Move integrations to Planned, recording what the ranking said about each at that moment."""
    if actor_role not in PLAN_ROLES:
        raise PermissionDenied("only product managers and admins may plan integrations")
    if not slugs:
        raise InvalidInput("select at least one integration to plan")
    decisions = []
    for slug in slugs:
        row: Integration = get_integration(session, slug)
        if row.status != "requested":
            raise InvalidInput(f"{row.name} is already {row.status}; only requested integrations can be planned")
        move_status(session, actor=actor, slug=slug, to_status="planned")
        decisions.append(session.scalars(select(PlanningDecision).where(PlanningDecision.integration_id == row.id)
                                         .order_by(PlanningDecision.id.desc()).limit(1)).one())
    return decisions
