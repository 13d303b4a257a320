"""The ranking on hand-computed fixtures: weights, ties, buckets, thresholds, built excluded."""

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Integration
from services.core.errors import InvalidInput, PermissionDenied
from services.demand import ranking
from tests.ranking_fixtures import History


@pytest.fixture
def history(session):
    h = History(session)
    # pipedrive: 2 free + 1 enterprise -> score 2*1 + 5 = 7, upvotes 3, Top (high tier)
    h.many("pipedrive", 2, "free")
    h.upvote("pipedrive", "boss@bigco.example", "enterprise", org="BigCo")
    # copper: 4 pro -> score 8, upvotes 4, Low
    h.many("copper", 4, "pro", orgs=2)
    # zoho-crm: 20 free -> score 20, Medium
    h.many("zoho-crm", 20, "free", orgs=5)
    # klaviyo: 8 starter -> score 12 ... and convertkit 12 free -> score 12 (tie on score)
    h.many("klaviyo", 8, "starter", orgs=3)
    h.many("convertkit", 12, "free", orgs=1)
    # mailgun: 12 free over 4 orgs -> same score and upvotes as convertkit, more organizations
    h.many("mailgun", 12, "free", orgs=4)
    # postmark: 50 free -> Top by upvotes
    h.many("postmark", 50, "free", orgs=10)
    session.commit()
    return h


def by_slug(rows):
    return {r.slug: r for r in rows}


def test_scores_buckets_and_counts_are_exact(session, history):
    rows = by_slug(ranking.rank(session))
    assert (rows["pipedrive"].score, rows["pipedrive"].upvotes, rows["pipedrive"].bucket) == (7.0, 3, "Top")
    assert rows["pipedrive"].high_tier_users == 1 and rows["pipedrive"].organizations == 2
    assert (rows["copper"].score, rows["copper"].bucket, rows["copper"].organizations) == (8.0, "Low", 2)
    assert (rows["zoho-crm"].score, rows["zoho-crm"].bucket, rows["zoho-crm"].organizations) == (20.0, "Medium", 5)
    assert rows["klaviyo"].score == 12.0 and rows["klaviyo"].users == 8
    assert (rows["postmark"].score, rows["postmark"].bucket) == (50.0, "Top")
    assert rows["hubspot"].upvotes == 0 and rows["hubspot"].bucket == "Low"


def test_order_score_then_upvotes_then_organizations_then_slug(session, history):
    order = [r.slug for r in ranking.rank(session) if r.upvotes]
    # 50 > 20 > 12 (mailgun: 12 upvotes, 4 orgs; convertkit: 12 upvotes, 1 org; klaviyo: 8 upvotes) > 8 > 7
    assert order == ["postmark", "zoho-crm", "mailgun", "convertkit", "klaviyo", "copper", "pipedrive"]
    ranks = [r.rank for r in ranking.rank(session)]
    assert ranks == list(range(1, len(ranks) + 1))
    zero = [r.slug for r in ranking.rank(session) if not r.upvotes]
    assert zero == sorted(zero)   # all tied at 0: slug ascending


def test_all_weights_one_makes_score_the_upvote_count(session, history):
    ranking.update_settings(session, actor="pm@layers.example", actor_role="pm",
                            weights={t: 1 for t in ("free", "starter", "pro", "agency", "enterprise")})
    for row in ranking.rank(session):
        assert row.score == row.upvotes


def test_thresholds_and_high_tiers_change_buckets_and_version(session, history):
    before = ranking.current_settings(session).version
    new = ranking.update_settings(session, actor="pm@layers.example", actor_role="pm", top_upvotes=20,
                                  medium_upvotes=10, high_tiers=["agency"])
    assert new.version == before + 1
    rows = by_slug(ranking.rank(session))
    assert rows["zoho-crm"].bucket == "Top"          # 20 >= 20
    assert rows["pipedrive"].bucket == "Low"         # enterprise no longer high; 3 upvotes
    assert rows["pipedrive"].high_tier_users == 0
    assert rows["convertkit"].bucket == "Medium"     # 12 >= 10
    assert all(r.settings_version == new.version for r in rows.values())
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "ranking.settings_changed"))
    assert entry.before["top_upvotes"] == 50 and entry.after["top_upvotes"] == 20
    assert entry.actor == "pm@layers.example"


