"""Zapier REST hooks: subscribe / list / samples / unsubscribe over HTTP, and signed deliveries (Standard
Webhooks) with retries on 429 and 5xx, and disabling on 410, against a loopback receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.base import utcnow
from db.models import AuditEntry, Connection
from db.models.webhooks import WebhookDelivery, ZapierHook
from db.session import session_scope
from services.connect import signatures as sig
from services.providers.zapier import rest_hooks as zapier
from services.runtime import http
from services.webhooks import inbound
from tests.credentials_support import free_port
from tests.webhooks_support import OTHER, SECRET, calendly, dumps, handled, post, with_secret


class Receiver:
    """A loopback HTTP receiver answering scripted statuses (then 200) and recording what arrived."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append((dict(request.headers), body))
            status, headers = self.script.pop(0) if self.script else (200, {})
        return JSONResponse({"status": "success"} if status < 300 else {"error": "x"}, status_code=status,
                            headers=headers)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/catch/{hook}", rec.endpoint, methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield rec, f"http://127.0.0.1:{port}/catch"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def rec(receiver, monkeypatch):  # type: ignore[no-untyped-def]
    r, base = receiver
    with r.lock:
        r.script.clear()
        r.received.clear()
    sleeps: list[float] = []
    monkeypatch.setattr(zapier, "SLEEP", sleeps.append)
    return r, base, sleeps


def _auth(cid: int, key: str = SECRET) -> dict[str, str]:
    return {"X-Layers-Connection": str(cid), "X-Layers-Key": key}


def test_subscribe_list_sample_unsubscribe(connect, session, creds_env, rec):
    _, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    api = f"{creds_env}/api/zapier"
    with http.make_client() as c:
        assert c.post(f"{api}/hooks", json={"event": "calendly.event_scheduled", "target_url": target}).status_code \
            == 401
        assert c.post(f"{api}/hooks", json={"event": "calendly.event_scheduled", "target_url": target},
                      headers=_auth(cid, OTHER)).status_code == 401
        created = c.post(f"{api}/hooks", json={"event": "calendly.event_scheduled", "target_url": f"{target}/1"},
                         headers=_auth(cid))
        assert created.status_code == 201, created.text
        hook_id = created.json()["id"]
        assert c.post(f"{api}/hooks", json={"event": "nope.nothing", "target_url": target},
                      headers=_auth(cid)).status_code == 400
        assert c.post(f"{api}/hooks", json={"event": "calendly.event_scheduled", "target_url": "ftp://x"},
                      headers=_auth(cid)).status_code == 400
        assert c.post(f"{api}/hooks", content=b"nope", headers=_auth(cid)).status_code == 400
        listed = c.get(f"{api}/hooks", headers=_auth(cid)).json()
        assert [h["id"] for h in listed] == [hook_id] and listed[0]["event"] == "calendly.event_scheduled"
        samples = c.get(f"{api}/samples/calendly.event_scheduled", headers=_auth(cid)).json()
        assert samples[0]["email"] == "jane.doe@example.com"
        assert c.get(f"{api}/samples/calendly.nope", headers=_auth(cid)).status_code == 404
        assert c.delete(f"{api}/hooks/{hook_id}", headers=_auth(cid)).status_code == 204
        assert c.delete(f"{api}/hooks/{hook_id}", headers=_auth(cid)).status_code == 404
    with session_scope() as s:
        assert s.scalar(select(ZapierHook).where(ZapierHook.connection_id == cid)) is None
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "zapier_hook")).all()
    assert actions == ["zapier_hook.subscribed", "zapier_hook.unsubscribed"]


def test_another_connection_cannot_unsubscribe(connect, session, creds_env, rec):
    _, target, _ = rec
    a, b = connect("zapier"), connect("zapier", "other")
    with_secret(session, a)
    with_secret(session, b, OTHER)
    with http.make_client() as c:
        hook_id = c.post(f"{creds_env}/api/zapier/hooks", json={"event": "n8n.inbound_webhook",
                                                                "target_url": target + "/x"},
                         headers=_auth(a)).json()["id"]
        assert c.delete(f"{creds_env}/api/zapier/hooks/{hook_id}", headers=_auth(b, OTHER)).status_code == 404


def _hook(session, cid: int, target: str, event: str = "calendly.event_scheduled") -> ZapierHook:  # type: ignore[no-untyped-def]
    conn = session.get(Connection, cid)
    hook = zapier.subscribe(session, conn, event=event, target_url=target)
    session.commit()
    return hook


