"""The page's figures as CSV: every criterion, the pipeline, the forecast with its range, the burn-up."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

from db.base import utcnow
from services.success.forecast import forecast
from services.success.report import FIGURE_COLUMNS, build_report, figures_csv
from tests.success_fixtures import known_pace

NOW = utcnow().replace(microsecond=0)
DAY = timedelta(days=1)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_holds_every_figure_of_the_page(session):
    known_pace(session, NOW)
    report = build_report(session, now=NOW, period_days=90)
    text = figures_csv(report)
    assert text.splitlines()[0] == ",".join(FIGURE_COLUMNS)
    table = rows(text)
    assert table[0] == {"section": "report", "figure": "as of", "value": NOW.isoformat(timespec="seconds"),
                        "numerator": "", "denominator": "", "detail": ""}
    criteria = {r["figure"].split(".")[0]: r for r in table if r["section"] == "criteria"}
    assert list(criteria) == ["1-seed", "1-demand", "2", "3", "4", "5", "6"]
    assert (criteria["6"]["value"], criteria["6"]["numerator"], criteria["6"]["denominator"]) == ("11 / 30", "11", "30")
    assert criteria["6"]["detail"] == "11 built before the Hub + 0 built in Phase 4."
    assert (criteria["1-seed"]["value"], criteria["1-seed"]["numerator"]) == ("1 / 10", "1")  # ActiveCampaign
    assert criteria["4"]["value"] == "n/a" and criteria["4"]["denominator"] == "0"
    pipeline = {r["figure"]: r["value"] for r in table if r["section"] == "pipeline"}
    assert pipeline == {"requested": "0", "planned": "1", "building": "1", "testing": "0", "available": "11",
                        "deprecated": str(58 - 11 - 2)}
    forecast = {r["figure"]: r for r in table if r["section"] == "forecast"}
    assert forecast["30 integrations Available"]["value"] == ""   # only two integrations left in the queue
    assert forecast["30 integrations Available"]["detail"].startswith("cannot be forecast: only 2 more")
    pace = forecast["days per step (median)"]
    assert pace["value"] == "5.0"
    assert pace["detail"] == "25th-75th percentile 3.50-6.50; 4 steps observed; 1 integration(s) built in parallel"
    builds = {r["figure"]: r for r in table if r["section"] == "forecast build"}
    assert builds["Pipedrive"]["value"] == (NOW + 20 * DAY).date().isoformat()
    assert builds["Copper"]["detail"] == (f"planned, 8 step(s) left; early {(NOW + 42 * DAY).date()}, "
                                          f"late {(NOW + 78 * DAY).date()}")
    burnup = [r for r in table if r["section"] == "burn-up"]
    assert burnup[-1]["figure"] == NOW.date().isoformat() and burnup[-1]["value"] == "11"
    assert burnup[-1]["detail"] == "11 built before the Hub, 0 in Phase 4"


def test_csv_forecast_rows_give_the_date_and_its_range(session):
    known_pace(session, NOW)
    report = replace(build_report(session, now=NOW), forecast=forecast(session, NOW, target=13))
    table = rows(figures_csv(report))
    target = next(r for r in table if r["figure"] == "13 integrations Available")
    assert target["value"] == (NOW + 60 * DAY).date().isoformat()
    assert target["detail"] == f"early {(NOW + 42 * DAY).date()}, late {(NOW + 78 * DAY).date()}; 2 more to build"


def test_csv_without_enough_history_has_no_dates(session):
    table = rows(figures_csv(build_report(session, now=NOW)))
    forecast = [r for r in table if r["section"] == "forecast"]
    assert [r["figure"] for r in forecast] == ["30 integrations Available", "The seed's top 10 implemented and tested",
                                               "The demand top 10 implemented and tested"]
    assert all(r["value"] == "" and r["detail"].endswith("not enough history") for r in forecast)
    assert not [r for r in table if r["section"] == "forecast build"]
