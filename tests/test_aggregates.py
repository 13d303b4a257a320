"""The ranking aggregates always equal a from-scratch recomputation (hypothesis)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, distinct, func, select

from db.models import Integration, Organization, Tier, Upvote, User
from db.models.ranking import IntegrationOrgStat, IntegrationStat, IntegrationTierStat, IntegrationWeekStat
from services.demand import upvotes
from services.demand.upvote_import import import_upvotes

SLUGS = ["pipedrive", "copper", "zoho-crm", "klaviyo"]
TIERS = ["free", "starter", "pro", "agency", "enterprise"]
N_USERS, N_ORGS = 6, 3

ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, N_USERS - 1), st.sampled_from(SLUGS)),
    st.tuples(st.just("remove"), st.integers(0, N_USERS - 1), st.sampled_from(SLUGS)),
    st.tuples(st.just("tier"), st.integers(0, N_USERS - 1), st.sampled_from(TIERS)),
    st.tuples(st.just("org"), st.integers(0, N_USERS - 1), st.integers(0, N_ORGS - 1)),
    st.tuples(st.just("import"), st.integers(0, N_USERS + 1), st.sampled_from(SLUGS), st.sampled_from(TIERS),
              st.integers(0, N_ORGS), st.sampled_from(["2026-03-01T23:30:00-05:00", "2026-03-02T00:10:00Z",
                                                        "2026-02-28", ""])),
), max_size=25)


def expected(session):
    """Aggregates computed directly from upvotes + users, independent of services/upvotes.py."""
    base = select(Upvote.integration_id, User.tier_id, User.organization_id).join(User).subquery()
    tiers = {(i, t): n for i, t, n in session.execute(
        select(base.c.integration_id, base.c.tier_id, func.count()).group_by(base.c.integration_id, base.c.tier_id))}
    orgs = {(i, o, t): n for i, o, t, n in session.execute(
        select(base.c.integration_id, base.c.organization_id, base.c.tier_id, func.count())
        .group_by(base.c.integration_id, base.c.organization_id, base.c.tier_id))}
    weeks: dict = {}
    for i, created in session.execute(select(Upvote.integration_id, Upvote.created_at)):
        key = (i, upvotes.week_of(created))
        weeks[key] = weeks.get(key, 0) + 1
    totals = {i: (n, d) for i, n, d in session.execute(
        select(base.c.integration_id, func.count(), func.count(distinct(base.c.organization_id)))
        .group_by(base.c.integration_id))}
    return tiers, orgs, totals, weeks


def actual(session):
    tiers = {(s.integration_id, s.tier_id): s.upvotes for s in session.scalars(select(IntegrationTierStat))
             if s.upvotes}
    orgs = {(s.integration_id, s.organization_id, s.tier_id): s.upvotes
            for s in session.scalars(select(IntegrationOrgStat))}
    weeks = {(s.integration_id, s.week): s.upvotes for s in session.scalars(select(IntegrationWeekStat))}
    totals = {s.integration_id: (s.upvotes, s.organizations) for s in session.scalars(select(IntegrationStat))
              if s.upvotes or s.organizations}
    return tiers, orgs, totals, weeks


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_aggregates_match_recomputation_after_random_changes(session, ops):
    session.execute(delete(Upvote))
    session.execute(delete(User))
    session.execute(delete(Organization))
    upvotes.recompute_aggregates(session)
    tier_ids = {t.slug: t.id for t in session.scalars(select(Tier))}
    integrations = {i.slug: i.id for i in session.scalars(select(Integration).where(Integration.slug.in_(SLUGS)))}
    orgs = [Organization(name=f"Org {n}", tier_id=tier_ids["free"]) for n in range(N_ORGS)]
    session.add_all(orgs)
    session.flush()
    users = [User(email=f"u{n}@example.com", name=f"U{n}", organization_id=orgs[n % N_ORGS].id,
                  tier_id=tier_ids[TIERS[n % 5]]) for n in range(N_USERS)]
    session.add_all(users)
    session.flush()
    for op in ops:
        kind = op[0]
        if kind == "add":
            upvotes.add_upvote(session, user_id=users[op[1]].id, integration_id=integrations[op[2]])
        elif kind == "remove":
            upvotes.remove_upvote(session, user_id=users[op[1]].id, integration_id=integrations[op[2]])
        elif kind == "tier":
            upvotes.move_user(session, user_id=users[op[1]].id, tier_id=tier_ids[op[2]])
        elif kind == "org":
            upvotes.move_user(session, user_id=users[op[1]].id, organization_id=orgs[op[2]].id)
        else:  # a one-row import; may create a user or an organization, or move an existing user
            _, n, slug, tier, org, when = op
            csv = ("integration,user_email,organization,tier,created_at\n"
                   f"{slug},u{n}@example.com,Org {org},{tier},{when}\n")
            import_upvotes(session, csv, actor="test")
        session.expire_all()
        assert actual(session) == expected(session), f"after {op}"
    upvotes.recompute_aggregates(session)
    session.expire_all()
    assert actual(session) == expected(session), "after a full rebuild"
    session.rollback()
