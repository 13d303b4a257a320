"""Issue 14, PM: the effect of a settings edit before it is saved (rank moves, bucket changes), why each
integration is in its bucket, and the cheap version the Priorities page keys its cached reads on."""

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry
from db.models.ranking import RankingSettings
from services.core.errors import InvalidInput
from services.demand import ranking
from services.demand.planning import move_status
from services.demand.upvote_import import import_upvotes
from services.demand.upvotes import move_user
from tests.ranking_fixtures import History

PM = "pm@layers.example"


@pytest.fixture
def history(session):
    h = History(session)
    h.many("pipedrive", 2, "free")                       # 2 free + 1 enterprise: score 7, Top for its high tier
    h.upvote("pipedrive", "boss@bigco.example", "enterprise", org="BigCo")
    h.many("copper", 4, "pro", orgs=2)                   # score 8, Low
    h.many("zoho-crm", 20, "free", orgs=5)               # score 20, Medium
    h.many("mailgun", 12, "free", orgs=4)                # score 12, Low
    h.many("postmark", 48, "free", orgs=10)              # 48 free + 2 agency: 50 upvotes, Top, score 54
    h.many("postmark", 2, "agency", orgs=2)
    session.commit()
    return h


def counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(AuditEntry)),
            session.scalar(select(func.count()).select_from(RankingSettings)))


def test_preview_lists_rank_moves_side_by_side_and_writes_nothing(session, history):
    before = counts(session)
    demand = ranking.load_demand(session)
    current = ranking.current_settings(session)
    edited = ranking.edited_settings(current, demand.tiers, weights={"enterprise": 20.0})   # pipedrive 2 + 20
    preview = ranking.preview(demand, current, edited)
    moves = {c.slug: (c.old_rank, c.new_rank, c.old_bucket, c.new_bucket) for c in preview.changes}
    assert moves == {"pipedrive": (5, 2, "Top", "Top"), "zoho-crm": (2, 3, "Medium", "Medium"),
                     "mailgun": (3, 4, "Low", "Low"), "copper": (4, 5, "Low", "Low")}
    assert [c.slug for c in preview.changes] == ["pipedrive", "zoho-crm", "mailgun", "copper"]   # new rank order
    pipedrive = preview.changes[0]
    assert (pipedrive.old_score, pipedrive.new_score, pipedrive.moved) == (7.0, 22.0, 3)
    assert preview.buckets_before == preview.buckets_after
    assert counts(session) == before and not session.new and not session.dirty      # nothing written
    assert ranking.current_settings(session).version == 1


def test_preview_shows_bucket_changes_from_thresholds_and_high_tiers(session, history):
    demand = ranking.load_demand(session)
    current = ranking.current_settings(session)
    edited = ranking.edited_settings(current, demand.tiers, top_upvotes=20, medium_upvotes=10,
                                     high_tiers=["agency"])
    changes = {c.slug: (c.old_bucket, c.new_bucket) for c in ranking.preview(demand, current, edited).changes}
    assert changes == {"zoho-crm": ("Medium", "Top"), "mailgun": ("Low", "Medium"), "pipedrive": ("Top", "Low")}
    after = ranking.preview(demand, current, edited).buckets_after
    assert (after["Top"], after["Medium"]) == (2, 1)


def test_an_unchanged_edit_previews_no_change(session, history):
    demand = ranking.load_demand(session)
    current = ranking.current_settings(session)
    same = ranking.edited_settings(current, demand.tiers, weights={"free": 1.0}, top_upvotes=50)
    assert same == current
    assert ranking.preview(demand, current, same).changes == ()


def test_edited_settings_name_the_bad_field(session, history):
    demand = ranking.load_demand(session)
    current = ranking.current_settings(session)
    with pytest.raises(InvalidInput, match="unknown tier 'gold'"):
        ranking.edited_settings(current, demand.tiers, weights={"gold": 2.0})
    with pytest.raises(InvalidInput, match="weight for free"):
        ranking.edited_settings(current, demand.tiers, weights={"free": -1.0})
    with pytest.raises(InvalidInput, match=r"medium threshold \(60\) must not exceed the top threshold"):
        ranking.edited_settings(current, demand.tiers, medium_upvotes=60)
    with pytest.raises(InvalidInput, match="high tiers: unknown tier 'vip'"):
        ranking.edited_settings(current, demand.tiers, high_tiers=["vip"])


def test_rank_from_the_loaded_demand_is_the_ranking(session, history):
    settings = ranking.current_settings(session)
    assert ranking.rank_demand(ranking.load_demand(session), settings) == ranking.rank(session)
    assert (ranking.rank_demand(ranking.load_demand(session), settings, include_built=True)
            == ranking.rank(session, include_built=True))


def test_why_each_integration_is_in_its_bucket(session, history):
    demand = ranking.load_demand(session)
    why = ranking.reasons(demand, ranking.current_settings(session))
    assert why["postmark"] == "50 upvotes (50+), 2 from high-tier users: 2 Agency"
    assert why["pipedrive"] == "1 high-tier user: 1 Enterprise (3 upvotes)"
    assert why["zoho-crm"] == "20 upvotes (20–49)"
    assert why["copper"] == "4 upvotes (under 20)"
    assert why["hubspot"] == "no upvotes"
    both = ranking.reasons(demand, ranking.edited_settings(ranking.current_settings(session), demand.tiers,
                                                           high_tier_min=3))
    assert both["pipedrive"] == "3 upvotes (under 20), 1 from a high-tier user: 1 Enterprise"


def test_data_version_changes_with_every_kind_of_change_and_only_then(session, history):
    version = lambda: ranking.data_version(session)   # noqa: E731
    first = version()
    assert version() == first
    ranking.update_settings(session, actor=PM, actor_role="pm", weights={"free": 2.0})
    session.commit()
    second = version()
    assert second != first
    import_upvotes(session, b"integration,user_email,user_name,organization,tier\n"
                            b"copper,new.one@acme.example,New One,Acme,free\n", actor=PM)
    session.commit()
    third = version()
    assert third != second
    move_status(session, actor=PM, slug="copper", to_status="planned")
    session.commit()
    fourth = version()
    assert fourth != third
    history.upvote("copper", "quiet@quiet.example", "free", org="Quiet Co")     # no audit entry: the sums change
    session.commit()
    assert version() != fourth
    user = history.users["quiet@quiet.example"]
    fifth = version()
    move_user(session, user_id=user.id, tier_id=history.tiers["starter"].id)  # same counts, another tier
    session.commit()
    assert version() != fifth
