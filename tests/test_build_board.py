"""Read side of the tracker: board progress, burn-up from the history, the chart, the demo's state."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from db.models import Notification, Upvote
from db.models.build import ChecklistEvent
from services import demo
from services.build import board, pipeline, tracker
from services.build import charts as build_charts
from services.build.evidence import GUIDE_ITEMS
from services.demo import tracker as tracker_demo
from tests.build_fixtures import ENGINEER, add_staff


def test_board_progress_counts_applicable_items_and_reviews(session):
    add_staff(session)
    frame = board.board_frame(session).set_index("slug")
    assert len(frame) == 58
    assert (frame.loc["salesforce", "done"], frame.loc["salesforce", "applicable"]) == (0, 62)  # no API-key items
    assert frame.loc["activecampaign", "applicable"] == 2          # review: API key, no OAuth review
    tracker.tick(session, actor=ENGINEER, slug="salesforce", key="research.review_api_docs")
    tracker.mark_not_applicable(session, actor=ENGINEER, slug="salesforce", key="research.rate_limits", reason="x")
    tracker.add_finding(session, actor=ENGINEER, slug="github", severity="critical", finding="Token leak in logs")
    frame = board.board_frame(session).set_index("slug")
    assert (frame.loc["salesforce", "done"], frame.loc["salesforce", "applicable"]) == (1, 61)
    assert frame.loc["salesforce", "progress"] == 1 / 61
    assert (frame.loc["github", "open_findings"], frame.loc["github", "worst_finding"]) == (1, "critical")


def test_burn_up_follows_ticks_and_unticks_per_day(session):
    add_staff(session)
    days = [datetime(2026, 10, d, 12, tzinfo=UTC) for d in (1, 1, 2, 3)]
    moves = [("todo", "done"), ("todo", "done"), ("todo", "done"), ("done", "todo")]
    hubspot = tracker.get_integration(session, "hubspot")
    for at, (a, b) in zip(days, moves, strict=True):
        session.add(ChecklistEvent(integration_id=hubspot.id, item_key="research.rate_limits", from_state=a,
                                   to_state=b, actor=ENGINEER, created_at=at))
    session.flush()
    frame = board.burnup_frame(session, ["hubspot"])
    assert frame["completed"].tolist() == [2, 1, -1] and frame["done"].tolist() == [2, 3, 2]
    assert set(frame["scope"]) == {67}
    assert board.burnup_frame(session, ["salesforce"]).empty
    figure = build_charts.burnup(frame)
    assert [t.name for t in figure.data] == ["done", "scope (applicable items)"]
    assert list(figure.data[0].y) == [2, 3, 2]
    assert build_charts.burnup(board.burnup_frame(session, ["salesforce"])).layout.annotations


def test_history_lists_ticks_moves_and_findings_newest_first(session):
    add_staff(session)
    tracker.tick(session, actor=ENGINEER, slug="hubspot", key="research.rate_limits", note="429 every 10 s")
    frame = board.history_frame(session, "hubspot")
    assert frame.loc[0, "what"] == "ticked “Identify rate limits and usage quotas”"
    assert frame.loc[0, "note"] == "429 every 10 s" and frame.loc[0, "who"] == ENGINEER


def test_demo_has_owners_history_reviews_and_one_announced_integration(session):
    demo.seed_demo(session, orgs=15, upvotes=1200, seed=3, as_of=date(2026, 11, 1))
    frame = board.board_frame(session).set_index("slug")
    assert frame.loc["hubspot", "owner"] == "engineer@layers.example"
    assert frame.loc["mailchimp", "target_date"] == date(2026, 10, 30)
    # Postmark has no guide: Step 7's guide items stay open and an admin overrode the gate (shown, audited).
    assert frame.loc["postmark", "status"] == "available" and frame.loc["postmark", "progress"] < 1.0
    override = pipeline.last_override(session, "postmark")
    assert override.override_reason == tracker_demo.SHIPPED_OVERRIDE and set(override.skipped) == set(GUIDE_ITEMS)
    assert frame.loc["github", "open_findings"] == 1
    assert not board.burnup_frame(session).empty
    postmark = tracker.get_integration(session, "postmark")
    upvoters = session.scalar(select(func.count()).select_from(Upvote).where(Upvote.integration_id == postmark.id))
    assert upvoters > 0 and postmark.upvoting_open is False
    pending = select(func.count()).select_from(Notification).where(Notification.integration_id == postmark.id,
                                                                   Notification.status == "pending")
    assert session.scalar(pending) == upvoters


def test_catalog_checklist_percent_is_the_trackers_progress(session):
    """Issue 14, pages 5: the catalog's Checklist % counted not-applicable items as done (Zapier 18% while the
    tracker said 0/55). Both read one definition: items done / items that apply, of the list that applies."""
    add_staff(session)
    tracker.mark_not_applicable(session, actor=ENGINEER, slug="salesforce", key="research.rate_limits", reason="x")
    catalog = board.integrations_frame(session).set_index("slug")
    tracked = board.board_frame(session).set_index("slug")
    for slug in tracked.index:
        assert catalog.loc[slug, "checklist_pct"] == round(100 * tracked.loc[slug, "progress"]), slug
    assert catalog.loc["salesforce", "checklist_pct"] == 0        # nothing done: not-applicable is not done
    assert catalog.loc["activecampaign", "checklist_pct"] == 0    # an existing integration: its review list
    for key in ("research.review_api_docs", "research.identify_auth"):
        tracker.tick(session, actor=ENGINEER, slug="salesforce", key=key)
    catalog = board.integrations_frame(session).set_index("slug")
    assert catalog.loc["salesforce", "checklist_pct"] == round(100 * 2 / 61)