def _deliver(session, hook, payload, **options) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    delivery_id = zapier.enqueue(session, hook, payload)
    session.commit()
    zapier.send([delivery_id], **options)
    delivery = session.get(WebhookDelivery, delivery_id)
    session.refresh(delivery)
    return delivery


def test_delivery_is_signed_and_retried_on_429_and_5xx(connect, session, creds_env, rec):
    r, target, sleeps = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/retry")
    r.script[:] = [(429, {"Retry-After": "7"}), (503, {}), (500, {})]
    delivery = _deliver(session, hook, {"event": "calendly.event_scheduled", "data": {"email": "a@b.c"}})
    assert delivery.status == "delivered" and delivery.attempts == 4
    assert [a["status"] for a in delivery.log] == [429, 503, 500, 200]
    assert sleeps == [7.0, 2.0, 4.0]                       # Retry-After honoured, then exponential backoff
    headers, body = r.received[-1]
    sig.verify_standard(SECRET, body=body, headers=headers)   # the receiver can verify it
    assert len({h["webhook-id"] for h, _ in r.received}) == 1  # one message id across the retries


def test_delivery_gives_up_after_max_attempts_and_not_on_4xx(connect, session, creds_env, rec):
    r, target, sleeps = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/down")
    r.script[:] = [(500, {})] * 10
    failed = _deliver(session, hook, {"x": 1}, max_attempts=3)
    assert failed.status == "failed" and failed.attempts == 3 and len(sleeps) == 2
    r.script[:] = [(400, {})]
    bad = _deliver(session, hook, {"x": 1})
    assert bad.status == "failed" and bad.attempts == 1 and bad.last_status_code == 400
    session.refresh(hook)
    assert hook.active
    assert zapier.send([bad.id]) == ["skipped"] and len(r.received) == 4     # a finished delivery is not resent


def test_410_disables_the_hook(connect, session, creds_env, rec):
    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/gone")
    r.script[:] = [(410, {})]
    delivery = _deliver(session, hook, {"x": 1})
    assert delivery.status == "disabled" and delivery.attempts == 1
    session.refresh(hook)
    assert not hook.active and "410" in hook.disabled_reason
    later = _deliver(session, hook, {"x": 2})                     # a disabled hook gets nothing more
    assert later.status == "failed" and later.log[0]["error"] == "the hook is disabled" and len(r.received) == 1


def test_inbound_event_fans_out_to_the_subscribed_zap(connect, session, creds_env, rec):
    r, target, _ = rec
    zap, cal = connect("zapier"), connect("calendly")
    with_secret(session, zap)
    with_secret(session, cal, OTHER)
    _hook(session, zap, f"{target}/fan", "calendly.event_scheduled")
    _hook(session, zap, f"{target}/other", "calendly.event_canceled")
    body = dumps({"event": "invitee.created", "payload": {"email": "jane@example.com", "name": "Jane",
                                                          "rescheduled": False}})
    assert post(inbound.inbound_url(creds_env, "calendly", cal), body, calendly(OTHER, body)).status_code == 200
    [event] = handled(cal)
    assert event["status"] == "handled", event
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with session_scope() as s:
            deliveries = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event["id"])).all()
            done = [(d.event, d.status) for d in deliveries]
        if done and all(status not in ("pending", "sending") for _, status in done):
            break
        time.sleep(0.05)
    assert done == [("calendly.event_scheduled", "delivered")]
    headers, payload = r.received[-1]
    assert b'"email":"jane@example.com"' in payload and headers["webhook-signature"].startswith("v1,")


def test_a_target_refused_by_the_ssrf_guard_fails_without_retry(connect, session, creds_env, rec, monkeypatch):
    r, target, sleeps = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/guarded")
    monkeypatch.delenv("HUB_SANDBOX")                  # now a loopback target is not allowed
    delivery = _deliver(session, hook, {"x": 1})
    assert delivery.status == "failed" and delivery.attempts == 1 and not sleeps
    assert delivery.log[0]["error"].startswith("UnsafeUrl") and r.received == []


def test_a_delivery_is_claimed_once_by_concurrent_senders(connect, session, creds_env, rec):
    from concurrent.futures import ThreadPoolExecutor

    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/claim")
    delivery_id = zapier.enqueue(session, hook, {"x": 1})
    session.commit()
    with ThreadPoolExecutor(4) as pool:
        results = [s for batch in pool.map(lambda _: zapier.send([delivery_id]), range(4)) for s in batch]
    # the losers say "skipped" even when they read the row after the winner finished (it said "delivered")
    assert sorted(results) == ["delivered", "skipped", "skipped", "skipped"] and len(r.received) == 1


