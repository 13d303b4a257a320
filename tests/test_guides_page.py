"""The Integration guides page per role (AppTest): list, search, rendered guide, publishing by engineers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from db.models.docs import GuidePublication
from services import demo
from services.build import tracker
from services.core.text import BLANK
from tests.test_pages import signed_in

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


@pytest.fixture
def staffed(session, db_url):
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def open_guides(role: str):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("guides.py").run()
    assert not at.exception, at.exception
    return at


def guide_text(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("role", list(STAFF))
def test_every_role_reads_the_list_and_a_rendered_guide(staffed, role):
    at = open_guides(role)
    assert at.title[0].value == "Integration guides"
    table = at.dataframe[0].value
    assert len(table) == 58 and table["name"].tolist()[0] == "HubSpot"     # the top 10 first
    top10 = table[table["top10"] != BLANK]
    assert top10["top10"].tolist() == [f"#{n}" for n in range(1, 11)], "no literal None beside the ranks"
    assert set(top10["guide"]) == {"ready to publish"}
    assert at.selectbox(key="guide_slug").value == "hubspot"
    text = guide_text(at)
    # the guide sits under the page's own title, so its headings are one level deeper
    assert text.startswith("## HubSpot\n") and "\n### How to connect\n" in text
    assert "\n##### Send email via HubSpot (`send_email`)\n" in text
    assert "Marketing Hub Enterprise" in text
    assert any("Not published (ready to publish)" in w.value for w in at.warning)
    can_publish = role in ("engineer", "admin")
    assert bool([b for b in at.button if b.key == "guide_publish"]) == can_publish


def test_search_and_state_filter(staffed):
    at = open_guides("support")
    at.text_input(key="guide_search").input("automation").run()
    assert at.dataframe[0].value["name"].tolist() == ["n8n", "Make", "Zapier", "Pipedream"]
    at.multiselect(key="guide_state_filter").select("not written").run()
    assert at.dataframe[0].value["name"].tolist() == ["Pipedream"]
    assert at.selectbox(key="guide_slug").value == "pipedream"
    assert "_Not written yet._" in guide_text(at)
    at.text_input(key="guide_search").input("no such thing").run()
    assert at.info[0].value == "No guide matches the search."


def test_engineer_publishes_and_unpublishes_a_guide(staffed):
    at = open_guides("engineer")
    at.selectbox(key="guide_slug").select("calendly").run()
    at.button(key="guide_publish").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Calendly's guide published."
    row = staffed.scalar(select(GuidePublication))
    assert row is not None and row.published_by == STAFF["engineer"]
    assert any("Published by engineer@layers.example" in c.value for c in at.caption)
    guide_item = lambda: next(i for s in tracker.checklist(staffed, "calendly", with_evidence=False)  # noqa: E731
                              for i in s.items if i.key == "docs.guide")
    assert (guide_item().state, guide_item().note) == ("done", "published guide")     # Step 7 follows
    assert at.button(key="guide_publish").label == "Unpublish"
    at.button(key="guide_publish").click().run()
    assert at.success[0].value == "Calendly's guide unpublished."
    staffed.expire_all()
    assert staffed.scalar(select(GuidePublication)) is None
    assert guide_item().state == "open"
    actions = staffed.scalars(select(AuditEntry.action).where(AuditEntry.action.like("guide.%"))).all()
    assert actions == ["guide.published", "guide.unpublished"]


def test_publish_is_disabled_for_a_guide_that_is_not_written(staffed):
    at = open_guides("admin")
    at.selectbox(key="guide_slug").select("pipedrive").run()
    assert at.button(key="guide_publish").disabled