def test_high_tier_minimum_is_a_setting(session, history):
    ranking.update_settings(session, actor="a@layers.example", actor_role="admin", high_tier_min=2)
    assert by_slug(ranking.rank(session))["pipedrive"].bucket == "Low"


def test_built_integrations_are_excluded_unless_asked(session, history):
    row = session.scalar(select(Integration).where(Integration.slug == "postmark"))
    row.status = "available"
    session.commit()
    assert "postmark" not in by_slug(ranking.rank(session))
    assert "stripe" not in by_slug(ranking.rank(session))          # existing
    everything = by_slug(ranking.rank(session, include_built=True))
    assert everything["postmark"].built and everything["postmark"].rank == 1
    assert everything["stripe"].built


def test_weight_change_reorders(session, history):
    ranking.update_settings(session, actor="pm@layers.example", actor_role="pm", weights={"enterprise": 100})
    assert ranking.rank(session)[0].slug == "pipedrive"             # 2 + 100 = 102


def test_settings_refuse_other_roles_and_bad_values(session, history):
    with pytest.raises(PermissionDenied):
        ranking.update_settings(session, actor="s@layers.example", actor_role="support", weights={"free": 2})
    with pytest.raises(InvalidInput, match="unknown tier 'gold'"):
        ranking.update_settings(session, actor="p@layers.example", actor_role="pm", weights={"gold": 2})
    with pytest.raises(InvalidInput, match="weight for free"):
        ranking.update_settings(session, actor="p@layers.example", actor_role="pm", weights={"free": -1})
    with pytest.raises(InvalidInput, match="must not exceed"):
        ranking.update_settings(session, actor="p@layers.example", actor_role="pm", medium_upvotes=60)
    assert ranking.current_settings(session).version == 1


def test_unchanged_settings_make_no_new_version(session, history):
    same = ranking.update_settings(session, actor="p@layers.example", actor_role="pm", top_upvotes=50)
    assert same.version == 1


def test_score_by_tier_splits_the_score(session, history):
    rows = ranking.score_by_tier(session, ["pipedrive"])
    assert sorted((r["tier"], r["upvotes"], r["score"]) for r in rows) == [("enterprise", 1, 5.0), ("free", 2, 2.0)]


def test_weekly_chart_marks_the_current_week_as_partial():
    """Issue 14, pages 8: the week in progress looked like a collapse; it is drawn apart (dotted, shaded, named)."""
    from datetime import date

    import pandas as pd

    from services.demand import charts

    weeks = pd.to_datetime(["2026-10-12", "2026-10-19", "2026-10-26", "2026-10-12", "2026-10-19", "2026-10-26"])
    frame = pd.DataFrame({"week": weeks, "integration": ["Zoho CRM"] * 3 + ["Copper"] * 3,
                          "upvotes": [40, 42, 6, 10, 12, 1]})
    fig = charts.weekly_upvotes(frame, today=date(2026, 10, 27))        # a Tuesday: 2 of the week's 7 days
    solid = [t for t in fig.data if not (t.line.dash or "").startswith("dot")]
    dotted = [t for t in fig.data if (t.line.dash or "") == "dot"]
    assert {t.name for t in solid} == {"Zoho CRM", "Copper"}
    assert all(pd.Timestamp(max(t.x)) == pd.Timestamp("2026-10-19") for t in solid)   # complete weeks only
    assert sorted(list(t.y) for t in dotted) == [[12, 1], [42, 6]]                    # the last step, dotted
    assert any("so far" in a.text and "2 of 7 days" in a.text for a in fig.layout.annotations)
    assert fig.layout.shapes                                                           # the week shaded
    # a week that ended is complete: nothing dotted
    assert not [t for t in charts.weekly_upvotes(frame, today=date(2026, 11, 20)).data if t.line.dash == "dot"]
    assert charts.weekly_upvotes(frame.iloc[0:0], today=date(2026, 10, 27)).data == ()