def _stuck(session, hook, age: timedelta, attempts: int = 0) -> int:  # type: ignore[no-untyped-def]
    """A delivery whose sender claimed it ``age`` ago and stopped (the row is still "sending")."""
    delivery_id = zapier.enqueue(session, hook, {"x": 1})
    delivery = session.get(WebhookDelivery, delivery_id)
    delivery.status, delivery.claimed_at, delivery.attempts = "sending", utcnow() - age, attempts
    session.commit()
    return delivery_id


def test_a_delivery_left_sending_past_its_lease_is_resent_once_with_the_same_id(connect, session, creds_env, rec):
    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/crashed")
    delivery_id = _stuck(session, hook, zapier.CLAIM_LEASE + timedelta(minutes=1))
    msg_id = session.get(WebhookDelivery, delivery_id).msg_id
    with session_scope() as s:
        assert zapier.due(s) == [delivery_id]
    assert zapier.send([delivery_id]) == ["delivered"]
    assert [h["webhook-id"] for h, _ in r.received] == [msg_id]      # receivers drop it if the first one arrived
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 2      # the interrupted send counts
    assert [a["status"] for a in delivery.log] == [None, 200] and delivery.log[0]["error"] == zapier.INTERRUPTED
    with session_scope() as s:
        assert zapier.due(s) == []
    assert zapier.send([delivery_id]) == ["skipped"] and len(r.received) == 1


def test_a_fresh_claim_is_not_touched(connect, session, creds_env, rec):
    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/busy")
    delivery_id = _stuck(session, hook, zapier.CLAIM_LEASE - timedelta(minutes=1))
    with session_scope() as s:
        assert zapier.due(s) == []
    assert zapier.send([delivery_id]) == ["skipped"] and r.received == []
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.attempts == 0 and delivery.log == []


def test_the_cli_send_pass_reclaims_an_expired_delivery(connect, session, creds_env, rec, capsys):
    from services.cli import main

    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/cli")
    stuck = _stuck(session, hook, timedelta(hours=2))
    fresh = _stuck(session, hook, timedelta(seconds=5))
    assert main(["webhooks", "send"]) == 0
    assert capsys.readouterr().out.strip() == f"sent 1 pending delivery: #{stuck} delivered"
    assert len(r.received) == 1
    session.expire_all()
    assert session.get(WebhookDelivery, fresh).status == "sending"


def test_concurrent_senders_reclaim_an_expired_delivery_once(connect, session, creds_env, rec):
    from concurrent.futures import ThreadPoolExecutor

    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/race")
    delivery_id = _stuck(session, hook, timedelta(hours=1))
    with ThreadPoolExecutor(4) as pool:
        results = [s for batch in pool.map(lambda _: zapier.send([delivery_id]), range(4)) for s in batch]
    assert sorted(results) == ["delivered", "skipped", "skipped", "skipped"] and len(r.received) == 1, results
    session.expire_all()
    assert session.get(WebhookDelivery, delivery_id).attempts == 2


def test_a_sender_that_outlived_its_lease_leaves_the_new_senders_outcome(connect, session, creds_env, rec,
                                                                         monkeypatch):
    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/slow")
    delivery_id = zapier.enqueue(session, hook, {"x": 1})
    session.commit()
    taken_over = utcnow()

    def another_sender_takes_over(_: float) -> None:      # runs between our attempts, after our lease "expired"
        with session_scope() as s:
            s.get(WebhookDelivery, delivery_id).claimed_at = taken_over

    monkeypatch.setattr(zapier, "SLEEP", another_sender_takes_over)
    r.script[:] = [(503, {})]
    assert zapier.send([delivery_id]) == ["reclaimed"] and len(r.received) == 2
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "sending" and delivery.claimed_at == taken_over and delivery.log == []


def test_a_delivery_interrupted_too_often_gives_up_without_sending(connect, session, creds_env, rec):
    r, target, _ = rec
    cid = connect("zapier")
    with_secret(session, cid)
    hook = _hook(session, cid, f"{target}/poison")
    delivery_id = _stuck(session, hook, timedelta(hours=1), attempts=zapier.MAX_ATTEMPTS - 1)
    assert zapier.send([delivery_id]) == ["failed"] and r.received == []
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.attempts == zapier.MAX_ATTEMPTS
    assert [a["error"] for a in delivery.log] == [zapier.INTERRUPTED, f"gave up after {zapier.MAX_ATTEMPTS} attempts"]
