"""The database going away (issue 17): every event answered 2xx is handled exactly once (the recovery pass), every
route answers 503 with Retry-After, background handling never raises."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from db.base import utcnow
from db.models.webhooks import WebhookEvent
from db.outage import RETRY_AFTER_S, is_outage
from db.session import make_engine, session_scope
from services.monitoring import metrics
from services.webhooks import hooks, inbound, recovery
from tests.credentials_support import free_port
from tests.webhooks_support import dumps, post, shared, with_secret

KEY = "s3cret-s3cret-s3cret"
LATER = timedelta(minutes=5)   # "now" for a pass that should see every stored event as left over


def _store(cid: int, n: int) -> list[int]:
    """n events stored as the route stores them (answered 200), not yet handled."""
    ids = []
    for i in range(n):
        with session_scope() as s:
            out = inbound.receive(s, service="n8n", connection_id=cid, method="POST", url="http://hub/x",
                                  headers={"content-type": "application/json", "X-Layers-Webhook-Secret": KEY},
                                  query={}, body=dumps({"order": i}))
            assert out.status == 200, out.message
            ids += out.event_ids
    return ids


def _events(cid: int) -> list[tuple[int, str, int]]:
    with session_scope() as s:
        return [tuple(r) for r in s.execute(select(WebhookEvent.id, WebhookEvent.status, WebhookEvent.attempts)
                                            .where(WebhookEvent.connection_id == cid).order_by(WebhookEvent.id))]


def _closed_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing_listens_here"


def test_is_outage_tells_an_unreachable_database_from_a_bug() -> None:
    refused = create_engine(_closed_url())
    with pytest.raises(OperationalError) as caught:
        refused.connect()
    assert is_outage(caught.value)
    try:
        raise RuntimeError("wrapped") from caught.value
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    sqlite = create_engine("sqlite://")
    with sqlite.connect() as conn, pytest.raises(OperationalError) as schema:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert not is_outage(schema.value) and not is_outage(ValueError("x")) and not is_outage(None)


def test_handling_that_loses_the_database_leaves_the_event_for_the_recovery_pass(connect, session, creds_env,
                                                                                 monkeypatch, caplog):
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    event_id, second = _store(cid, 2)

    def drop(session, event):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setattr(hooks, "fan_out", drop)
    inbound.handle_events([event_id, second])            # the route's background task: must not raise
    assert _events(cid) == [(event_id, "received", 0), (second, "received", 0)]   # rolled back, not "failed"
    assert "left for the recovery pass" in caplog.text
    inbound.handle_events([event_id], db_url=_closed_url())   # no database at all: still no exception
    monkeypatch.undo()

    assert recovery.run_pass().total == 0                # within the grace period: the after-2xx task's
    with session_scope() as s:
        assert metrics.unprocessed_events(s)[0] == 0
        count, age = metrics.unprocessed_events(s, now=utcnow() + LATER)
    assert count == 2 and age is not None and age >= LATER
    report = recovery.run_pass(now=utcnow() + LATER)
    assert report.statuses == {"handled": 2} and report.skipped == 0
    assert _events(cid) == [(event_id, "handled", 1), (second, "handled", 1)]
    assert recovery.run_pass(now=utcnow() + LATER).total == 0     # exactly once
    with session_scope() as s:
        assert metrics.unprocessed_events(s, now=utcnow() + LATER) == (0, None)


def test_concurrent_passes_and_the_after_2xx_task_handle_each_event_once(connect, session, creds_env):
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    ids = _store(cid, 40)
    later = utcnow() + LATER
    with ThreadPoolExecutor(5) as pool:
        reports = list(pool.map(lambda _: recovery.run_pass(now=later), range(4)))
        pool.submit(inbound.handle_events, ids).result()
    assert sum(r.total for r in reports) <= 40
    assert _events(cid) == [(i, "handled", 1) for i in ids]


def test_a_pass_marks_an_event_that_cannot_commit_failed_and_goes_on(connect, session, creds_env, monkeypatch):
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    bad, good = _store(cid, 2)
    real = inbound.handle_received

    def flaky(event_id, **kw):  # type: ignore[no-untyped-def]
        if event_id == bad:
            raise ValueError("a bug past the handler")
        return real(event_id, **kw)

    monkeypatch.setattr(inbound, "handle_received", flaky)
    report = recovery.run_pass(now=utcnow() + LATER)
    assert report.statuses == {"failed": 1, "handled": 1}
    assert _events(cid) == [(bad, "failed", 1), (good, "handled", 1)]


def test_webhooks_send_runs_the_recovery_pass(connect, session, creds_env, monkeypatch, capsys):
    from services import cli

    cid = connect("n8n")
    with_secret(session, cid, KEY)
    ids = _store(cid, 3)
    monkeypatch.setattr(recovery, "GRACE", timedelta(seconds=-60))   # as if a minute had gone by
    assert cli.main(["webhooks", "send"]) == 0
    assert capsys.readouterr().out.splitlines() == ["handled 3 inbound events left unprocessed (3 handled)",
                                                    "sent 0 pending deliveries"]
    assert _events(cid) == [(i, "handled", 1) for i in ids]


def test_every_route_answers_503_with_retry_after_while_the_database_is_unreachable(hub_server, monkeypatch,
                                                                                    request):
    monkeypatch.setenv("DATABASE_URL", _closed_url())
    make_engine.cache_clear()   # the engine for "DATABASE_URL" is made once
    request.addfinalizer(make_engine.cache_clear)
    json_body = {"content-type": "application/json"}
    zapier = {"X-Layers-Connection": "1", "X-Layers-Key": "k", **json_body}
    calls = [("POST", "/hooks/n8n/1", shared("x"), b'{"a": 1}'),
             ("GET", "/hooks/mailchimp/1", {}, b""),
             ("POST", "/hooks/hubspot/apps/1234567", json_body, b'[{"eventId": 1}]'),
             ("GET", "/api/zapier/hooks", zapier, b""),
             ("POST", "/api/zapier/hooks", zapier, b'{"event": "n8n.inbound_webhook", "target_url": "https://x.io"}'),
             ("DELETE", "/api/zapier/hooks/1", zapier, b""),
             ("GET", "/api/zapier/samples/n8n.inbound_webhook", zapier, b""),
             ("GET", "/api/oauth/callback?state=abc&code=def", {"accept": "text/html"}, b""),
             ("GET", "/api/health", {}, b"")]
    from services.runtime import http

    with http.make_client() as client:
        for method, path, headers, body in calls:
            response = client.request(method, hub_server + path, headers=headers, content=body or None)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.headers["retry-after"] == str(RETRY_AFTER_S), path
            assert "Traceback" not in response.text and "psycopg" not in response.text, path
            assert "unreachable" in response.text, path


def _terminate_backends(url: str) -> int:
    """Drop every connection to the test database but ours (the database stays up: it is shared)."""
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = :db AND pid <> pg_backend_pid()"),
                                    {"db": make_url(url).database}).all())
    finally:
        engine.dispose()


@pytest.mark.postgresql_only
def test_acknowledged_events_are_handled_exactly_once_across_dropped_connections(db_url, connect, session,
                                                                                 creds_env):
    cid = connect("n8n")
    with_secret(session, cid, KEY)
    session.close()
    url = f"{creds_env}/hooks/n8n/{cid}"
    acknowledged: list[int] = []
    statuses: list[int] = []
    lock, stop = threading.Lock(), threading.Event()
    counter = iter(range(10**6))

    def sender() -> None:
        while not stop.is_set():
            with lock:
                n = next(counter)
            response = post(url, dumps({"order": n, "pad": "x" * 200}), shared(KEY))
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 200:
                    acknowledged.append(n)
                else:
                    assert response.headers.get("retry-after") == str(RETRY_AFTER_S), response.text

    threads = [threading.Thread(target=sender) for _ in range(16)]
    for t in threads:
        t.start()
    terminated = 0
    try:
        for _ in range(6):
            time.sleep(0.4)
            terminated += _terminate_backends(db_url)
    finally:
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert terminated > 0 and acknowledged
    assert set(statuses) <= {200, 503}, sorted(set(statuses))   # never a 500
    time.sleep(1.0)                                              # the after-2xx tasks finish

    with session_scope() as s:
        rows = s.execute(select(WebhookEvent.payload, WebhookEvent.status, WebhookEvent.attempts)
                         .where(WebhookEvent.connection_id == cid)).all()
        left = s.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == "received"))
    stored = [r.payload["order"] for r in rows]
    assert len(stored) == len(set(stored)) and set(acknowledged) <= set(stored)   # stored once each
    report = recovery.run_pass(now=utcnow() + LATER)
    assert report.total == left and report.skipped == 0
    rows = _events(cid)
    assert {status for _, status, _ in rows} == {"handled"}
    assert {attempts for _, _, attempts in rows} == {1}                         # handled exactly once
    print(f"\n{len(statuses)} sent, {len(acknowledged)} acknowledged, {terminated} backends terminated, "
          f"{left} left unprocessed and handled by the recovery pass")
