"""Inbound webhooks over HTTP (the in-process Hub): signature vectors per scheme (valid, tampered, wrong
secret, stale, replayed), duplicates stored once, size/malformed/unknown-connection 4xx with nothing
stored, Mailchimp's validation GET, secrets redacted, and fuzzed bodies and headers (hypothesis)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import Connection
from db.models.webhooks import WebhookRejection
from db.session import session_scope
from services.runtime import http
from services.webhooks import inbound
from tests.webhooks_support import (
    OTHER,
    SECRET,
    calendly,
    counts,
    dumps,
    handled,
    hubspot,
    post,
    shared,
    webflow,
    with_secret,
)

CALENDLY_BODY = {"event": "invitee.created", "created_at": "2026-01-01T10:00:00.000000Z",
                 "payload": {"email": "jane.doe@example.com", "name": "Jane Doe", "status": "active",
                             "event": "https://api.calendly.com/scheduled_events/AAA", "rescheduled": False,
                             "old_invitee": None, "cancel_url": "https://calendly.com/cancellations/X",
                             "reschedule_url": "https://calendly.com/reschedulings/X"}}
HUBSPOT_BODY = [{"eventId": 100, "subscriptionId": 5, "portalId": 62515, "appId": 1234567, "occurredAt": 1,
                 "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 51,
                 "changeSource": "CRM"}]
WEBFLOW_BODY = {"triggerType": "form_submission",
                "payload": {"name": "Contact", "siteId": "site1", "data": {"email": "jane@example.com"},
                            "submittedAt": "2026-01-01T10:00:00.000Z", "id": "sub1"}}


def _url(base: str, service: str, cid: int) -> str:
    return inbound.inbound_url(base, service, cid)


def test_calendly_valid_tampered_wrong_secret_stale_and_replayed(connect, session, creds_env):
    cid = connect("calendly")
    with_secret(session, cid)
    url, body = _url(creds_env, "calendly", cid), dumps(CALENDLY_BODY)
    ok = post(url, body, calendly(SECRET, body))
    assert ok.status_code == 200, ok.text
    assert ok.json()["events"] == 1
    assert handled(cid)[0]["trigger"] == "event_scheduled"

    tampered = post(url, body.replace(b"Jane", b"John"), calendly(SECRET, body))
    wrong = post(url, body, calendly(OTHER, body))
    stale = post(url, body, calendly(SECRET, body, ts=int(time.time()) - 600))
    future = post(url, body, calendly(SECRET, body, ts=int(time.time()) + 600))
    missing = post(url, body, {"content-type": "application/json"})
    for response in (tampered, wrong, stale, future, missing):
        assert response.status_code == 401, response.text
    assert "tolerance" in stale.json()["message"] and "does not match" in wrong.json()["message"]
    replay = post(url, body, calendly(SECRET, body))       # a fresh signature over the same delivery
    assert replay.status_code == 200 and replay.json() == {"ok": True, "message": "duplicate (already received)",
                                                          "events": 0, "duplicates": 1}
    assert counts(cid) == (1, 5)
    with session_scope() as s:
        reasons = s.scalars(select(WebhookRejection.reason).where(WebhookRejection.connection_id == cid)).all()
    assert all(r.startswith("verification failed") for r in reasons)
    assert not any(SECRET[-8:] in r for r in reasons)


def test_hubspot_v3_batch_splits_on_event_id_and_dedupes(connect, session, creds_env):
    cid = connect("hubspot")
    with_secret(session, cid)
    url = _url(creds_env, "hubspot", cid)
    batch = HUBSPOT_BODY + [{**HUBSPOT_BODY[0], "eventId": 101, "subscriptionType": "deal.propertyChange",
                             "propertyName": "dealstage", "propertyValue": "closedwon"}]
    body = dumps(batch)
    assert post(url, body, hubspot(SECRET, url, body)).json()["events"] == 2
    events = handled(cid, 2)
    assert [e["trigger"] for e in events] == ["contact_created_updated", "deal_stage_changed"]
    # The same events in a new batch (HubSpot retries) are recognised by eventId.
    body2 = dumps(list(reversed(batch)))
    assert post(url, body2, hubspot(SECRET, url, body2)).json() == {"ok": True, "events": 0, "duplicates": 2,
                                                                    "message": "duplicate (already received)"}
    assert post(url, body, hubspot(SECRET, url + "?x=1", body)).status_code == 401       # other URI signed
    assert post(url, body, hubspot(SECRET, url, body, ts_ms=int(time.time() * 1000) - 400_000)).status_code == 401
    assert post(url, body, hubspot(OTHER, url, body)).status_code == 401
    assert counts(cid) == (2, 3)


def test_webflow_and_rotation_overlap(connect, session, creds_env):
    cid = connect("webflow")
    with_secret(session, cid, OTHER)
    with_secret(session, cid, SECRET)          # OTHER stays valid for the overlap window
    url, body = _url(creds_env, "webflow", cid), dumps(WEBFLOW_BODY)
    assert post(url, body, webflow(OTHER, body)).status_code == 200
    assert post(url, body + b" ", webflow(SECRET, body)).status_code == 401
    assert post(url, body, webflow(SECRET, body, ts_ms=int(time.time() * 1000) - 301_000)).status_code == 401
    event = handled(cid)[0]
    assert event["trigger"] == "form_submitted" and event["output"]["data"] == {"email": "jane@example.com"}


@pytest.mark.parametrize("service", ["n8n", "make", "zapier"])
def test_bridges_verify_the_shared_header(service, connect, session, creds_env):
    cid = connect(service)
    with_secret(session, cid)
    url, body = _url(creds_env, service, cid), dumps({"lead": {"email": "jane@example.com"}, "api_key": "k-123"})
    assert post(url, body, shared(OTHER)).status_code == 401
    assert post(url, body, {"content-type": "application/json"}).json()["message"] == \
        "verification failed: missing shared secret header"
    assert post(url, body, shared(SECRET)).status_code == 200
    assert post(url, body, shared(SECRET)).json()["duplicates"] == 1        # same body hash
    event = handled(cid)[0]
    assert event["trigger"] == "inbound_webhook"
    assert event["output"]["payload"] == {"lead": {"email": "jane@example.com"}, "api_key": "[redacted]"}


def test_url_secret_mailchimp_form_post_and_validation_get(connect, session, creds_env):
    cid = connect("mailchimp")
    with_secret(session, cid)
    url = _url(creds_env, "mailchimp", cid)
    with http.make_client() as c:
        assert c.get(url).status_code == 200                                   # Mailchimp's URL check
        assert c.post(url, content=b"").status_code == 200
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = (b"type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D=a6b5da1054"
            b"&data%5Bemail%5D=api%40mailchimp.com&data%5Bemail_type%5D=html&data%5Bmerges%5D%5BFNAME%5D=Mailchimp")
    assert post(url, body, form).status_code == 401
    assert post(url + "?secret=" + OTHER, body, form).status_code == 401
    assert post(url + "?secret=" + SECRET, body, form).status_code == 200
    event = handled(cid)[0]
    assert event["trigger"] == "subscriber_added"
    assert event["output"] == {"email": "api@mailchimp.com", "list_id": "a6b5da1054", "merges": {"FNAME": "Mailchimp"},
                               "fired_at": "2009-03-26 21:35:57"}
    assert counts(cid) == (1, 2)


def test_size_malformed_unknown_connection_and_wrong_service(connect, session, creds_env):
    cid = connect("n8n")
    with_secret(session, cid)
    url = _url(creds_env, "n8n", cid)
    big = post(url, b"{" + b" " * (inbound.MAX_BODY + 1) + b"}", shared(SECRET))
    assert big.status_code == 413 and "payload over" in big.json()["message"]
    assert post(url, b"{not json", shared(SECRET)).status_code == 400
    assert post(url, b"[]", shared(SECRET)).status_code == 400
    assert post(url, b"42", shared(SECRET)).status_code == 400
    assert post(_url(creds_env, "n8n", 999_999), b"{}", shared(SECRET)).status_code == 404
    assert post(_url(creds_env, "make", cid), b'{"a":1}', shared(SECRET)).status_code == 404   # not a Make connection
    assert counts(cid)[0] == 0


def test_a_connection_without_a_secret_refuses_everything(connect, creds_env):
    cid = connect("n8n")
    response = post(_url(creds_env, "n8n", cid), b'{"a":1}', shared(SECRET))
    assert response.status_code == 401 and "no webhook secret" in response.json()["message"]
    assert counts(cid) == (0, 1)


_header_names = st.sampled_from(["X-Layers-Webhook-Secret", "Calendly-Webhook-Signature", "content-type",
                                 "x-webflow-signature", "x-webflow-timestamp", "X-HubSpot-Signature-v3",
                                 "X-HubSpot-Request-Timestamp", "webhook-id", "content-length-x"])
_header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60) | st.sampled_from(
    ["9" * 400, "t=" + "9" * 400 + ",v1=ab", "²", "１７００", "1_700", "-" + "9" * 30])   # hostile timestamps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(service=st.sampled_from(["calendly", "hubspot", "webflow", "n8n", "mailchimp"]),
       body=st.binary(max_size=300) | st.text(max_size=200).map(str.encode)
       | st.sampled_from([b"[" * 100_000, b"[" * 995 + b"]" * 995, b"a" + b"[b]" * 3000 + b"=1"]),   # deep nesting
       headers=st.dictionaries(_header_names, _header_values, max_size=5),
       query=st.dictionaries(st.sampled_from(["secret", "x"]), _header_values, max_size=2))
def test_fuzzed_deliveries_never_5xx_and_never_store(service, body, headers, query, connect, session, creds_env,
                                                     db_url):
    cid = _fuzz_connections(connect, session, db_url)[service]
    before = counts(cid)[0]
    with session_scope() as s:
        outcome = inbound.receive(s, service=service, connection_id=cid, method="POST",
                                  url=_url(creds_env, service, cid), headers=headers, query=query, body=body)
    assert 400 <= outcome.status < 500 or (service == "mailchimp" and not body and outcome.status == 200)
    assert counts(cid)[0] == before == 0


def test_fuzzed_over_http_never_5xx(connect, session, creds_env):
    cid = connect("calendly")
    with_secret(session, cid)
    url = _url(creds_env, "calendly", cid)
    for body, headers in [(b"\xff\xfe\x00", {"Calendly-Webhook-Signature": "t=,v1="}),
                          (b"{}", {"Calendly-Webhook-Signature": "t=abc,v1=zz"}),
                          (b"{}", {"Calendly-Webhook-Signature": ",,,="}),
                          (b"", {"content-type": "application/json"})]:
        assert 400 <= post(url, body, headers).status_code < 500
    assert counts(cid)[0] == 0


_cache: dict[str, dict[str, int]] = {}


def _fuzz_connections(connect, session, key: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One connection per service for all examples of a test (the private database is the cache key)."""
    if key not in _cache:
        ids = {}
        for slug in ("calendly", "hubspot", "webflow", "n8n", "mailchimp"):
            ids[slug] = connect(slug)
            with_secret(session, ids[slug])
        _cache.clear()
        _cache[key] = ids
    return _cache[key]


