"""Tables for demand ranking: versioned settings and per-integration upvote aggregates.

The aggregates are kept current in the same transaction as every upvote change
(services/upvotes.py), so ranking reads O(integrations x tiers) rows and never scans upvotes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created, intpk


class RankingSettings(Base):
    """One version of the ranking rules; the newest version is in force. Rows are never updated."""

    __tablename__ = "ranking_settings"
    id: Mapped[intpk]
    version: Mapped[int] = mapped_column(Integer, unique=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    high_tiers: Mapped[list[str]] = mapped_column(JSON)
    top_upvotes: Mapped[int] = mapped_column(Integer)
    medium_upvotes: Mapped[int] = mapped_column(Integer)
    high_tier_min: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[created]


class IntegrationStat(Base):
    """Upvotes and distinct organizations per integration (users = upvotes: one per user)."""

    __tablename__ = "integration_stats"
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"),
                                                primary_key=True)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    organizations: Mapped[int] = mapped_column(Integer, default=0)


class IntegrationTierStat(Base):
    """Upvotes per integration per tier of the upvoter (score = sum of upvotes x tier weight)."""

    __tablename__ = "integration_tier_stats"
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"),
                                                primary_key=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"), primary_key=True)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)


class IntegrationOrgStat(Base):
    """Upvotes per integration, organization and upvoter tier ("who asked" without scanning upvotes).

    Rows that reach 0 are deleted, so an integration's organizations are its distinct organization ids here.
    """

    __tablename__ = "integration_org_stats"
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"),
                                                primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"), primary_key=True)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)


class IntegrationWeekStat(Base):
    """Upvotes per integration per week (Monday, UTC) for the upvotes-per-week chart."""

    __tablename__ = "integration_week_stats"
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"),
                                                primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)


class PlanningDecision(Base):
    """What the ranking said about an integration when a PM planned it (success criterion 4)."""

    __tablename__ = "planning_decisions"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    upvotes: Mapped[int] = mapped_column(Integer)
    settings_version: Mapped[int] = mapped_column(Integer)
    planned_by: Mapped[str] = mapped_column(String(254))
    planned_at: Mapped[created]
