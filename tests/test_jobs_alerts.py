"""Alert deliveries as jobs: the sweep jobs evaluate their connections' alerts and queue one ``deliver_alert`` job per
event and configured channel; a failed attempt (its own ``alert_deliveries`` row) raises ``DeliveryFailed`` so
procrastinate retries it with backoff (a real `layers-hub worker` on PostgreSQL); the embedded runner makes one
attempt. No mock of the queue; the webhook target is a loopback HTTP server, the mail server a loopback SMTP."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.base import utcnow
from db.models import Alert
from db.models.health import AlertDelivery
from db.session import session_scope
from services.core.errors import DeliveryFailed
from services.jobs import embedded, tasks
from services.monitoring import alerts, delivery
from services.sandbox import faults
from tests.fake_smtp import FakeSMTP
from tests.health_support import (  # noqa: F401
    WebhookSink,
    add_calls,
    clean_sandbox,
    organization,
    plain_connection,
    sandbox_connection,
)
from tests.jobs_support import jobs, wait_for, workers

pytestmark = pytest.mark.usefixtures("clean_sandbox")

PAYLOAD_KEYS = {"event", "alert_id", "kind", "connection_id", "integration", "organization", "tier", "message", "at"}


def _rows(channel: str | None = None) -> list[tuple[str, str, bool, str | None]]:
    with session_scope() as s:
        query = select(AlertDelivery).order_by(AlertDelivery.id)
        if channel:
            query = query.where(AlertDelivery.channel == channel)
        return [(r.channel, r.event, r.ok, r.error) for r in s.scalars(query)]


def _failing_wordpress(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """An enterprise organization (alerts at 2 consecutive failures) with a healthy connection and a WordPress one
    whose check fails: 4 failed attempts, so the sweep raises one alert."""
    org = organization(session, "Enterprise Agency", "enterprise")
    good = sandbox_connection(session, org, "activecampaign", "good")
    broken = sandbox_connection(session, org, "wordpress", "down")
    faults.arm(faults.Fault("wordpress", "*", "server_error", times=8))
    return good, broken


def _one_alert(session, conn_id: int) -> Alert:  # type: ignore[no-untyped-def]
    session.expire_all()
    [alert] = session.scalars(select(Alert).where(Alert.cleared_at.is_(None))).all()
    assert alert.connection_id == conn_id and alert.kind == "consecutive_failures"
    return alert


def test_a_sweep_shard_queues_its_alert_deliveries_as_jobs(session, creds_env, monkeypatch: pytest.MonkeyPatch):
    good, broken = _failing_wordpress(session)
    hold = threading.Event()
    with WebhookSink(hold=hold) as sink, FakeSMTP() as smtp:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("HUB_ALERT_EMAIL", "oncall@layers.example")
        monkeypatch.setenv("SMTP_URL", smtp.url)
        try:
            assert tasks.sweep_shard([good, broken]) == 1
            # The sweep returned while its webhook POST still waits for an answer: the delivery is a job of its own.
            wait_for(lambda: sink.received, 30, "the webhook POST")
            assert _rows("webhook") == []
        finally:
            hold.set()
        wait_for(lambda: len(_rows()) == 2 and embedded.RUNNER.pending == 0, 30, "both deliveries stored")
        assert smtp.recipients() == ["oncall@layers.example"]
    assert sorted(_rows()) == [("email", "raised", True, None), ("webhook", "raised", True, None)]
    alert = _one_alert(session, broken)
    [body] = sink.received                                  # exactly one POST for the one event
    assert set(body) == PAYLOAD_KEYS
    assert (body["event"], body["alert_id"], body["kind"], body["connection_id"], body["integration"],
            body["organization"], body["tier"], body["message"]) == \
        ("alert.raised", alert.id, "consecutive_failures", broken, "WordPress", "Enterprise Agency", "enterprise",
         alert.message)
    assert abs(datetime.fromisoformat(body["at"]) - utcnow()) < timedelta(minutes=5)
    with session_scope() as s:
        assert all("secret-token-path" not in r.target for r in s.scalars(select(AlertDelivery)))


def test_a_failed_attempt_raises_for_a_retry_and_stores_its_row(session, creds_env, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture):
    conn_id = plain_connection(session, organization(session, "Enterprise Agency", "enterprise"))
    add_calls(session, conn_id, "xx", start=utcnow() - timedelta(minutes=10))
    with session_scope() as s:
        [event] = alerts.evaluate(s, connection_ids=[conn_id])
    body = delivery.payload(event)
    assert alerts.AlertEvent.from_payload(json.loads(json.dumps(body))) == event   # what a job carries
    monkeypatch.delenv("SMTP_URL", raising=False)
    with WebhookSink(status=500) as sink:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("HUB_ALERT_EMAIL", "oncall@layers.example")
        for _ in range(2):                                  # each attempt (procrastinate's retries) its own row
            with pytest.raises(DeliveryFailed, match=r"webhook delivery to http://127\.0\.0\.1 failed \(HTTP 500\)"):
                tasks.deliver_alert(body, "webhook")
        with pytest.raises(DeliveryFailed, match=r"email delivery to oncall@layers\.example failed "
                                                 r"\(SMTP_URL is not set\)"):
            tasks.deliver_alert(body, "email")
        # The embedded runner (SQLite) makes the one attempt: the error is logged, not retried.
        [future] = embedded.RUNNER.submit("deliver_alert", [{"event": body, "channel": "webhook"}])
        assert future.result(timeout=30) is None
        assert "job deliver_alert failed" in caplog.text and "DeliveryFailed" in caplog.text
        assert sink.received == [body] * 3
    assert _rows() == [("webhook", "raised", False, "HTTP 500")] * 2 + [
        ("email", "raised", False, "SMTP_URL is not set"), ("webhook", "raised", False, "HTTP 500")]
    # The channel removed from the environment before the job runs: nothing sent, no row.
    monkeypatch.delenv("HUB_ALERT_WEBHOOK_URL")
    assert tasks.deliver_alert(body, "webhook") is False
    assert len(_rows()) == 4


def test_a_refused_webhook_url_never_stores_its_token(session, monkeypatch: pytest.MonkeyPatch):
    """The URL guard's message quotes the URL it refused; the row (and the job's error) keep scheme and host."""
    conn_id = plain_connection(session, organization(session, "Enterprise Agency", "enterprise"))
    add_calls(session, conn_id, "xx", start=utcnow() - timedelta(minutes=10))
    with session_scope() as s:
        [event] = alerts.evaluate(s, connection_ids=[conn_id])
    monkeypatch.delenv("HUB_SANDBOX", raising=False)
    monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", "ftp://hooks.example.com/secret-token-path")
    with pytest.raises(DeliveryFailed) as failed:
        tasks.deliver_alert(delivery.payload(event), "webhook")
    [(_, _, ok, error)] = _rows()
    assert not ok and error and "is not an absolute http(s) URL" in error
    assert "secret-token-path" not in error and "secret-token-path" not in str(failed.value)


@pytest.mark.postgresql_only
def test_a_worker_retries_a_failed_delivery_with_backoff(session, creds_env, db_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUB_JOBS", "queue")
    good, broken = _failing_wordpress(session)
    with WebhookSink(fail_first=1) as sink:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.delenv("HUB_ALERT_EMAIL", raising=False)
        assert tasks.sweep_shard([good, broken]) == 1       # run here: its delivery goes to the queue
        with session_scope() as s:
            [(job_id, args, status)] = s.execute(text(
                "SELECT id, args, status::text FROM procrastinate_jobs WHERE task_name = 'deliver_alert'")).all()
        assert status == "todo" and args["channel"] == "webhook" and args["event"]["connection_id"] == broken
        assert "secret-token-path" not in json.dumps(args), "the URL is read when the job runs, never queued"
        assert sink.received == [] and _rows() == []
        with workers(db_url, 1, tmp_path, "--queues", "notify", "--no-periodic", "--concurrency", "1"):
            wait_for(lambda: len(_rows()) == 2, 60, "the failed attempt and its retry")
            wait_for(lambda: not jobs(f"id = {job_id}"), 30, "the job done (successful jobs are deleted)")
        assert sink.received == [args["event"]] * 2
    assert _rows() == [("webhook", "raised", False, "HTTP 500"), ("webhook", "raised", True, None)]
    with session_scope() as s:
        first, retry = s.scalars(select(AlertDelivery.attempted_at).order_by(AlertDelivery.id)).all()
    assert retry - first >= timedelta(seconds=1.5), "procrastinate's backoff: the first retry waits 2 s"
    _one_alert(session, broken)
