"""The Success criteria page per role (AppTest): leadership's home, numbers, lists, period, forecast, CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.base import utcnow
from services import demo
from services.people import roles
from tests.success_fixtures import known_pace
from tests.test_pages import signed_in

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


@pytest.fixture
def staffed(session, db_url):
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def frame_with(at, column: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def test_leadership_lands_on_the_success_criteria(staffed):
    at = signed_in("leadership")
    assert roles.HOME["leadership"] == "success"
    assert at.title[0].value == "Success criteria"
    values = metrics(at)
    assert values["The seed's list"] == "0 / 10" and values["Demand top 10"] == "0 / 10"
    assert values["30 integrations Available"] == "—"          # no history: no forecast date
    assert values["Available integrations (target 30)"] == "11 / 30"   # built before the Hub
    assert values["nothing to measure yet"] == "n/a"                   # nobody planned anything yet
    # criterion 3 counts integrations (the 11 built before the Hub: ActiveCampaign's actions all run)
    assert values["Available integrations whose actions all run"].endswith("/ 11")
    assert any(c.value == "No integration was planned in the last 90 days." for c in at.caption)
    assert any("Not enough history yet" in i.value for i in at.info)
    assert [t.label.split(" · ")[0] for t in at.tabs] == ["1", "1", "2", "3", "4", "5", "6"]
    assert at.get("download_button")                            # the figures as CSV
    assert not at.exception


@pytest.mark.parametrize("role", list(STAFF))
def test_every_role_sees_the_same_numbers(staffed, role):
    at = signed_in(role)
    at.switch_page("success.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Success criteria"
    assert metrics(at)["The seed's list"] == "0 / 10"


def test_forecast_and_lists_with_a_known_pace(staffed):
    known_pace(staffed, utcnow() - timedelta(minutes=1))
    staffed.commit()
    at = signed_in("leadership")
    assert not at.exception, at.exception
    values = metrics(at)
    assert values["The seed's list"] == "1 / 10"                    # ActiveCampaign: Available, review complete
    assert values["30 integrations Available"] == "—"
    assert any("cannot be forecast: only 2 more" in c.value for c in at.caption)
    assert any("**5.0 days** (median" in c.value and "3.5–6.5 days" in c.value for c in at.caption)
    pace = frame_with(at, "days")
    assert pace["days"].tolist() == [8.0, 6.0, 4.0, 2.0] and set(pace["integration"]) == {"Pipedrive"}
    seed_rows = frame_with(at, "implemented_and_tested")              # criterion 1, the seed's list, comes first
    assert seed_rows["slug"].tolist()[:2] == ["hubspot", "activecampaign"]
    assert seed_rows["implemented_and_tested"].tolist()[:2] == [False, True]


def test_planning_period_changes_criterion_4(staffed):
    from db.models.ranking import PlanningDecision
    from tests.success_fixtures import integration

    for slug, bucket, days in (("hubspot", "Top", 10), ("mailchimp", "Low", 200)):
        staffed.add(PlanningDecision(integration_id=integration(staffed, slug).id, rank=1, bucket=bucket, score=1,
                                     upvotes=1, settings_version=1, planned_by=STAFF["pm"],
                                     planned_at=utcnow() - timedelta(days=days)))
    staffed.commit()
    at = signed_in("leadership")
    heading = "**4 · Integration upvote system informs build priority: "
    assert heading + "100%** (1 of 1)" in [m.value for m in at.markdown]
    at.selectbox(key="success_period").select("All time").run()
    assert heading + "50%** (1 of 2)" in [m.value for m in at.markdown]
