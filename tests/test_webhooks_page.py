"""The webhook inbox page (AppTest) per role: engineers, support and admins see received events, failed
verifications (with why) and outbound deliveries, and can replay an event (audited); PMs and leadership
cannot open it. Unsubscribe (engineers and admins) needs a ticked confirmation naming the connection (for
HubSpot: every portal of the app)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from db.models.webhooks import WebhookDelivery, WebhookEvent, WebhookRejection, ZapierHook
from tests.test_pages import signed_in


@pytest.fixture
def inbox_data(session, connect):  # type: ignore[no-untyped-def]
    cal = connect("calendly")
    zap = connect("zapier")
    session.add(WebhookEvent(connection_id=cal, service="calendly", event_type="invitee.created",
                             dedupe_key="sha256:abc", scheme="calendly", status="failed", attempts=1,
                             error="KeyError: boom",
                             payload={"event": "invitee.created", "api_key": "[redacted]",
                                      "payload": {"email": "jane@example.com", "old_invitee": None}}))
    session.add(WebhookRejection(connection_id=cal, service="calendly", status_code=401,
                                 reason="verification failed: signature does not match"))
    hook = ZapierHook(connection_id=zap, event="calendly.event_scheduled",
                      target_url="https://hooks.zapier.com/hooks/standard/123/secretpath/", active=False,
                      disabled_reason="the target answered 410 Gone")
    session.add(hook)
    session.flush()
    session.add(WebhookDelivery(hook_id=hook.id, msg_id="msg_1", event="calendly.event_scheduled", payload={},
                                status="disabled",
                                attempts=1, last_status_code=410, log=[{"status": 410}]))
    session.commit()
    return cal


def _open(role: str):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("bridge.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Webhooks & bridge"
    return at


@pytest.mark.parametrize("role", ["engineer", "support", "admin"])
def test_inbox_shows_events_failures_and_deliveries(role, inbox_data, session):
    at = _open(role)
    events = next(d.value for d in at.dataframe if "verification" in d.value.columns)
    assert events["event type"].tolist() == ["invitee.created"] and events["status"].tolist() == ["failed"]
    assert events["verification"].tolist() == ["verified (calendly)"]
    rejected = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert rejected["reason"].tolist() == ["verification failed: signature does not match"]
    hooks = next(d.value for d in at.dataframe if "target" in d.value.columns)
    assert hooks["target"].tolist() == ["https://hooks.zapier.com/…"]          # the URL path is Zapier's secret
    deliveries = next(d.value for d in at.dataframe if "attempt log" in d.value.columns)
    assert deliveries["status"].tolist() == ["disabled"] and deliveries["last HTTP status"].tolist() == [410]
    assert "KeyError: boom" in at.error[0].value
    assert "secretpath" not in str([d.value.to_dict() for d in at.dataframe])

    at.button(key="wh_replay").click().run()
    assert not at.exception, at.exception
    assert "Replayed event" in at.success[0].value and "handled" in at.success[0].value
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook_event.replayed"))
    assert entry.before["status"] == "failed" and entry.after == {"status": "handled", "trigger": "event_scheduled"}


def test_connection_filter_shows_its_inbound_url(inbox_data):
    at = _open("engineer")
    at.selectbox(key="wh_conn").set_value(inbox_data).run()
    assert not at.exception, at.exception
    assert at.code[0].value.endswith(f"/hooks/calendly/{inbox_data}")


@pytest.mark.parametrize("role", ["pm", "leadership"])
def test_other_roles_cannot_open_it(role, staffed):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    with pytest.raises(ValueError):
        at.switch_page("bridge.py")


@pytest.fixture
def staffed(session):  # type: ignore[no-untyped-def]
    from services import demo

    demo.ensure_demo_staff(session)
    session.commit()


def test_engineer_subscribes_a_calendly_trigger_support_cannot(inbox_data, session):
    from services.sandbox import store

    store.reset_all()
    at = _open("support")
    at.selectbox(key="wh_conn").set_value(inbox_data).run()
    assert "wh_subscribe" not in {b.key for b in at.button}
    at = _open("engineer")
    at.selectbox(key="wh_conn").set_value(inbox_data).run()
    at.selectbox(key="wh_sub_trigger").set_value("event_canceled").run()
    at.button(key="wh_subscribe").click().run()
    assert not at.exception, at.exception
    assert "Subscribed event_canceled" in at.success[0].value
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))
    assert entry.actor == "engineer@layers.example" and entry.after["events"] == ["invitee.canceled"]
    store.reset_all()


def test_the_counts_above_the_tabs_name_what_each_tab_holds(inbox_data):
    at = _open("support")
    assert [(m.label, m.value) for m in at.metric] == [("Received events", "1"), ("Failed verifications", "1"),
                                                       ("Outbound deliveries", "1")]
    events = next(d.value for d in at.dataframe if "verification" in d.value.columns)
    assert events["connection"].tolist() == [f"#{inbox_data} Calendly · Sandbox Test Agency"]   # not a bare id


def test_support_cannot_prune(inbox_data):
    at = _open("support")
    assert "Retention" not in [t.label for t in at.tabs]
    assert "wh_prune" not in {b.key for b in at.button}


@pytest.mark.parametrize("role", ["engineer", "admin"])
def test_engineers_and_admins_prune_behind_a_confirmation(role, inbox_data, session):
    from datetime import timedelta

    from sqlalchemy import func, update

    from db.base import utcnow

    session.execute(update(WebhookRejection).values(received_at=utcnow() - timedelta(days=30)))
    session.commit()
    at = _open(role)
    assert [t.label for t in at.tabs][-1] == "Retention"
    assert "**1** failed verifications, older than 14 days" in at.markdown[-1].value
    assert at.button(key="wh_prune").disabled
    at.checkbox(key="wh_prune_confirm").check().run()
    at.button(key="wh_prune").click().run()
    assert not at.exception, at.exception
    assert "Deleted 1 row (recorded in the audit log)" in at.success[0].value
    assert "Nothing is older than these limits." in [i.value for i in at.info]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WebhookRejection)) == 0
    assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1     # failed: kept for a replay
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhooks.pruned"))
    assert entry.actor == f"{role}@layers.example" and entry.after["rejections"] == 1


# ------------------------------------------------------------------------------------------------ unsubscribe
@pytest.fixture
def _sandbox():  # type: ignore[no-untyped-def]
    from services.sandbox import store

    store.reset_all()
    yield
    store.reset_all()


def _subscribed_bridge(role: str, session, cid: int, service: str, trigger: str):  # type: ignore[no-untyped-def]
    from services.webhooks import subscribe
    from tests.test_webhooks_subscribe import _bridge

    subscribe.subscribe(session, actor="eng", connection_id=cid, service=service, trigger=trigger)
    session.commit()
    at = _bridge(role, cid)
    at.selectbox(key="wh_sub_trigger").set_value(trigger).run()
    return at


def test_unsubscribe_needs_the_confirmation_then_removes_and_shows_the_exchanges(_sandbox, connect, session,
                                                                                 creds_env):
    from streamlit.testing.v1.element_tree import AppTestError

    from services.providers.calendly import sandbox as sandbox_calendly

    cid = connect("calendly", "acme")
    at = _subscribed_bridge("engineer", session, cid, "calendly", "event_scheduled")
    button, box = at.button(key="wh_unsubscribe"), at.checkbox(key="wh_unsub_confirm")
    assert button.disabled and not box.value
    assert f"#{cid} Calendly · " in box.label and "event_scheduled (Event scheduled)" in box.label
    with pytest.raises(AppTestError, match="disabled"):
        button.click()
    assert len(sandbox_calendly.state("acme")["webhooks"]) == 1
    box.check().run()
    at.button(key="wh_unsubscribe").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Unsubscribed event_scheduled (Event scheduled): removed 1 Calendly ")
    exchanges = next(d.value for d in at.dataframe if "method" in d.value.columns)
    assert exchanges["method"].tolist() == ["GET", "GET", "GET", "DELETE"]
    assert sandbox_calendly.state("acme")["webhooks"] == {}
    session.expire_all()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.unsubscribed"))
    assert entry.actor == "engineer@layers.example" and entry.after["trigger"] == "event_scheduled"
    # Each unsubscribe asks again: the box is cleared and the button disabled after the run.
    assert not at.checkbox(key="wh_unsub_confirm").value and at.button(key="wh_unsubscribe").disabled
    at.checkbox(key="wh_unsub_confirm").check().run()
    at.button(key="wh_unsubscribe").click().run()   # a second one finds nothing
    assert at.success[0].value.startswith("Unsubscribed event_scheduled (Event scheduled): nothing to remove")


def test_hubspot_unsubscribe_confirmation_names_every_portal_of_the_app(_sandbox, connect, session, creds_env):
    from services.providers.hubspot import sandbox_webhooks as hubspot_webhooks
    from tests.test_webhooks_subscribe import APP, with_app

    with_app(session)
    cid = connect("hubspot", "acme")
    at = _subscribed_bridge("admin", session, cid, "hubspot", "deal_stage_changed")
    assert f"every portal of app {APP}" in at.checkbox(key="wh_unsub_confirm").label
    at.checkbox(key="wh_unsub_confirm").check().run()
    at.button(key="wh_unsubscribe").click().run()
    assert not at.exception, at.exception
    assert "this affects every portal connected to the app" in at.success[0].value
    assert hubspot_webhooks.state("dev")["apps"][str(APP)]["subscriptions"] == {}


def test_roles_that_cannot_subscribe_see_no_unsubscribe(_sandbox, connect, session, creds_env):
    from tests.test_webhooks_subscribe import _bridge

    at = _bridge("support", connect("calendly", "acme"))
    assert "wh_unsubscribe" not in [b.key for b in at.button]
    assert "wh_unsub_confirm" not in [c.key for c in at.checkbox]
