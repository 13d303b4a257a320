"""Webhook signatures (HubSpot v3, Calendly, Webflow, Standard Webhooks): valid, tampered, stale, wrong
secret; and webhook secrets: generated, shown once, sealed, rotated with an overlap window.

Expected signatures are computed here independently with hmac, straight from each provider's
documented recipe, plus the Standard Webhooks reference vector from its libraries' test suites.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models.credentials import WebhookSecret
from services.connect import connections as conns
from services.connect import signatures as sig
from services.connect.outbound import Outbound
from services.connect.webhook_secrets import (
    generate_secret,
    list_webhook_secrets,
    live_webhook_secrets,
    rotate_webhook_secret,
)
from services.core.config import load_settings
from services.providers.calendly import webhooks as cal
from services.providers.hubspot import webhooks as hs
from services.providers.webflow import webhooks as wf

NOW = 1_767_225_600            # 2026-01-01T00:00:00Z
BODY = b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]'
SECRET = "fake-client-secret-0000-1111"


def _b64(key: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def _hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------------------- HubSpot v3
def hubspot_headers(secret: str, ts_ms: int, body: bytes = BODY, uri: str = "https://hub.example.com/hooks/hs?a=1"):
    expected = _b64(secret, b"POST" + uri.encode() + body + str(ts_ms).encode())
    return {"X-HubSpot-Signature-v3": expected, "X-HubSpot-Request-Timestamp": str(ts_ms)}


def test_hubspot_v3_valid_tampered_stale_wrong_secret():
    uri, ts = "https://hub.example.com/hooks/hs?a=1", NOW * 1000
    headers = hubspot_headers(SECRET, ts)
    hs.verify_hubspot_v3(SECRET, method="POST", uri=uri, body=BODY, headers=headers, now=NOW)
    hs.verify_hubspot_v3(["old-secret-xxxxxxxx", SECRET], method="POST", uri=uri, body=BODY, headers=headers,
                          now=NOW)                                               # rotation overlap
    with pytest.raises(sig.SignatureError, match="does not match"):
        hs.verify_hubspot_v3(SECRET, method="POST", uri=uri, body=BODY + b" ", headers=headers, now=NOW)
    with pytest.raises(sig.SignatureError, match="does not match"):
        hs.verify_hubspot_v3(SECRET, method="POST", uri=uri + "&b=2", body=BODY, headers=headers, now=NOW)
    with pytest.raises(sig.SignatureError, match="tolerance"):
        hs.verify_hubspot_v3(SECRET, method="POST", uri=uri, body=BODY, headers=headers, now=NOW + 301)
    with pytest.raises(sig.SignatureError, match="does not match"):
        hs.verify_hubspot_v3("another-secret-0000", method="POST", uri=uri, body=BODY, headers=headers, now=NOW)
    with pytest.raises(sig.SignatureError, match="missing"):
        hs.verify_hubspot_v3(SECRET, method="POST", uri=uri, body=BODY, headers={}, now=NOW)


def test_hubspot_v3_decodes_the_listed_characters_of_the_uri():
    encoded = "https://hub.example.com/hooks%3Fx%3Dy%40z"
    headers = hubspot_headers(SECRET, NOW * 1000, uri="https://hub.example.com/hooks?x%3Dy@z")
    # %3F and %40 are decoded (HubSpot's table); %3D is not in the table and stays encoded
    hs.verify_hubspot_v3(SECRET, method="POST", uri=encoded, body=BODY, headers=headers, now=NOW)


def test_hubspot_v3_fixed_vector():
    assert hs.sign_hubspot_v3(SECRET, "POST", "https://hub.example.com/hooks/hs", BODY, "1767225600000") == \
        _b64(SECRET, b"POSThttps://hub.example.com/hooks/hs" + BODY + b"1767225600000")


# ------------------------------------------------------------------------------------------ Calendly
def calendly_header(key: str, t: int, body: bytes = BODY) -> dict[str, str]:
    return {"Calendly-Webhook-Signature": f"t={t},v1={_hex(key, f'{t}.'.encode() + body)}"}


def test_calendly_valid_tampered_stale_wrong_secret():
    cal.verify_calendly(SECRET, body=BODY, headers=calendly_header(SECRET, NOW), now=NOW + 10)
    with pytest.raises(sig.SignatureError, match="does not match"):
        cal.verify_calendly(SECRET, body=BODY.replace(b"123", b"124"), headers=calendly_header(SECRET, NOW), now=NOW)
    with pytest.raises(sig.SignatureError, match="tolerance"):
        cal.verify_calendly(SECRET, body=BODY, headers=calendly_header(SECRET, NOW - 301), now=NOW)
    with pytest.raises(sig.SignatureError, match="does not match"):
        cal.verify_calendly("wrong-signing-key-00", body=BODY, headers=calendly_header(SECRET, NOW), now=NOW)
    with pytest.raises(sig.SignatureError, match="t= and v1="):
        cal.verify_calendly(SECRET, body=BODY, headers={"Calendly-Webhook-Signature": "v1=abc"}, now=NOW)
    # the timestamp is part of what is signed: changing t invalidates v1
    forged = calendly_header(SECRET, NOW)["Calendly-Webhook-Signature"].replace(f"t={NOW}", f"t={NOW + 1}")
    with pytest.raises(sig.SignatureError, match="does not match"):
        cal.verify_calendly(SECRET, body=BODY, headers={"Calendly-Webhook-Signature": forged}, now=NOW)


# ------------------------------------------------------------------------------------------- Webflow
def webflow_headers(secret: str, ts_ms: int, body: bytes = BODY) -> dict[str, str]:
    return {"x-webflow-timestamp": str(ts_ms), "x-webflow-signature": _hex(secret, f"{ts_ms}:".encode() + body)}


def test_webflow_valid_tampered_stale_wrong_secret():
    ts = NOW * 1000
    wf.verify_webflow(SECRET, body=BODY, headers=webflow_headers(SECRET, ts), now=NOW)
    with pytest.raises(sig.SignatureError, match="does not match"):
        wf.verify_webflow(SECRET, body=b"{}", headers=webflow_headers(SECRET, ts), now=NOW)
    with pytest.raises(sig.SignatureError, match="tolerance"):
        wf.verify_webflow(SECRET, body=BODY, headers=webflow_headers(SECRET, ts - 301_000), now=NOW)
    with pytest.raises(sig.SignatureError, match="does not match"):
        wf.verify_webflow("not-the-client-secret", body=BODY, headers=webflow_headers(SECRET, ts), now=NOW)
    with pytest.raises(sig.SignatureError, match="tolerance"):   # seconds instead of ms: decades old
        wf.verify_webflow(SECRET, body=BODY, headers=webflow_headers(SECRET, NOW), now=NOW)


# -------------------------------------------------------------------------------- Standard Webhooks
REFERENCE = {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
             "timestamp": "1614265330", "body": b'{"test": 2432232314}',
             "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def std_headers(secret: str, msg_id: str, ts: int, body: bytes = BODY) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": f"v1,{mac}"}


def test_standard_webhooks_reference_vector():
    r = REFERENCE
    assert sig.sign_standard(r["secret"], r["id"], r["timestamp"], r["body"]) == r["signature"]
    sig.verify_standard(r["secret"], body=r["body"], now=int(r["timestamp"]),
                        headers={"webhook-id": r["id"], "webhook-timestamp": r["timestamp"],
                                 "webhook-signature": r["signature"]})


def test_standard_webhooks_valid_tampered_stale_wrong_secret_and_several_signatures():
    secret, other = generate_secret(), generate_secret()
    headers = std_headers(secret, "msg_1", NOW)
    sig.verify_standard(secret, body=BODY, headers=headers, now=NOW)
    several = {**headers, "webhook-signature": std_headers(other, "msg_1", NOW)["webhook-signature"] + " "
               + headers["webhook-signature"]}
    sig.verify_standard(secret, body=BODY, headers=several, now=NOW)         # sender signs with old and new
    with pytest.raises(sig.SignatureError, match="does not match"):
        sig.verify_standard(secret, body=BODY[:-1], headers=headers, now=NOW)
    with pytest.raises(sig.SignatureError, match="does not match"):
        sig.verify_standard(secret, body=BODY, headers={**headers, "webhook-id": "msg_2"}, now=NOW)
    with pytest.raises(sig.SignatureError, match="tolerance"):
        sig.verify_standard(secret, body=BODY, headers=headers, now=NOW + 301)
    with pytest.raises(sig.SignatureError, match="tolerance"):
        sig.verify_standard(secret, body=BODY, headers=headers, now=NOW - 301)  # from the future
    with pytest.raises(sig.SignatureError, match="does not match"):
        sig.verify_standard(other, body=BODY, headers=headers, now=NOW)


# ------------------------------------------------------------------------------------ secrets store
def test_generated_secret_format():
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert generate_secret() != secret


def _webhook_connection(session, world):  # type: ignore[no-untyped-def]
    out = Outbound(load_settings(), resolver=lambda host: ["93.184.216.34"])   # no real DNS in tests
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="zapier",
                                 auth_type="webhook", values={"webhook_url": "https://hooks.zapier.com/hooks/x"},
                                 verify=False, out=out)
    session.commit()
    return saved


def test_webhook_secret_is_shown_once_stored_sealed_and_rotated_with_overlap(session, world):
    saved = _webhook_connection(session, world)
    first = saved.webhook_secret
    conn_id = saved.connection.id
    assert first.startswith("whsec_")
    row = session.scalar(select(WebhookSecret).where(WebhookSecret.connection_id == conn_id))
    assert first.encode() not in row.secret_blob and row.hint == "••••" + first[-4:]
    assert [s.hint for s in list_webhook_secrets(session, conn_id)] == [row.hint]   # listing: hints only

    second = rotate_webhook_secret(session, actor=world.staff_email, connection_id=conn_id,
                                   overlap=timedelta(hours=1))
    session.commit()
    assert second != first and live_webhook_secrets(session, conn_id) == [second, first]
    delivery = std_headers(first, "msg_9", int(utcnow().timestamp()))
    sig.verify_standard(live_webhook_secrets(session, conn_id), body=BODY, headers=delivery)   # old still ok

    old = session.get(WebhookSecret, row.id)
    old.retires_at = utcnow() - timedelta(seconds=1)          # the overlap window has passed
    session.commit()
    assert live_webhook_secrets(session, conn_id) == [second]
    with pytest.raises(sig.SignatureError):
        sig.verify_standard(live_webhook_secrets(session, conn_id), body=BODY, headers=delivery)
    infos = list_webhook_secrets(session, conn_id)
    assert len(infos) == 1 and infos[0].current


def test_revoking_a_connection_retires_its_webhook_secrets(session, world, db_url):
    saved = _webhook_connection(session, world)
    conns.revoke_connection(saved.connection.id, actor=world.staff_email, db_url=db_url)
    session.expire_all()
    assert live_webhook_secrets(session, saved.connection.id) == []
