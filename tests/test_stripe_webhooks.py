"""Stripe's triggers through the real inbound endpoint: Stripe-Signature (t=,v1=) valid, tampered, wrong secret,
stale and future (300 s tolerance), several v1 during a secret roll, the same event id delivered twice handled
once, and the two triggers' outputs read from data.object."""

from __future__ import annotations

import hashlib
import hmac
import time

from services.webhooks import inbound
from tests.webhooks_support import OTHER, SECRET, counts, dumps, handled, post, with_secret

PAYMENT = {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "created": 1767258000,
           "livemode": False, "pending_webhooks": 1, "api_version": "2023-08-16",
           "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 2000, "amount_received": 2000,
                               "currency": "usd", "customer": "cus_1", "status": "succeeded",
                               "description": "Order 1001", "receipt_email": "jane.doe@example.com",
                               "created": 1767258000}}}
CUSTOMER = {"id": "evt_2", "object": "event", "type": "customer.created", "created": 1767258000, "livemode": False,
            "pending_webhooks": 1, "data": {"object": {"id": "cus_1", "object": "customer", "name": "Jane Doe",
                                                       "email": "jane.doe@example.com", "phone": None,
                                                       "description": None, "created": 1767258000}}}


def mac(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def signed(secrets: list[str], body: bytes, ts: int | None = None) -> dict[str, str]:
    t = ts if ts is not None else int(time.time())
    sigs = ",".join(f"v1={mac(s, body, t)}" for s in secrets)
    return {"Stripe-Signature": f"t={t},{sigs},v0={'0' * 64}", "content-type": "application/json; charset=utf-8"}


def test_valid_tampered_wrong_stale_future_and_replayed(connect, session, creds_env):
    cid = connect("stripe")
    with_secret(session, cid)
    url, body = inbound.inbound_url(creds_env, "stripe", cid), dumps(PAYMENT)
    ok = post(url, body, signed([SECRET], body))
    assert ok.status_code == 200 and ok.json()["events"] == 1, ok.text
    event = handled(cid)[0]
    assert event["event_type"] == "payment_intent.succeeded" and event["trigger"] == "payment_succeeded"
    assert event["output"] == {"id": "pi_1", "amount": 2000, "amount_received": 2000, "currency": "usd",
                               "customer": "cus_1", "status": "succeeded", "description": "Order 1001",
                               "receipt_email": "jane.doe@example.com", "created": 1767258000, "event_id": "evt_1"}
    now = int(time.time())
    tampered = post(url, body.replace(b"2000", b"9000"), signed([SECRET], body))
    wrong = post(url, body, signed([OTHER], body))
    stale = post(url, body, signed([SECRET], body, ts=now - 301 - 5))
    future = post(url, body, signed([SECRET], body, ts=now + 306))
    v0_only = post(url, body, {"Stripe-Signature": f"t={now},v0={mac(SECRET, body, now)}",
                               "content-type": "application/json"})
    missing = post(url, body, {"content-type": "application/json"})
    for response in (tampered, wrong, stale, future, v0_only, missing):
        assert response.status_code == 401, response.text
    assert "tolerance" in stale.json()["message"] and "does not match" in wrong.json()["message"]
    assert "t= and v1=" in v0_only.json()["message"]
    # Stripe retries the same event (same evt_ id) with a fresh timestamp and signature: stored and handled once.
    later = dumps({**PAYMENT, "pending_webhooks": 2})
    replay = post(url, later, signed([SECRET], later))
    assert replay.status_code == 200 and replay.json()["duplicates"] == 1 and replay.json()["events"] == 0
    assert counts(cid) == (1, 6)


def test_secret_roll_several_v1_and_customer_created(connect, session, creds_env):
    cid = connect("stripe")
    with_secret(session, cid, OTHER)
    with_secret(session, cid, SECRET)          # OTHER stays valid for the overlap window
    url, body = inbound.inbound_url(creds_env, "stripe", cid), dumps(CUSTOMER)
    unknown = "whsec_" + "x" * 32               # a v1 from a secret the Hub never had, beside a good one
    assert post(url, body, signed([unknown, OTHER], body)).status_code == 200
    other = dumps({**PAYMENT, "id": "evt_3", "type": "charge.refunded"})
    assert post(url, other, signed([SECRET], other)).status_code == 200
    events = handled(cid, 2)
    assert [(e["trigger"], e["status"]) for e in events] == [("customer_created", "handled"), (None, "ignored")]
    assert events[0]["output"] == {"id": "cus_1", "email": "jane.doe@example.com", "name": "Jane Doe", "phone": None,
                                   "description": None, "created": 1767258000, "event_id": "evt_2"}
