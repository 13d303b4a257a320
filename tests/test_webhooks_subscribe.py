"""Subscribing a trigger at the provider (Calendly sandbox): the right URL, events, scope and signing key;
then a delivery signed with that key is accepted and mapped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from services.errors import InvalidInput
from services.sandbox import calendly as sandbox_calendly
from services.sandbox import store
from services.webhooks import inbound, subscribe
from tests.webhooks_support import SECRET, calendly, dumps, handled, post, with_secret


@pytest.fixture(autouse=True)
def _fresh_sandbox():
    store.reset_all()
    yield
    store.reset_all()


def test_calendly_subscription_uses_the_inbound_url_and_secret(connect, session, creds_env):
    cid = connect("calendly", "acme")
    with_secret(session, cid)
    resource = subscribe.subscribe(session, actor="eng@layers.example", connection_id=cid, service="calendly",
                                   trigger="event_rescheduled")
    session.commit()
    url = inbound.inbound_url(creds_env, "calendly", cid)
    assert resource["callback_url"] == url and resource["events"] == ["invitee.canceled", "invitee.created"]
    assert "signing_key" not in resource
    [stored] = sandbox_calendly.state("acme")["webhooks"].values()
    assert stored["signing_key"] == SECRET and stored["scope"] == "user"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))
    assert entry.actor == "eng@layers.example" and SECRET not in str(entry.after)
    # Calendly then signs deliveries with that key.
    body = dumps({"event": "invitee.canceled", "payload": {"email": "a@example.com", "rescheduled": True}})
    assert post(url, body, calendly(SECRET, body)).status_code == 200
    assert handled(cid)[0]["trigger"] == "event_rescheduled"


def test_a_secret_is_created_when_missing_and_duplicates_are_refused(connect, session, creds_env):
    cid = connect("calendly", "acme")
    subscribe.subscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="event_scheduled")
    session.commit()
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook_secret.created"))
    with pytest.raises(InvalidInput, match="refused"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="event_scheduled")


def test_unsupported_providers_say_so(connect, session, creds_env):
    assert subscribe.subscribable("hubspot") == []
    assert subscribe.subscribable("calendly") == ["event_scheduled", "event_canceled", "event_rescheduled"]
    with pytest.raises(InvalidInput, match="cannot subscribe"):
        subscribe.subscribe(session, actor="eng", connection_id=1, service="webflow", trigger="form_submitted")
