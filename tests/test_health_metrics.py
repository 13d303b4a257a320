"""Success/failure rates and latency p50/p95 from the API call log, checked against values worked out by
hand on fixture rows (linear interpolation between ranks), per integration, per connection and per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.monitoring import charts, metrics
from tests.health_support import add_calls, organization, plain_connection

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def calls(session):  # type: ignore[no-untyped-def]
    a = plain_connection(session, organization(session, "Alpha Agency"), "activecampaign")
    b = plain_connection(session, organization(session, "Beta Agency", "enterprise"), "activecampaign")
    c = plain_connection(session, organization(session, "Gamma Agency"), "wordpress")
    # A: 5 calls 10:00-10:04, one failed; durations 100..500
    add_calls(session, a, "..x..", start=NOW - timedelta(hours=2), durations=[500, 100, 400, 200, 300])
    # B: 2 failed calls at 11:00 and 11:30 (rate limit)
    add_calls(session, b, "xx", start=NOW - timedelta(hours=1), step=timedelta(minutes=30), durations=[20, 10],
              category="rate_limit")
    # C: 3 calls three days ago (7 d only), one 20 days ago (30 d only), one 40 days ago (never)
    add_calls(session, c, "x..", start=NOW - timedelta(days=3), durations=[50, 60, 70], category="network")
    add_calls(session, c, ".", start=NOW - timedelta(days=20), durations=[1000])
    add_calls(session, c, "x", start=NOW - timedelta(days=40), durations=[9])
    add_calls(session, a, "x", start=NOW + timedelta(minutes=5), durations=[9])     # after "now": never
    return {"a": a, "b": b, "c": c}


def row(frame, **where):  # type: ignore[no-untyped-def]
    match = frame
    for k, v in where.items():
        match = match[match[k] == v]
    assert len(match) == 1, match
    return match.iloc[0].to_dict()


def test_rates_and_percentiles_per_integration_and_connection_over_24_hours(session, calls):
    frame = metrics.calls_frame(session, window="24h", now=NOW)
    assert len(frame) == 7
    per_integration = metrics.summary(frame, ["integration"])
    ac = row(per_integration, integration="ActiveCampaign")
    # sorted durations 10 20 100 200 300 400 500: p50 = 200; p95 at rank 0.95*6 = 5.7 -> 400 + 0.7*100 = 470
    assert (ac["calls"], ac["succeeded"], ac["failed"]) == (7, 4, 3)
    assert ac["success_rate"] == pytest.approx(4 / 7) and ac["failure_rate"] == pytest.approx(3 / 7)
    assert ac["p50_ms"] == pytest.approx(200.0) and ac["p95_ms"] == pytest.approx(470.0)
    per_connection = metrics.summary(frame, ["connection_id", "organization"])
    a, b = row(per_connection, connection_id=calls["a"]), row(per_connection, connection_id=calls["b"])
    # A: 100 200 300 400 500 -> p50 300, p95 at rank 3.8 -> 400 + 0.8*100 = 480; B: 10 20 -> 15, 19.5
    assert (a["failure_rate"], a["p50_ms"], a["p95_ms"]) == (pytest.approx(0.2), pytest.approx(300.0),
                                                            pytest.approx(480.0))
    assert (b["failure_rate"], b["p50_ms"], b["p95_ms"]) == (1.0, pytest.approx(15.0), pytest.approx(19.5))
    assert list(per_connection["connection_id"])[0] == calls["b"], "worst failure rate first"
    totals = metrics.totals(frame)
    assert totals["calls"] == 7 and totals["failed"] == 3 and totals["p50_ms"] == pytest.approx(200.0)
    assert metrics.categories(frame).to_dict("records") == [{"category": "rate_limit", "calls": 2},
                                                            {"category": "provider", "calls": 1}]


def test_windows_of_7_and_30_days_take_older_calls(session, calls):
    week = metrics.summary(metrics.calls_frame(session, window="7d", now=NOW), ["integration"])
    wp = row(week, integration="WordPress")
    # 50 60 70: p50 60, p95 at rank 1.9 -> 60 + 0.9*10 = 69
    assert (wp["calls"], wp["failed"], wp["p50_ms"], wp["p95_ms"]) == (3, 1, pytest.approx(60.0), pytest.approx(69.0))
    month = metrics.summary(metrics.calls_frame(session, window="30d", now=NOW), ["integration"])
    wp = row(month, integration="WordPress")
    # 50 60 70 1000: p50 65, p95 at rank 2.85 -> 70 + 0.85*930 = 860.5
    assert (wp["calls"], wp["failure_rate"], wp["p50_ms"], wp["p95_ms"]) == (4, 0.25, pytest.approx(65.0),
                                                                           pytest.approx(860.5))
    only_wp = metrics.calls_frame(session, window="30d", now=NOW, integration="wordpress")
    assert set(only_wp["integration"]) == {"WordPress"} and len(only_wp) == 4
    assert len(metrics.calls_frame(session, window="30d", now=NOW, connection_id=calls["b"])) == 2


def test_timeline_buckets_by_hour_for_a_day(session, calls):
    line = metrics.timeline(metrics.calls_frame(session, window="24h", now=NOW), "24h")
    assert [(b.hour, c, f) for b, c, f in zip(line["bucket"], line["calls"], line["failed"], strict=True)] == \
        [(10, 5, 1), (11, 2, 2)]
    assert line["failure_rate"].tolist() == [pytest.approx(0.2), 1.0]
    assert line["p95_ms"].tolist() == [pytest.approx(480.0), pytest.approx(19.5)]
    days = metrics.timeline(metrics.calls_frame(session, window="30d", now=NOW), "30d")
    assert days["calls"].sum() == 11 and len(days) == 3


def test_an_empty_log_gives_empty_tables_and_charts(session):
    frame = metrics.calls_frame(session, window="24h", now=NOW)
    assert frame.empty and metrics.summary(frame, ["integration"]).empty and metrics.timeline(frame).empty
    assert metrics.totals(frame)["calls"] == 0 and metrics.totals(frame)["p50_ms"] is None
    for figure in (charts.calls_over_time(metrics.timeline(frame)), charts.latency_over_time(metrics.timeline(frame)),
                   charts.error_categories(metrics.categories(frame))):
        assert figure.layout.title.text


def test_charts_plot_the_buckets(session, calls):
    line = metrics.timeline(metrics.calls_frame(session, window="24h", now=NOW), "24h")
    figure = charts.calls_over_time(line)
    assert {t.name for t in figure.data} == {"succeeded", "failed"}
    assert list(figure.data[1].y) == [1, 2]
    latency = charts.latency_over_time(line)
    assert {t.name for t in latency.data} == {"p50", "p95"}
