"""Alerts from the API call log: N consecutive failures, failure rate over a window, thresholds per tier
(enterprise sooner), clearing on recovery with both events recorded, and optional delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Alert, AuditEntry, Connection
from db.models.health import AlertDelivery
from services.core.errors import InvalidInput
from services.monitoring import alerts
from services.monitoring.alerts import evaluate, evaluate_and_deliver, set_threshold, thresholds
from tests.fake_smtp import FakeSMTP
from tests.health_support import WebhookSink, add_calls, organization, plain_connection

START = utcnow() - timedelta(minutes=30)


def open_alerts(session, conn_id: int) -> dict[str, Alert]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {a.kind: a for a in session.scalars(select(Alert).where(Alert.connection_id == conn_id,
                                                                   Alert.cleared_at.is_(None)))}


def conn_of(session, tier: str) -> int:  # type: ignore[no-untyped-def]
    return plain_connection(session, organization(session, f"{tier.title()} Agency", tier))


def test_free_tier_alerts_at_the_fifth_consecutive_failure_and_clears_on_recovery(session):
    conn_id = conn_of(session, "free")
    add_calls(session, conn_id, "..xxxx", start=START)
    assert evaluate(session) == [] and open_alerts(session, conn_id) == {}
    add_calls(session, conn_id, "x", start=START + timedelta(minutes=6))
    events = evaluate(session)
    session.commit()
    assert [(e.event, e.kind) for e in events] == [("raised", "consecutive_failures")]
    alert = open_alerts(session, conn_id)["consecutive_failures"]
    assert "the last 5 calls failed (alert at 5 for Free)" in alert.message
    assert evaluate(session) == [], "an open alert is not raised twice"
    add_calls(session, conn_id, ".", start=START + timedelta(minutes=7))
    events = evaluate(session, actor="support@layers.example")
    session.commit()
    assert [(e.event, e.kind) for e in events] == [("cleared", "consecutive_failures")]
    session.refresh(alert)
    assert alert.cleared_at is not None and alert.raised_at < alert.cleared_at
    logged = [(a.action, a.actor, a.after["triggered_by"]) for a in
              session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "alert").order_by(AuditEntry.id))]
    assert logged == [("alert.raised", "system", "system"), ("alert.cleared", "system", "support@layers.example")]


def test_enterprise_alerts_sooner_than_free(session):
    free, enterprise = conn_of(session, "free"), conn_of(session, "enterprise")
    for conn_id in (free, enterprise):
        add_calls(session, conn_id, ".xx", start=START)
    evaluate(session)
    session.commit()
    assert open_alerts(session, free) == {}
    assert set(open_alerts(session, enterprise)) == {"consecutive_failures"}, "the rate rule needs 5 calls"


def test_failure_rate_needs_the_minimum_calls_within_the_window(session):
    conn_id = conn_of(session, "free")     # free: 50% of at least 10 calls in 60 min
    add_calls(session, conn_id, "xxxxxxxxxx", start=START - timedelta(hours=2))   # outside the window
    add_calls(session, conn_id, "x.x.x.x.x", start=START)                          # 9 calls: too few
    assert evaluate(session) == []
    add_calls(session, conn_id, "x", start=START + timedelta(minutes=9))           # 6 of 10 failed
    events = evaluate(session)
    session.commit()
    assert [(e.event, e.kind) for e in events] == [("raised", "failure_rate")]
    assert "6 of 10 calls failed in the last 60 min (60%; alert at 50% for Free)" in events[0].message
    add_calls(session, conn_id, "..", start=START + timedelta(minutes=10))         # 6/12 = 50%: still holds
    assert evaluate(session) == []
    add_calls(session, conn_id, ".", start=START + timedelta(minutes=12))          # 6/13 < 50% and latest ok
    assert [(e.event, e.kind) for e in evaluate(session)] == [("cleared", "failure_rate")]


def test_an_alert_stays_open_while_the_latest_call_fails(session):
    conn_id = conn_of(session, "pro")      # pro: 4 consecutive, 30% of 10
    add_calls(session, conn_id, "xxxx", start=START)
    evaluate(session)
    add_calls(session, conn_id, "........x", start=START + timedelta(minutes=4))   # 5/13 = 38%: rate rule holds
    events = evaluate(session)
    assert [(e.event, e.kind) for e in events] == [("raised", "failure_rate")], \
        "the streak broke but the latest call failed: the consecutive alert stays open"
    assert set(open_alerts(session, conn_id)) == {"consecutive_failures", "failure_rate"}


def test_thresholds_per_tier_can_be_changed_and_are_audited(session):
    by_slug = {t.tier: t for t in thresholds(session).values()}
    assert by_slug["enterprise"].consecutive_failures < by_slug["free"].consecutive_failures
    assert by_slug["enterprise"].failure_rate < by_slug["free"].failure_rate and not by_slug["free"].custom
    conn_id = conn_of(session, "free")
    add_calls(session, conn_id, "xx", start=START)
    assert evaluate(session) == []
    changed = set_threshold(session, "free", actor="admin@layers.example", consecutive_failures=2, failure_rate=0.9,
                            window_minutes=30, min_calls=20)
    assert changed.custom and changed.consecutive_failures == 2
    assert [e.kind for e in evaluate(session)] == ["consecutive_failures"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "alert_threshold.updated"))
    assert entry.before["consecutive_failures"] == alerts.DEFAULTS["free"][0] and entry.after["min_calls"] == 20
    with pytest.raises(InvalidInput, match="share between 0"):
        set_threshold(session, "free", actor="a", consecutive_failures=2, failure_rate=25, window_minutes=5,
                      min_calls=1)


def test_reauth_alerts_from_the_credentials_service_are_left_alone(session):
    conn_id = conn_of(session, "free")
    row = session.get(Connection, conn_id)
    session.add(Alert(integration_id=row.integration_id, connection_id=conn_id, kind="needs_reauth", message="x"))
    session.commit()
    add_calls(session, conn_id, ".", start=START)
    assert evaluate(session) == [] and set(open_alerts(session, conn_id)) == {"needs_reauth"}


def test_events_are_delivered_to_the_webhook_and_by_email(session, creds_env, monkeypatch):
    conn_id = conn_of(session, "enterprise")
    add_calls(session, conn_id, "xx", start=START)
    with WebhookSink() as sink, FakeSMTP() as smtp:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("HUB_ALERT_EMAIL", "oncall@layers.example, cto@layers.example")
        monkeypatch.setenv("SMTP_URL", smtp.url)
        events = evaluate_and_deliver(connection_ids=[conn_id])
        assert {e.kind for e in events} == {"consecutive_failures"}
        assert sink.received[0]["event"] == "alert.raised" and sink.received[0]["tier"] == "enterprise"
        assert smtp.recipients() == ["oncall@layers.example", "cto@layers.example"]
        assert "[Layers Hub] Alert: ActiveCampaign" in smtp.messages[0].message["Subject"]
        add_calls(session, conn_id, ".", start=START + timedelta(minutes=2))
        assert [e.event for e in evaluate_and_deliver(connection_ids=[conn_id])] == ["cleared"]
        assert [r["event"] for r in sink.received] == ["alert.raised", "alert.cleared"]
    rows = session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
    assert [(r.channel, r.event, r.ok) for r in rows] == [("webhook", "raised", True), ("email", "raised", True),
                                                          ("webhook", "cleared", True), ("email", "cleared", True)]
    assert all("secret-token-path" not in r.target for r in rows)


def test_a_failed_delivery_is_recorded_and_the_alert_stands(session, creds_env, monkeypatch):
    conn_id = conn_of(session, "enterprise")
    add_calls(session, conn_id, "xx", start=START)
    with WebhookSink(status=500) as sink:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("HUB_ALERT_EMAIL", "oncall@layers.example")
        monkeypatch.delenv("SMTP_URL", raising=False)
        evaluate_and_deliver(connection_ids=[conn_id])
    rows = session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
    assert [(r.channel, r.ok, r.error) for r in rows] == [("webhook", False, "HTTP 500"),
                                                          ("email", False, "SMTP_URL is not set")]
    assert "consecutive_failures" in open_alerts(session, conn_id)
