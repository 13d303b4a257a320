"""The pace (median days per step), the forecast from a fixed history, and the burn-up of Available."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from db.base import utcnow
from db.models import Integration
from services.success import availability, forecast, pace
from tests.success_fixtures import complete_step_at, integration, known_pace, move, open_keys, tick_at

NOW = utcnow().replace(microsecond=0)
DAY = timedelta(days=1)
T0 = NOW - 30 * DAY
EXISTING = 11


@pytest.fixture
def history(session):
    known_pace(session, NOW)
    return session


def test_pace_samples_are_days_between_step_completions(history):
    p = pace.observed_pace(history, NOW)
    assert [(s.slug, s.step, s.days) for s in p.samples] == [
        ("pipedrive", 1, 2.0), ("pipedrive", 2, 4.0), ("pipedrive", 3, 6.0), ("pipedrive", 4, 8.0)]
    assert (p.low, p.median, p.high) == (3.5, 5.0, 6.5)
    assert p.active == ("pipedrive",) and p.lanes == 1 and p.enough
    states = pace.progress(history)
    assert states["pipedrive"].remaining_steps == 4 and sorted(states["pipedrive"].completed) == [1, 2, 3, 4]
    assert states["copper"].remaining_steps == 8
    assert states["activecampaign"].remaining_steps == 0


def test_an_untick_reopens_a_step_and_removes_its_sample(history):
    from services.build import tracker

    key = next(i.key for s in tracker.checklist(history, "pipedrive", with_evidence=False) if s.number == 4
               for i in s.items if i.state == "done")
    tracker.tick(history, actor="cli", slug="pipedrive", key=key, done=False)
    p = pace.observed_pace(history, NOW)
    assert [s.step for s in p.samples] == [1, 2, 3]
    assert pace.progress(history)["pipedrive"].remaining_steps == 5


def test_forecast_dates_follow_the_pace_one_lane(history):
    fc = forecast.forecast(history, NOW, target=EXISTING + 2)
    assert fc.reason is None and fc.available_now == EXISTING
    assert [(b.slug, b.remaining_steps) for b in fc.builds] == [("pipedrive", 4), ("copper", 8)]
    pipedrive, copper = fc.builds
    # one lane: pipedrive's 4 steps, then copper's 8
    assert pipedrive.finish == {"early": NOW + 14 * DAY, "expected": NOW + 20 * DAY, "late": NOW + 26 * DAY}
    assert copper.finish == {"early": NOW + 42 * DAY, "expected": NOW + 60 * DAY, "late": NOW + 78 * DAY}
    target = fc.outlooks[0]
    assert target.label == f"{EXISTING + 2} integrations Available" and not target.reached
    assert target.dates == copper.finish and target.note == "2 more to build"
    one_more = forecast.forecast(history, NOW, target=EXISTING + 1).outlooks[0]
    assert one_more.dates == pipedrive.finish


def test_a_second_active_integration_adds_a_lane(history):
    move(history, "zoho-crm", "building", NOW - 2 * DAY)
    tick_at(history, "zoho-crm", open_keys(history, "zoho-crm", 1)[:1], NOW - DAY)
    fc = forecast.forecast(history, NOW, target=EXISTING + 2)
    assert fc.pace.lanes == 2 and fc.pace.active == ("pipedrive", "zoho-crm")
    finishes = {b.slug: b.finish["expected"] for b in fc.builds}
    # two lanes: pipedrive (4 steps) and zoho-crm (8) start now; copper (8) takes pipedrive's lane after it
    assert finishes == {"pipedrive": NOW + 20 * DAY, "zoho-crm": NOW + 40 * DAY, "copper": NOW + 60 * DAY}
    assert fc.outlooks[0].expected == NOW + 40 * DAY


def test_top10_outlooks(history):
    fc = forecast.forecast(history, NOW, target=EXISTING + 2)
    seed = fc.outlooks[1]
    assert not seed.reached and seed.dates == {}
    assert seed.note.startswith("cannot be forecast: ") and "hubspot" in seed.note    # deprecated members
    history.execute(update(Integration).values(top10_rank=None))
    integration(history, "pipedrive").top10_rank, integration(history, "copper").top10_rank = 1, 2
    fc = forecast.forecast(history, NOW, target=EXISTING + 2)
    seed = fc.outlooks[1]
    assert seed.expected == NOW + 60 * DAY and seed.note == "2 still to finish"
    assert seed.dates["early"] == NOW + 42 * DAY and seed.dates["late"] == NOW + 78 * DAY


def test_target_already_reached(history):
    fc = forecast.forecast(history, NOW, target=EXISTING)
    assert fc.outlooks[0].reached and fc.outlooks[0].note == "reached"


def test_too_little_history_gives_no_dates_and_says_why(session):
    move(session, "pipedrive", "building", T0)
    complete_step_at(session, "pipedrive", 1, T0 + 2 * DAY, first_at=T0)
    complete_step_at(session, "pipedrive", 2, T0 + 3 * DAY)
    fc = forecast.forecast(session, NOW)
    assert len(fc.pace.samples) == 2 and fc.pace.median is None
    assert fc.reason == ("Not enough history yet: the forecast needs at least 3 completed checklist steps; "
                         "there are 2.")
    assert all(not o.dates for o in fc.outlooks)
    assert fc.outlooks[0].note == "not enough history"


def test_an_empty_history_has_one_lane_and_no_samples(session):
    p = pace.observed_pace(session, NOW)
    assert p.samples == () and p.lanes == 1 and not p.enough


# ---------------------------------------------------------------- burn-up

def test_burnup_counts_available_integrations_per_day(session):
    session.execute(update(Integration).where(Integration.existing.is_(True))
                    .values(status_changed_at=NOW - 4 * DAY))
    move(session, "hubspot", "available", NOW - 3 * DAY)
    move(session, "hubspot", "deprecated", NOW - DAY)
    move(session, "calendly", "testing", NOW - 5 * DAY)
    move(session, "calendly", "available", NOW - 2 * DAY)
    frame = availability.burnup_frame(session, NOW)
    today = NOW.date()
    assert frame["day"].tolist() == [today - timedelta(days=n) for n in (4, 3, 2, 1, 0)]
    assert frame["existing"].tolist() == [EXISTING] * 5
    assert frame["new"].tolist() == [0, 1, 2, 1, 1]           # hubspot from day -3 until its deprecation on day -1
    assert frame["available"].tolist() == [EXISTING + n for n in (0, 1, 2, 1, 1)]
    since = availability.available_since(session)
    assert since["calendly"] == NOW - 2 * DAY and "hubspot" not in since


def test_burnup_handles_a_return_to_available(session):
    move(session, "hubspot", "available", NOW - 6 * DAY)
    move(session, "hubspot", "deprecated", NOW - 4 * DAY)
    move(session, "hubspot", "available", NOW - 2 * DAY)
    spans = availability.intervals(session)["hubspot"]
    assert spans == [(NOW - 6 * DAY, NOW - 4 * DAY), (NOW - 2 * DAY, None)]


def test_burnup_of_an_empty_pipeline_is_empty(session):
    session.execute(update(Integration).values(status="requested"))
    assert availability.burnup_frame(session, NOW).empty


def test_status_counts_list_every_stage(session):
    move(session, "hubspot", "building", NOW)
    counts = dict(availability.status_counts(session).values.tolist())
    assert counts == {"requested": 58 - EXISTING - 1, "planned": 0, "building": 1, "testing": 0,
                      "available": EXISTING, "deprecated": 0}


def test_burnup_starts_at_most_a_year_back(session):
    move(session, "hubspot", "available", NOW - 800 * DAY)
    frame = availability.burnup_frame(session, NOW)
    assert frame["day"].iloc[0] == date.fromordinal(NOW.date().toordinal() - 365)