def test_concurrent_duplicates_are_stored_once(connect, session, creds_env):
    from concurrent.futures import ThreadPoolExecutor

    cid = connect("n8n")
    with_secret(session, cid)
    url, body = _url(creds_env, "n8n", cid), dumps({"order": 1})
    with ThreadPoolExecutor(8) as pool:
        statuses = [r.status_code for r in pool.map(lambda _: post(url, body, shared(SECRET)), range(8))]
    assert statuses == [200] * 8
    assert counts(cid) == (1, 0)
    assert handled(cid)[0]["status"] == "handled"          # and handled once, after the answers


def test_standard_webhooks_scheme_and_replay_by_webhook_id(connect, session, creds_env):
    from services.connect.signatures import SignatureError, sign_standard

    cid = connect("n8n")
    with_secret(session, cid)
    body, ts = b'{"type":"user.created"}', str(int(time.time()))
    headers = {"webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": sign_standard(SECRET, "msg_1", ts,
                                                                                                 body),
               "content-type": "application/json"}
    conn = session.get(Connection, cid)
    inbound.verify("standard_webhooks", [SECRET], conn=conn, method="POST", url="", headers=headers, query={},
                   body=body)
    for bad in ({**headers, "webhook-id": "msg_2"}, {**headers, "webhook-timestamp": str(int(ts) - 301)}):
        with pytest.raises(SignatureError):
            inbound.verify("standard_webhooks", [SECRET], conn=conn, method="POST", url="", headers=bad, query={},
                           body=body)
    with pytest.raises(SignatureError):
        inbound.verify("standard_webhooks", [OTHER], conn=conn, method="POST", url="", headers=headers, query={},
                       body=body)
    # The dedupe key is the webhook-id: the same message re-sent with a new signature time is a duplicate.
    with session_scope() as s:
        first = inbound.receive(s, service="n8n", connection_id=cid, method="POST", url="", query={}, body=body,
                                headers={**headers, "X-Layers-Webhook-Secret": SECRET})
    with session_scope() as s:
        again = inbound.receive(s, service="n8n", connection_id=cid, method="POST", url="", query={},
                                body=body + b" ", headers={**headers, "X-Layers-Webhook-Secret": SECRET})
    assert len(first.event_ids) == 1 and again.duplicates == 1 and not again.event_ids
