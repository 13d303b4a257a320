"""Background work on procrastinate (issue 16), with real `layers-hub worker` processes on the test PostgreSQL: no
mock of the queue. The rows stay the truth: a job carries an id, its handler claims the row, so a job run twice or
retried after its worker was killed -9 mid-job handles the row exactly once."""

from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from db.base import utcnow
from db.models.webhooks import WebhookEvent
from db.session import session_scope
from services.cli import main
from services.jobs import dispatch, queue, tasks
from services.jobs.status import job_status
from services.setup import upgrade_database
from tests.jobs_support import jobs, start_worker, stop, wait_for, workers
from tests.webhooks_support import dumps, post, shared, with_secret

pytestmark = pytest.mark.postgresql_only

KEY = "s3cret-s3cret-s3cret"


@pytest.fixture(autouse=True)
def _queue(db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_JOBS", "queue")
    yield
    queue.close_deferrers()   # before the test's database is dropped


def _events(cid: int) -> list[tuple[int, str, int]]:
    with session_scope() as s:
        return [tuple(r) for r in s.execute(select(WebhookEvent.id, WebhookEvent.status, WebhookEvent.attempts)
                                            .where(WebhookEvent.connection_id == cid).order_by(WebhookEvent.id))]


def test_db_upgrade_applies_the_job_schema_once(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert queue.schema_applied(db_url)                  # the template was upgraded with it
    assert upgrade_database(db_url).job_schema == "present"
    assert main(["db", "upgrade"]) == 0 and "job queue schema present" in capsys.readouterr().out
    status = job_status()
    assert (status["backend"], status["queued"], status["running"], status["workers"]) == ("queue", 0, 0, [])


def test_inbound_events_posted_to_the_server_are_handled_by_worker_processes(
        connect, session, creds_env, db_url: str, tmp_path: Path) -> None:
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    for i in range(30):
        answer = post(f"{creds_env}/hooks/n8n/{cid}", dumps({"order": i}), shared(KEY))
        assert answer.status_code == 200, answer.text
    wait_for(lambda: len(jobs("status = 'todo'")) == 30, 30, "30 queued jobs")   # deferred after each 2xx
    assert _events(cid)[0][1] == "received"              # nothing handled in the server process
    assert job_status()["queued"] == 30 and job_status()["oldest_s"] is not None
    with workers(db_url, 2, tmp_path, "--concurrency", "2"):
        wait_for(lambda: all(s != "received" for _, s, _ in _events(cid)), what="every event handled")
        wait_for(lambda: job_status()["workers_alive"] == 2, 30, "two heartbeats")
    assert [(s, a) for _, s, a in _events(cid)] == [("handled", 1)] * 30     # exactly once each
    assert not jobs("status IN ('todo', 'doing', 'failed') AND task_name = 'handle_inbound_event'")


def _claim_waiting() -> int:
    with session_scope() as s:
        return int(s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                 "AND query LIKE 'UPDATE webhook_events%'")) or 0)


def test_a_worker_killed_mid_job_leaves_the_event_to_be_handled_exactly_once(
        connect, session, creds_env, db_url: str, tmp_path: Path) -> None:
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    answer = post(f"{creds_env}/hooks/n8n/{cid}", dumps({"order": 1}), shared(KEY))
    assert answer.status_code == 200
    [(event_id, status, attempts)] = _events(cid)
    [job] = wait_for(lambda: jobs("task_name = 'handle_inbound_event'"), 30, "the queued job")
    # Hold the event's row, so the worker's claim (the first statement of the job) waits: the job is mid-flight.
    blocker = create_engine(db_url).connect()
    blocker.execute(text("SELECT id FROM webhook_events WHERE id = :id FOR UPDATE"), {"id": event_id})
    first = start_worker(db_url, "--concurrency", "1", log=tmp_path / "first.log")
    try:
        wait_for(lambda: jobs(f"id = {job['id']} AND status = 'doing'"), what="the job started")
        # One transaction per look: PostgreSQL keeps a transaction's first view of pg_stat_activity (a poll inside
        # one transaction never sees the claim start waiting if it was not waiting at the first look).
        wait_for(_claim_waiting, 30, "the claim waiting")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
    assert _events(cid) == [(event_id, "received", 0)]   # the killed job changed nothing
    with workers(db_url, 1, tmp_path, "--concurrency", "1"):
        wait_for(lambda: _events(cid)[0][1] != "received", what="the retried job")
        wait_for(lambda: not jobs("status IN ('todo', 'doing')"), 30, "the queue drained")
    assert _events(cid) == [(event_id, "handled", 1)]
    stop([first])


def test_the_pending_pass_picks_up_events_whose_job_was_lost(connect, session, creds_env, db_url: str) -> None:
    """A defer that never happened (the process died after the 2xx): the row says what is left; the periodic pass
    (a job too) handles it, and a pass run again, or a late job for the same event, changes nothing."""
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    with session_scope() as s:
        from services.webhooks import inbound

        out = inbound.receive(s, service="n8n", connection_id=cid, method="POST", url="http://hub/x",
                              headers={"content-type": "application/json", "X-Layers-Webhook-Secret": KEY},
                              query={}, body=dumps({"lost": True}))
        [event_id] = out.event_ids
        s.execute(update(WebhookEvent).where(WebhookEvent.id == event_id)
                  .values(received_at=utcnow() - timedelta(minutes=5)))
    assert not jobs()                                     # no job was ever queued for it
    assert tasks.pending_pass()["events"] == 1
    assert tasks.pending_pass()["events"] == 0
    assert tasks.handle_inbound_event(event_id) is None   # a late job: the claim matches nothing
    assert _events(cid) == [(event_id, "handled", 1)]


def test_api_health_reports_the_queue_and_worker_heartbeats(db_url: str, tmp_path: Path) -> None:
    from services.server.health import health

    dispatch.defer("prune", [{}], lock="prune")
    ok, body = health(db_url)
    assert ok and body["jobs"]["backend"] == "queue" and body["jobs"]["queued"] == 1
    assert body["jobs"]["queues"] == {"maintenance": 1} and body["jobs"]["oldest_s"] >= 0
    with workers(db_url, 1, tmp_path):
        wait_for(lambda: health(db_url)[1]["jobs"]["workers_alive"] == 1, 60, "a heartbeat")
        wait_for(lambda: health(db_url)[1]["jobs"]["queued"] == 0, 60, "the queue drained")
        [worker] = health(db_url)[1]["jobs"]["workers"]
        assert worker["alive"] and worker["heartbeat_age_s"] < 2
    assert health(db_url)[1]["jobs"]["workers"] == []     # a worker stopped by SIGTERM unregisters


def test_periodic_jobs_queue_once_per_period(db_url: str) -> None:
    """The queueing lock: a second defer of a periodic pass while one is queued adds nothing."""
    assert dispatch.defer("pending_pass", [{}], lock="pending_pass") == 1
    assert dispatch.defer("pending_pass", [{}], lock="pending_pass") == 0
    assert [j["task_name"] for j in jobs("status = 'todo'")] == ["pending_pass"]
