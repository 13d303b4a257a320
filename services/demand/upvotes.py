"""Upvote changes and the aggregates that make ranking independent of the upvote count.

Every function here changes upvotes (or an upvoter's tier/organization) and the aggregates in the
caller's transaction. `recompute_aggregates` rebuilds them from the upvotes table for a set of
integrations (used by bulk imports, the demo loader and `layers-hub ranking rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.base import utcnow
from db.models import AuditEntry, Integration, Upvote, User
from db.models.build import StatusChange
from db.models.ranking import IntegrationOrgStat, IntegrationStat, IntegrationTierStat, IntegrationWeekStat
from services.core.errors import InvalidInput, NotFound

NEVER_OPEN = datetime.min.replace(tzinfo=UTC)   # closed, and no record of when: no upvote is history


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week containing this moment."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def week_expr(dialect: str, column: ColumnElement[datetime] | InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """SQL for week_of(column) on this dialect."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", column)), Date)
    # SQLite: forward to Sunday (same day if Sunday), then back to that week's Monday
    return func.date(column, "weekday 0", "-6 days")


def _upsert_add(session: Session, model: type[IntegrationTierStat | IntegrationWeekStat | IntegrationOrgStat],
                keys: Mapping[str, object], delta: int) -> int:
    """Add `delta` to model.upvotes for the row with these keys (creating it); return the new value."""
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(model).values(**keys, upvotes=delta)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={"upvotes": model.upvotes + stmt.excluded.upvotes})
    return session.execute(stmt.returning(model.upvotes)).scalar_one()


def _apply(session: Session, integration_id: int, tier_id: int, organization_id: int, week: date | None,
           delta: int) -> None:
    """Move one upvote (delta +1/-1) in or out of the aggregates."""
    _upsert_add(session, IntegrationTierStat, {"integration_id": integration_id, "tier_id": tier_id}, delta)
    week_key = {"integration_id": integration_id, "week": week}
    if week is not None and _upsert_add(session, IntegrationWeekStat, week_key, delta) == 0:
        session.execute(delete(IntegrationWeekStat).where(IntegrationWeekStat.integration_id == integration_id,
                                                          IntegrationWeekStat.week == week))
    keys = {"integration_id": integration_id, "organization_id": organization_id, "tier_id": tier_id}
    if _upsert_add(session, IntegrationOrgStat, keys, delta) == 0:
        session.execute(delete(IntegrationOrgStat).where(*(getattr(IntegrationOrgStat, k) == v
                                                           for k, v in keys.items())))
    org_total = session.scalar(select(func.coalesce(func.sum(IntegrationOrgStat.upvotes), 0)).where(
        IntegrationOrgStat.integration_id == integration_id, IntegrationOrgStat.organization_id == organization_id))
    org_delta = 1 if (delta > 0 and org_total == delta) else -1 if (delta < 0 and org_total == 0) else 0
    session.execute(update(IntegrationStat).where(IntegrationStat.integration_id == integration_id)
                    .values(upvotes=IntegrationStat.upvotes + delta,
                            organizations=IntegrationStat.organizations + org_delta))


def _ensure_stat_rows(session: Session, integration_ids: Iterable[int]) -> None:
    wanted = set(integration_ids)
    have = set(session.scalars(select(IntegrationStat.integration_id)
                               .where(IntegrationStat.integration_id.in_(wanted))))
    missing = [{"integration_id": i, "upvotes": 0, "organizations": 0} for i in wanted - have]
    if missing:
        session.execute(insert(IntegrationStat), missing)


def add_upvote(session: Session, *, user_id: int, integration_id: int, created_at: datetime | None = None,
               comment: str | None = None) -> bool:
    """Record an upvote; returns False (and changes nothing) if the user already upvoted it."""
    user = session.get(User, user_id)
    integration = session.get(Integration, integration_id)
    if user is None or integration is None:
        raise NotFound("unknown user or integration")
    if not integration.upvoting_open:
        raise InvalidInput(f"upvoting is closed for {integration.name}")
    exists = session.scalar(select(Upvote.id).where(Upvote.user_id == user_id,
                                                    Upvote.integration_id == integration_id))
    if exists is not None:
        return False
    created_at = created_at or utcnow()
    session.add(Upvote(user_id=user_id, integration_id=integration_id, created_at=created_at, comment=comment))
    _ensure_stat_rows(session, [integration_id])
    _apply(session, integration_id, user.tier_id, user.organization_id, week_of(created_at), +1)
    session.flush()
    return True


