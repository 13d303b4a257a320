"""The API health page (AppTest) per role: leadership sees health read-only; support runs the sweep and
evaluates alerts; engineers and admins also change thresholds and switch sandbox faults."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Alert, AuditEntry
from db.models.health import AlertThreshold, HealthSweep
from services.sandbox import faults
from tests.health_support import add_calls, clean_sandbox, organization, plain_connection, sandbox_connection  # noqa: F401
from tests.test_pages import signed_in

pytestmark = pytest.mark.usefixtures("clean_sandbox")


def open_health(role: str):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("api_health.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "API health"
    return at


def table(at, *columns: str):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def buttons(at) -> set[str]:  # type: ignore[no-untyped-def]
    return {b.key for b in at.button if b.key}


@pytest.fixture
def logged(session, world):  # type: ignore[no-untyped-def]
    """Five calls in the last hour (one failed: past enterprise's 10% failure rate, so an open alert) and two
    three days ago."""
    conn = plain_connection(session, organization(session, "Logged Agency", "enterprise"))
    add_calls(session, conn, "..x..", start=utcnow() - timedelta(minutes=30), durations=[100, 200, 300, 400, 500])
    add_calls(session, conn, "xx", start=utcnow() - timedelta(days=3), durations=[10, 20])
    from services.monitoring.alerts import evaluate
    evaluate(session)
    session.commit()
    return conn


def test_leadership_sees_health_read_only(session, logged):
    at = open_health("leadership")
    values = {m.label: m.value for m in at.metric}
    assert values["API calls"] == "5" and values["Success rate"] == "80.0%" and values["Latency p50"] == "300 ms"
    assert values["Open alerts"] == "1"
    assert "Read-only view" in " ".join(c.value for c in at.caption)
    assert table(at, "integration", "calls")["calls"].tolist() == [5]
    assert table(at, "kind", "message")["kind"].tolist() == ["Failure rate"]
    assert not {"ah_sweep_run", "ah_evaluate", "ah_fault_arm"} & buttons(at)
    assert not [f for f in at.get("form")], "no threshold form for leadership"
    at.segmented_control(key="ah_window").set_value("7d").run()
    assert {m.label: m.value for m in at.metric}["API calls"] == "7"


def test_support_runs_the_sweep_and_sees_progress_and_results(session, world):
    good = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    bad = sandbox_connection(session, world.org_id, "wordpress", "acme")
    faults.arm(faults.Fault("wordpress", "*", "expired_token", times=2))
    at = open_health("support")
    assert {"ah_sweep_run", "ah_evaluate"} <= buttons(at) and "ah_fault_arm" not in buttons(at)
    assert not [f for f in at.get("form")], "support does not change thresholds"
    at.slider(key="ah_sweep_concurrency").set_value(2)
    at.button(key="ah_sweep_run").click().run()
    assert not at.exception, at.exception
    assert at.progress[0].proto.text.startswith("Done: 1 of 2 passed")
    assert "1 of 2 connections passed, 1 failed" in " ".join(m.value for m in at.markdown)
    results = table(at, "connection", "result")
    assert results["connection"].tolist() == [bad, good]
    assert results["result"].tolist()[0] == "The username or password was rejected by WordPress"
    sweep = session.scalar(select(HealthSweep))
    assert (sweep.actor, sweep.concurrency, sweep.failed) == ("support@layers.example", 2, 1)


def test_admin_changes_a_tiers_thresholds_and_it_is_audited(session, world):
    at = open_health("admin")
    at.selectbox(key="ah_th_tier").select_index(4).run()       # Enterprise
    at.number_input(key="ah_th_enterprise_n").set_value(3)
    at.number_input(key="ah_th_enterprise_rate").set_value(15)
    at.button(key="ah_th_save").click().run()
    assert not at.exception, at.exception
    assert "Saved the Enterprise thresholds" in at.success[0].value
    row = session.scalar(select(AlertThreshold))
    assert (row.consecutive_failures, row.failure_rate, row.updated_by) == (3, 0.15, "admin@layers.example")
    thresholds = table(at, "tier", "consecutive failures")
    assert thresholds.iloc[4].to_dict()["consecutive failures"] == 3 and thresholds.iloc[4]["source"] == "changed"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "alert_threshold.updated"))


def test_engineer_arms_a_sandbox_fault_for_a_demo(session, world):
    at = open_health("engineer")
    names = at.selectbox(key="ah_fault_provider")
    names.select_index(names.options.index("Calendly")).run()
    at.button(key="ah_fault_arm").click().run()
    assert not at.exception, at.exception
    armed = faults.armed()
    assert [(f.provider, f.kind, f.times, f.retry_after) for f in armed] == [("calendly", "rate_limit", 3, 40.0)]
    assert "Calendly → 429 rate limit" in " ".join(c.value for c in at.caption)
    at.button(key="ah_fault_clear").click().run()
    assert faults.armed() == []
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["sandbox.fault_armed", "sandbox.faults_cleared"]


def test_evaluate_now_clears_an_alert_after_recovery(session, logged):
    add_calls(session, logged, "......", start=utcnow() - timedelta(minutes=10))   # 1 of 11 failed: below 10%
    at = open_health("support")
    at.button(key="ah_evaluate").click().run()
    assert not at.exception, at.exception
    assert session.scalar(select(Alert)).cleared_at is not None
    assert "No open alerts." in at.success[0].value
