"""The Build tracker page per role (AppTest): who may tick and move, what everyone sees."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.models import ChecklistItem, Integration, Notification
from services import demo
from services.build import pipeline, tracker
from tests.build_fixtures import add_upvoters, complete_steps
from tests.sign_in_support import signed_in_app

HUB = "../pages/hub.py"
STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


@pytest.fixture
def staffed(session, db_url):
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def signed_in(role: str, **state: object) -> AppTest:
    at = signed_in_app(STAFF[role])
    at.switch_page("tracker.py").run()
    for key, value in state.items():
        at.session_state[key] = value
    if state:
        at.run()
    assert not at.exception, at.exception
    return at


def item_state(session, slug: str, key: str) -> str:
    session.expire_all()
    return session.scalar(select(ChecklistItem.state).join(Integration)
                          .where(Integration.slug == slug, ChecklistItem.key == key))


def test_support_cannot_open_the_tracker(staffed):
    at = signed_in_app(STAFF["support"])
    with pytest.raises(ValueError):
        at.switch_page("tracker.py")


def test_board_shows_cards_per_status_with_progress_and_filters(staffed):
    staffed.scalar(select(Integration).where(Integration.slug == "hubspot")).status = "building"
    tracker.set_plan(staffed, actor=STAFF["engineer"], slug="hubspot", owner=STAFF["engineer"], target_date=None)
    staffed.commit()
    at = signed_in("engineer")
    assert at.title[0].value == "Build tracker"
    assert "**Building** · 1" in [m.value for m in at.markdown]
    assert any("**HubSpot**" in m.value for m in at.markdown)
    assert any("Erik Lindqvist" in c.value and "no target date" in c.value for c in at.caption)
    assert at.button(key="open_hubspot")
    at.multiselect(key="board_bucket").select("Top").run()          # no upvotes here: HubSpot is Low
    assert "**Building** · 0" in [m.value for m in at.markdown]
    at.multiselect(key="board_bucket").unselect("Top").select("Low").run()
    assert "**Building** · 1" in [m.value for m in at.markdown]
    at.multiselect(key="board_category").select("Payments").run()
    assert "**Building** · 0" in [m.value for m in at.markdown]


def test_engineer_ticks_and_unticks_an_item(staffed):
    at = signed_in("engineer", tracker_view="Integration", tracker_slug="hubspot")
    box = at.checkbox(key="item:hubspot:research.review_api_docs")
    assert not box.value and not box.disabled
    box.check().run()
    assert not at.exception, at.exception
    assert item_state(staffed, "hubspot", "research.review_api_docs") == "done"
    assert at.checkbox(key="item:hubspot:research.review_api_docs").value
    assert any("Erik" in c.value or STAFF["engineer"] in c.value for c in at.caption)
    at.checkbox(key="item:hubspot:research.review_api_docs").uncheck().run()
    assert item_state(staffed, "hubspot", "research.review_api_docs") == "todo"


@pytest.mark.parametrize("role", ["pm", "leadership"])
def test_pm_and_leadership_see_the_checklist_read_only(staffed, role):
    at = signed_in(role, tracker_view="Integration", tracker_slug="hubspot")
    assert "Read-only for your role" in " ".join(c.value for c in at.caption)
    boxes = [b for b in at.checkbox if b.key and b.key.startswith("item:hubspot:")]
    assert len(boxes) == 67 and all(b.disabled for b in boxes)
    assert not [b for b in at.button if b.key and b.key.startswith("move_")]     # no status actions
    assert any("no evidence yet" in c.value for c in at.caption)


def test_engineer_sees_what_a_move_needs_and_cannot_skip_it(staffed):
    staffed.scalar(select(Integration).where(Integration.slug == "hubspot")).status = "planned"
    staffed.commit()
    at = signed_in("engineer", tracker_view="Integration", tracker_slug="hubspot")
    # building is not offered (issue 14): it is shown as blocked, with its open items per step
    assert at.selectbox(key="move_to_hubspot").options == ["requested"]
    assert at.selectbox(key="move_to_hubspot").value is None
    blocked = next(e for e in at.expander if e.label == "building is blocked: 5 items open")
    assert "Step 1 · Research & Documentation: 5 items open: Review integration's API documentation" in \
        blocked.markdown[0].value
    assert not [b for b in at.button if b.key == "move_hubspot"]
    assert not [t for t in at.text_input if t.key and t.key.startswith("override_")]   # admins only


def test_admin_overrides_with_a_reason_and_it_is_shown(staffed):
    staffed.scalar(select(Integration).where(Integration.slug == "hubspot")).status = "planned"
    staffed.commit()
    at = signed_in("admin", tracker_view="Integration", tracker_slug="hubspot")
    at.text_input(key="override_hubspot_building").input("Research is in the RFC").run()
    at.button(key="move_hubspot").click().run()
    assert not at.exception, at.exception
    staffed.expire_all()
    assert staffed.scalar(select(Integration.status).where(Integration.slug == "hubspot")) == "building"
    assert "HubSpot is now building" in at.success[0].value
    assert "admin override: “Research is in the RFC”" in at.warning[0].value


def test_available_previews_recipients_and_needs_confirmation(staffed):
    add_upvoters(staffed, "calendly", 3)
    staffed.scalar(select(Integration).where(Integration.slug == "calendly")).status = "testing"
    complete_steps(staffed, "calendly", set(range(1, 9)), actor=STAFF["engineer"],
                   skip=set(pipeline.DONE_BY_AVAILABLE))
    staffed.commit()
    at = signed_in("engineer", tracker_view="Integration", tracker_slug="calendly")
    assert at.selectbox(key="move_to_calendly").value == "available"
    recipients = [d.value for d in at.dataframe if "upvoted_at" in d.value.columns]
    assert len(recipients) == 1 and recipients[0]["email"].str.startswith("fan").sum() == 3
    assert at.button(key="move_calendly").disabled
    at.checkbox(key="confirm_calendly_available").check().run()
    at.button(key="move_calendly").click().run()
    assert not at.exception, at.exception
    assert "3 notifications are in the outbox" in at.success[0].value
    staffed.expire_all()
    assert staffed.scalar(select(func.count()).select_from(Notification)) == 3
    at.session_state["tracker_view"] = "Announcements"
    at.run()
    assert at.metric[0].value == "3" and at.dataframe[0].value["status"].tolist() == ["pending"] * 3


def test_existing_integration_shows_review_and_findings(staffed):
    tracker.add_finding(staffed, actor=STAFF["engineer"], slug="activecampaign", severity="high",
                        finding="Date custom fields are sent as text")
    staffed.commit()
    at = signed_in("engineer", tracker_view="Integration", tracker_slug="activecampaign")
    assert [e.label for e in at.expander if e.label.startswith("Existing integration review")]
    assert any("Date custom fields are sent as text" in m.value for m in at.markdown)
    at.text_area[0].input("Apply tag is silent on duplicates")
    at.form_submit_button[-1].click().run()
    assert not at.exception, at.exception
    assert len(tracker.findings(staffed, "activecampaign")) == 2


def test_progress_view_draws_the_burn_up(staffed):
    tracker.tick(staffed, actor=STAFF["engineer"], slug="hubspot", key="research.review_api_docs")
    staffed.scalar(select(Integration).where(Integration.slug == "hubspot")).status = "building"
    staffed.commit()
    at = signed_in("leadership", tracker_view="Progress")
    assert at.multiselect(key="progress_integrations").value == ["hubspot"]
    assert at.get("plotly_chart")
    assert at.dataframe[0].value["done"].tolist() == [1]


def test_engineer_sends_the_outbox_after_confirming_and_leadership_cannot(staffed, monkeypatch):
    from services.build import notifications
    from tests.fake_smtp import FakeSMTP

    add_upvoters(staffed, "hubspot", 3)
    notifications.enqueue_for_upvoters(staffed, tracker.get_integration(staffed, "hubspot"))
    staffed.commit()
    with FakeSMTP() as smtp:
        monkeypatch.setenv("SMTP_URL", smtp.url)
        at = signed_in("leadership", tracker_view="Announcements")
        assert not [b for b in at.button if b.key == "send_notifications"]
        at = signed_in("engineer", tracker_view="Announcements")
        assert at.button(key="send_notifications").disabled
        at.checkbox(key="confirm_send").check().run()
        at.button(key="send_notifications").click().run()
        assert not at.exception, at.exception
        assert "Sent 3, failed 0" in at.success[0].value
        assert len(smtp.messages) == 3 and at.metric[2].value == "3"
        assert not [b for b in at.button if b.key == "send_notifications"]     # nothing left to send


def test_progress_table_shows_no_literal_none(staffed):
    """Issue 14, pages 8: an integration without a target date read "None" in the Progress table."""
    at = signed_in("engineer", tracker_view="Progress")
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    assert "target_date" in frame.columns
    assert not frame.isna().any().any(), frame.columns[frame.isna().any()].tolist()
