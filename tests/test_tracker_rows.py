"""Build tracker (issue 14, engineer): evidence is added on the item's own row while ticking it, and the status
panel offers only the moves that can be made, with what blocks the others listed per step."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.models import ChecklistItem, Integration
from services import demo
from services.build import pipeline, tracker
from tests.build_fixtures import complete_steps
from tests.sign_in_support import signed_in_app

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}
KEY = "research.review_api_docs"


@pytest.fixture
def staffed(session, db_url):
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def opened(role: str, slug: str = "hubspot") -> AppTest:
    at = signed_in_app(STAFF[role])
    at.switch_page("tracker.py").run()
    at.session_state["tracker_view"] = "Integration"
    at.session_state["tracker_slug"] = slug
    at.run()
    assert not at.exception, at.exception
    return at


def open_form(at: AppTest, slug: str = "hubspot", key: str = KEY) -> AppTest:
    """The item row's Note button: its form opens under the row."""
    at.button(key=f"evidence:{slug}:{key}").click().run()
    assert not at.exception, at.exception
    return at


def stored(session, slug: str, key: str) -> ChecklistItem:
    session.expire_all()
    return session.scalar(select(ChecklistItem).join(Integration)
                          .where(Integration.slug == slug, ChecklistItem.key == key))


def set_status(session, slug: str, status: str) -> None:
    session.scalar(select(Integration).where(Integration.slug == slug)).status = status
    session.commit()


# ---- item 1: evidence on the item's row -------------------------------------------------------------------------

def test_an_item_is_ticked_with_its_note_and_link_from_its_own_row(staffed):
    at = opened("engineer")
    assert not [s for s in at.selectbox if s.key == "form_item_hubspot"]       # the 64-item dropdown is gone
    assert not [t for t in at.text_input if t.key and t.key.startswith("note:")]    # no form until asked
    open_form(at)
    at.text_input(key=f"note:hubspot:{KEY}").input("Read the v3 CRM docs")
    at.text_input(key=f"link:hubspot:{KEY}").input("https://github.com/layers/hub/pull/12")
    at.button(key=f"tick_with:hubspot:{KEY}").click().run()
    assert not at.exception, at.exception
    row = stored(staffed, "hubspot", KEY)
    assert (row.state, row.note, row.link) == ("done", "Read the v3 CRM docs", "https://github.com/layers/hub/pull/12")
    assert at.checkbox(key=f"item:hubspot:{KEY}").value
    assert not [t for t in at.text_input if t.key and t.key.startswith("note:")]    # saved: the form closed
    assert at.button(key=f"evidence:hubspot:{KEY}").label == "Edit note"
    assert any("“Read the v3 CRM docs”" in c.value and "[link](https://github.com/layers/hub/pull/12)" in c.value
               for c in at.caption)


def test_a_ticked_item_keeps_its_tick_when_its_note_is_edited(staffed):
    tracker.tick(staffed, actor=STAFF["engineer"], slug="hubspot", key=KEY)
    staffed.commit()
    at = opened("engineer")
    open_form(at)
    assert at.text_input(key=f"note:hubspot:{KEY}").value == ""
    at.text_input(key=f"note:hubspot:{KEY}").input("second look")
    at.button(key=f"tick_with:hubspot:{KEY}").click().run()
    assert not at.exception, at.exception
    row = stored(staffed, "hubspot", KEY)
    assert (row.state, row.note) == ("done", "second look")


def test_a_bad_link_names_the_field_beside_the_item_and_ticks_nothing(staffed):
    at = opened("engineer")
    open_form(at)
    at.text_input(key=f"link:hubspot:{KEY}").input("ftp://files.example/x")
    at.button(key=f"tick_with:hubspot:{KEY}").click().run()
    assert not at.exception, at.exception
    assert any(e.value.startswith("link:") for e in at.error)
    assert stored(staffed, "hubspot", KEY).state == "todo"
    assert at.text_input(key=f"link:hubspot:{KEY}").value == "ftp://files.example/x"   # still open to correct


def test_an_item_is_marked_not_applicable_and_reopened_from_its_row(staffed):
    at = opened("engineer")
    open_form(at)
    at.button(key=f"na:hubspot:{KEY}").click().run()                          # no reason: refused, named
    assert any("reason" in e.value for e in at.error)
    assert stored(staffed, "hubspot", KEY).state == "todo"
    at.text_input(key=f"reason:hubspot:{KEY}").input("Docs are the RFC")
    at.button(key=f"na:hubspot:{KEY}").click().run()
    assert not at.exception, at.exception
    row = stored(staffed, "hubspot", KEY)
    assert (row.state, row.na_reason) == ("not_applicable", "Docs are the RFC")
    at.button(key=f"reopen:hubspot:{KEY}").click().run()
    assert stored(staffed, "hubspot", KEY).state == "todo"