def upvoting_closed_at(session: Session) -> dict[int, datetime]:
    """When upvoting closed, by integration id, for every integration whose upvoting is closed.

    Upvoting closes when an integration first becomes Available (services/build/pipeline.py, a
    `status_changes` row) or is marked as already integrated (services/core/integrations.py, audited as
    `integration.existing_changed`); the earlier of the two counts. An integration closed by neither, i.e.
    created already integrated by the catalog, closed when it entered its status (`status_changed_at`).
    Upvotes dated before this moment are history (an import keeps them); after it, none are taken.
    """
    closed = {i: at for i, at in session.execute(select(Integration.id, Integration.status_changed_at)
                                                .where(Integration.upvoting_open.is_(False)))}
    found: dict[int, datetime] = {}
    for iid, at in session.execute(select(StatusChange.integration_id, func.min(StatusChange.created_at))
                                   .where(StatusChange.to_status == "available",
                                          StatusChange.integration_id.in_(list(closed)))
                                   .group_by(StatusChange.integration_id)):
        found[iid] = at
    ids = dict(session.execute(select(Integration.slug, Integration.id).where(Integration.id.in_(list(closed)))).all())
    for slug, after, at in session.execute(
            select(AuditEntry.entity_id, AuditEntry.after, AuditEntry.created_at)
            .where(AuditEntry.action == "integration.existing_changed", AuditEntry.entity_type == "integration",
                   AuditEntry.entity_id.in_(list(ids)))):
        iid = ids[slug]
        if isinstance(after, dict) and after.get("existing") and (iid not in found or at < found[iid]):
            found[iid] = at
    return {iid: found.get(iid) or at or NEVER_OPEN for iid, at in closed.items()}


def remove_upvote(session: Session, *, user_id: int, integration_id: int) -> bool:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    created = session.scalar(delete(Upvote).where(Upvote.user_id == user_id, Upvote.integration_id == integration_id)
                             .returning(Upvote.created_at))
    if created is not None:
        _apply(session, integration_id, user.tier_id, user.organization_id, week_of(created), -1)
    session.flush()
    return created is not None


def move_user(session: Session, *, user_id: int, tier_id: int | None = None,
              organization_id: int | None = None) -> None:
    """Change an upvoter's tier and/or organization, moving their upvotes in the aggregates."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    new_tier = tier_id if tier_id is not None else user.tier_id
    new_org = organization_id if organization_id is not None else user.organization_id
    if (new_tier, new_org) == (user.tier_id, user.organization_id):
        return
    for integration_id in session.scalars(select(Upvote.integration_id).where(Upvote.user_id == user_id)):
        _apply(session, integration_id, user.tier_id, user.organization_id, None, -1)
        _apply(session, integration_id, new_tier, new_org, None, +1)
    user.tier_id, user.organization_id = new_tier, new_org
    session.flush()


def recompute_aggregates(session: Session, integration_ids: Iterable[int] | None = None) -> int:
    """Rebuild the aggregates from the upvotes table (all integrations, or only these)."""
    ids = None if integration_ids is None else sorted(set(integration_ids))
    if ids == []:
        return 0

    def scope(column: InstrumentedAttribute[int]) -> list[ColumnElement[bool]]:
        """The WHERE criteria limiting a statement to `ids` (none: every integration)."""
        return [] if ids is None else [column.in_(ids)]

    for model in (IntegrationStat, IntegrationTierStat, IntegrationOrgStat, IntegrationWeekStat):
        session.execute(delete(model).where(*scope(model.integration_id)))
    all_ids = ids if ids is not None else list(session.scalars(select(Integration.id)))
    session.execute(insert(IntegrationStat), [{"integration_id": i, "upvotes": 0, "organizations": 0}
                                              for i in all_ids])
    dialect = session.get_bind().dialect.name
    joined = (select(Upvote.integration_id, User.tier_id, User.organization_id,
                     week_expr(dialect, Upvote.created_at).label("week"))
              .join(User, User.id == Upvote.user_id).where(*scope(Upvote.integration_id)).subquery())
    c = joined.c
    session.execute(insert(IntegrationOrgStat).from_select(
        ["integration_id", "organization_id", "tier_id", "upvotes"],
        select(c.integration_id, c.organization_id, c.tier_id, func.count())
        .group_by(c.integration_id, c.organization_id, c.tier_id)))
    session.execute(insert(IntegrationWeekStat).from_select(
        ["integration_id", "week", "upvotes"],
        select(c.integration_id, c.week, func.count()).group_by(c.integration_id, c.week)))
    # The smaller tables derive from the organization table rather than scanning upvotes again.
    org = IntegrationOrgStat
    session.execute(insert(IntegrationTierStat).from_select(
        ["integration_id", "tier_id", "upvotes"],
        select(org.integration_id, org.tier_id, func.sum(org.upvotes)).where(*scope(org.integration_id))
        .group_by(org.integration_id, org.tier_id)))
    totals = (select(org.integration_id.label("iid"), func.sum(org.upvotes).label("n"),
                     func.count(func.distinct(org.organization_id)).label("orgs")).where(*scope(org.integration_id)))
    for iid, n, orgs in session.execute(totals.group_by(org.integration_id)).all():
        session.execute(update(IntegrationStat).where(IntegrationStat.integration_id == iid)
                        .values(upvotes=n, organizations=orgs))
    session.flush()
    return len(all_ids)


def ensure_aggregates(session: Session) -> bool:
    """Build the aggregates once for a database that predates them (e.g. after migrating)."""
    missing = list(session.scalars(select(Integration.id).where(
        Integration.id.not_in(select(IntegrationStat.integration_id)))))
    if not missing:
        return False
    recompute_aggregates(session, missing)
    return True
