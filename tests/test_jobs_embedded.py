"""The embedded runner (issue 16): with SQLite (and HUB_JOBS=embedded on PostgreSQL) the server runs the same jobs
in-process, so `make run` needs no worker; the pending pass finds whatever a lost job left undone."""

from __future__ import annotations

import time
from datetime import timedelta

import anyio
import pytest
from sqlalchemy import select, update

from db.base import utcnow
from db.models.webhooks import WebhookEvent
from db.session import session_scope
from services.cli import main
from services.core.config import ConfigError
from services.jobs import dispatch, embedded, registry, tasks
from services.server import background
from services.server.health import health
from services.webhooks import inbound
from tests.webhooks_support import dumps, with_secret

KEY = "s3cret-s3cret-s3cret"


def _store(cid: int, *, minutes_ago: int = 0) -> int:
    with session_scope() as s:
        out = inbound.receive(s, service="n8n", connection_id=cid, method="POST", url="http://hub/x",
                              headers={"content-type": "application/json", "X-Layers-Webhook-Secret": KEY},
                              query={}, body=dumps({"at": str(utcnow())}))
        [event_id] = out.event_ids
        s.execute(update(WebhookEvent).where(WebhookEvent.id == event_id)
                  .values(received_at=utcnow() - timedelta(minutes=minutes_ago)))
    return event_id


def _state(event_id: int) -> tuple[str, int]:
    with session_scope() as s:
        status, attempts = s.execute(select(WebhookEvent.status, WebhookEvent.attempts)
                                     .where(WebhookEvent.id == event_id)).one()
    return status, attempts


def test_a_deferred_job_runs_in_this_process(connect, session, creds_env, db_url: str) -> None:
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    event_id = _store(cid)
    [future] = embedded.RUNNER.submit("handle_inbound_event", [{"event_id": event_id}])
    assert future.result(timeout=30) == "handled"
    [again] = embedded.RUNNER.submit("handle_inbound_event", [{"event_id": event_id}])
    assert again.result(timeout=30) is None             # a second run: the claim matches nothing
    assert dispatch.defer("prune", [{}]) == 1           # HUB_JOBS=embedded (the suite's default): in-process
    assert _state(event_id) == ("handled", 1)
    deadline = time.monotonic() + 30                    # the prune must not run into the next test's database
    while embedded.RUNNER.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    assert embedded.RUNNER.pending == 0


def test_the_pending_pass_handles_what_a_lost_job_left(connect, session, creds_env, db_url: str) -> None:
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    fresh, lost = _store(cid), _store(cid, minutes_ago=5)
    assert tasks.pending_pass()["events"] == 1          # only the one past the grace period
    assert _state(lost) == ("handled", 1) and _state(fresh) == ("received", 0)
    assert tasks.pending_pass()["events"] == 0


def test_health_reports_the_embedded_runner(db_url: str) -> None:
    ok, body = health(db_url)
    assert ok and body["jobs"]["backend"] == "embedded" and body["jobs"]["workers"] == []


def test_the_server_runs_the_periodic_jobs_itself(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    fake = registry.Job("tick", lambda: runs.append("tick"), registry.MAINTENANCE, cron="* * * * *", every_s=0.05)
    monkeypatch.setattr(background, "JOBS", {"tick": fake})

    async def serve() -> None:
        async with background.lifespan(None):
            await anyio.sleep(0.6)

    anyio.run(serve)
    assert len(runs) >= 3


def test_jobs_mode_follows_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite, pg = "sqlite:///x.db", "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("HUB_JOBS", raising=False)
    assert not registry.uses_queue(sqlite) and registry.uses_queue(pg)
    monkeypatch.setenv("HUB_JOBS", "embedded")
    assert not registry.uses_queue(pg)
    monkeypatch.setenv("HUB_JOBS", "queue")
    with pytest.raises(ConfigError, match="needs DATABASE_URL on PostgreSQL"):
        registry.uses_queue(sqlite)
    monkeypatch.setenv("HUB_JOBS", "cron")
    with pytest.raises(ConfigError, match="HUB_JOBS must be queue or embedded"):
        registry.uses_queue(pg)
    assert registry.conninfo("postgresql+psycopg://u:p@h:5/db") == "postgresql://u:p@h:5/db"


def test_worker_refuses_sqlite(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///nowhere.db")
    assert main(["worker"]) == 2
    assert "needs DATABASE_URL on PostgreSQL" in capsys.readouterr().err


def test_jobs_status_prints_a_dash_when_nothing_is_queued(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backend: embedded; queued: 0;") and "oldest queued: —;" in out, out
    assert "None" not in out