def test_read_only_roles_get_no_evidence_inputs(staffed):
    at = opened("leadership")
    assert not [b for b in at.button if b.key and b.key.startswith(("evidence:", "reopen:"))]


# ---- item 2: reachable targets, blocked ones with their reasons per step ----------------------------------------

def test_targets_say_which_moves_are_reachable_and_what_blocks_the_others(staffed):
    set_status(staffed, "hubspot", "planned")
    integration = tracker.get_integration(staffed, "hubspot")
    targets = {t.status: t for t in pipeline.targets(staffed, integration)}
    assert list(targets) == ["requested", "building", "testing", "available"]
    assert targets["requested"].reachable and not targets["requested"].forward
    assert not targets["building"].reachable
    assert [m.key for m in targets["building"].missing][0] == KEY
    lines = pipeline.missing_by_step(targets["testing"].missing)
    assert lines[0].startswith("Step 1 · Research & Documentation: 5 items open: Review integration's API "
                               "documentation; ")
    assert lines[1].startswith("Step 2 · Node Configuration Schema: 5 items open:")
    assert len(lines) == 5
    complete_steps(staffed, "hubspot", {1})
    targets = {t.status: t for t in pipeline.targets(staffed, integration)}
    assert targets["building"].reachable and targets["building"].forward


def test_missing_by_step_says_one_item_and_not_done_for_a_lapsed_guide():
    lines = pipeline.missing_by_step([
        pipeline.MissingItem("docs.guide", 7, "Documentation", "Write integration guide (ticked, but the guide "
                                                                "is incomplete)", open=False),
        pipeline.MissingItem("testing.e2e", 8, "Testing checklist", "End-to-end test")])
    assert lines == ["Step 7 · Documentation: 1 item not done: Write integration guide (ticked, but the guide "
                     "is incomplete)", "Testing checklist: 1 item open: End-to-end test"]


def test_an_engineer_is_offered_only_reachable_moves_and_sees_the_blocked_ones_with_reasons(staffed):
    set_status(staffed, "hubspot", "planned")
    at = opened("engineer")
    chooser = at.selectbox(key="move_to_hubspot")
    assert chooser.options == ["requested"] and chooser.value is None          # nothing forward is reachable
    assert not [b for b in at.button if b.key == "move_hubspot"]
    blocked = {e.label: e for e in at.expander if "blocked" in e.label}
    assert list(blocked) == ["building is blocked: 5 items open", "testing is blocked: 38 items open",
                             "available is blocked: 64 items open"], list(blocked)
    first = next(iter(blocked.values()))
    assert any("Step 1 · Research & Documentation: 5 items open: Review integration's API documentation" in m.value
               for m in first.markdown)

    complete_steps(staffed, "hubspot", {1})
    staffed.commit()
    at.run()
    assert at.selectbox(key="move_to_hubspot").options == ["requested", "building"]
    assert at.selectbox(key="move_to_hubspot").value == "building"
    assert not at.button(key="move_hubspot").disabled
    at.button(key="move_hubspot").click().run()
    assert not at.exception, at.exception
    staffed.expire_all()
    assert staffed.scalar(select(Integration.status).where(Integration.slug == "hubspot")) == "building"


def test_an_admin_may_still_choose_a_blocked_move_with_an_override(staffed):
    set_status(staffed, "hubspot", "planned")
    at = opened("admin")
    chooser = at.selectbox(key="move_to_hubspot")
    assert chooser.options == ["requested", "building", "testing", "available"]
    assert chooser.value == "building"
    assert "Step 1 · Research & Documentation: 5 items open:" in at.error[0].value
    assert at.button(key="move_hubspot").disabled


def test_an_available_integration_offers_deprecation_and_nothing_blocked(staffed):
    set_status(staffed, "hubspot", "available")
    at = opened("engineer")
    chooser = at.selectbox(key="move_to_hubspot")
    assert chooser.options == ["deprecated"] and chooser.value is None
    assert not [e for e in at.expander if "blocked" in e.label]
    assert not [i for i in at.info if "No forward move" in i.value]
    chooser.select("deprecated").run()
    assert at.button(key="move_hubspot").disabled                     # until the deprecation is confirmed
    at.checkbox(key="confirm_hubspot_deprecated").check().run()
    at.button(key="move_hubspot").click().run()
    assert not at.exception, at.exception
    staffed.expire_all()
    assert staffed.scalar(select(Integration.status).where(Integration.slug == "hubspot")) == "deprecated"
