"""Subscribing a trigger at the provider against the sandboxes: Calendly (URL, events, scope, signing key),
Webflow (site webhook for OAuth connections; the sandbox then delivers signed events that the Hub verifies and
stores) and HubSpot (app-level target URL + subscriptions with the Hub's developer credentials; events dispatched
by portalId). Refusals name the problem; every subscription is audited without secrets; every request the
clients send matches the official definitions. Unsubscribe deletes only what the Hub created for the connection
and trigger (HubSpot: the app's subscriptions, for every portal), and a second call removes nothing."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Connection
from db.models.webhooks import ProviderApp
from services.cli import main
from services.connect.keys import rotate_keys
from services.connect.oauth import start_authorization
from services.core.errors import InvalidInput, NotFound
from services.providers.calendly import sandbox as sandbox_calendly
from services.providers.calendly import webhooks as calendly_webhooks
from services.providers.hubspot import sandbox as sandbox_hubspot
from services.providers.hubspot import sandbox_webhooks as hubspot_webhooks
from services.providers.hubspot.sandbox import validate_hubspot_request
from services.providers.webflow import sandbox as sandbox_webflow
from services.providers.webflow import sandbox_webhooks as webflow_webhooks
from services.providers.webflow.sandbox import validate_webflow_request
from services.runtime.executors.run import run_action
from services.sandbox import faults, store
from services.webhooks import apps, inbound, inbox, subscribe
from tests.credentials_support import KEY_A, KEY_B, approve, follow
from tests.test_pages import signed_in
from tests.webhooks_support import SECRET, calendly, counts, dumps, handled, hubspot, post, with_secret


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


def test_unsupported_providers_and_triggers_say_so(connect, session, creds_env):
    assert subscribe.subscribable("mailchimp") == []
    assert subscribe.subscribable("calendly") == ["event_scheduled", "event_canceled", "event_rescheduled"]
    assert subscribe.subscribable("hubspot") == ["contact_created_updated", "deal_stage_changed"]
    assert subscribe.subscribable("webflow") == ["form_submitted", "cms_item_created"]
    with pytest.raises(InvalidInput, match="cannot subscribe"):
        subscribe.subscribe(session, actor="eng", connection_id=1, service="hubspot", trigger="form_submitted")
    cid = connect("calendly")
    with pytest.raises(NotFound, match="not a webflow connection"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted")


# ------------------------------------------------------------------------------------------------ Webflow
def webflow_oauth(session, world, account: str = "acme") -> int:  # type: ignore[no-untyped-def]
    """A Webflow connection made through the sandbox OAuth flow (its token was issued to the sandbox client)."""
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="webflow",
                              sandbox_connection=True)
    session.commit()
    assert follow(approve(url, account=account)).status_code == 200
    session.expire_all()
    return session.scalars(select(Connection.id).order_by(Connection.id.desc())).first()


def _contract(requests: list[dict], validate) -> None:  # type: ignore[no-untyped-def]
    assert requests
    for r in requests:
        assert validate(r["method"], r["url"], r["request_body"]) == [], r


def test_webflow_subscription_then_a_signed_form_submission_is_verified_and_stored(session, world, creds_env):
    cid = webflow_oauth(session, world)
    requests: list[dict] = []
    resource = subscribe.subscribe(session, actor="eng@layers.example", connection_id=cid, service="webflow",
                                   trigger="form_submitted", requests=requests,
                                   params={"site_id": sandbox_webflow.SITE_ID, "form_name": "Contact Us"})
    session.commit()
    url = inbound.inbound_url(creds_env, "webflow", cid)
    [hook] = sandbox_webflow.state("acme")["webhooks"].values()
    assert (hook["triggerType"], hook["url"], hook["filter"], hook["siteId"]) == (
        "form_submission", url, {"name": "Contact Us"}, sandbox_webflow.SITE_ID)
    assert resource["webhooks"][0]["id"] == hook["id"] and "_secret" not in resource["webhooks"][0]
    _contract(requests, validate_webflow_request)
    assert [(r["method"], r["status"]) for r in requests] == [("GET", 200), ("POST", 201)]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))
    assert entry.after["webhooks"] == [hook["id"]] and entry.after["url"] == url
    assert "sbx_secret" not in str(entry.after) and "sbx_acme" not in str(entry.after)

    # Subscribing again reuses the webhook instead of adding a second one.
    again = subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted",
                                params={"site_id": sandbox_webflow.SITE_ID, "form_name": "Contact Us"})
    session.commit()
    assert again["webhooks"][0]["id"] == hook["id"] and len(sandbox_webflow.state("acme")["webhooks"]) == 1

    # A visitor submits the form: the sandbox signs with the OAuth app's client secret; the Hub verifies it.
    [sent] = webflow_webhooks.submit_form("acme", sandbox_webflow.SITE_ID, "Contact Us", {"email": "v@example.com"})
    assert sent["signed"] and sent["status"] == 200, sent
    assert webflow_webhooks.submit_form("acme", sandbox_webflow.SITE_ID, "Newsletter", {"email": "x@example.com"}) \
        == []                                                                  # filtered out by filter.name
    [event] = handled(cid)
    assert event["trigger"] == "form_submitted" and event["status"] == "handled"
    assert event["output"]["name"] == "Contact Us" and event["output"]["data"] == {"email": "v@example.com"}


def test_webflow_cms_item_created_is_delivered_after_an_api_create(session, world, creds_env):
    cid = webflow_oauth(session, world, "cms")
    subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="cms_item_created",
                        params={"site_id": sandbox_webflow.SITE_ID})
    session.commit()
    result = run_action(cid, "create_cms_item", {"collection_id": sandbox_webflow.COLLECTION_ID,
                                                 "name": "Launch", "slug": "launch"}, mode="live")
    assert result.ok, result.error
    [event] = handled(cid)
    assert event["trigger"] == "cms_item_created" and event["output"]["fieldData"]["slug"] == "launch"
    assert sandbox_webflow.state("cms")["deliveries"][0]["signed"] is True


def test_webflow_site_token_connection_is_refused_before_any_call(connect, session, creds_env):
    cid = connect("webflow")
    with pytest.raises(InvalidInput, match="site token.*OAuth"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted")
    assert sandbox_webflow.state("acme")["webhooks"] == {}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed")) is None


def test_webflow_limit_and_refusals_quote_the_provider(session, world, creds_env):
    cid = webflow_oauth(session, world, "full")
    with sandbox_webflow.STORE.use("full") as data:   # the site already has Webflow's maximum for the trigger
        for n in range(webflow_webhooks.LIMIT_PER_TRIGGER):
            data["webhooks"][f"w{n}"] = {"id": f"w{n}", "triggerType": "form_submission", "siteId": data["sites"][
                sandbox_webflow.SITE_ID]["id"], "url": f"https://hooks.example.com/{n}", "_secret": None}
    with pytest.raises(InvalidInput, match=r"Webflow refused the subscription: .*400.*limit of 75"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted",
                            params={"site_id": sandbox_webflow.SITE_ID})
    with pytest.raises(InvalidInput, match="Webflow refused the subscription: .*404.*site cannot be found"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="cms_item_created",
                            params={"site_id": "ffffffffffffffffffffffff"})
    with pytest.raises(InvalidInput, match="no Webflow site id"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="cms_item_created")
    with pytest.raises(InvalidInput, match="takes no parameter scope_name"):
        subscribe.subscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted",
                            params={"scope_name": "x"})
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed")) is None


# ------------------------------------------------------------------------------------------------ HubSpot
DEV_KEY = "sbx_dev.developer-key"
APP = hubspot_webhooks.app_id("dev")


def with_app(session, key: str = DEV_KEY, app: int = APP) -> None:  # type: ignore[no-untyped-def]
    apps.set_app(session, actor="admin@layers.example", service="hubspot", app_id=str(app), developer_api_key=key,
                 sandbox=True)
    session.commit()


def test_hubspot_subscription_sets_the_app_target_and_events_are_dispatched_by_portal(connect, session, creds_env):
    with_app(session)
    acme, beta = connect("hubspot", "acme"), connect("hubspot", "beta")
    requests: list[dict] = []
    resource = subscribe.subscribe(session, actor="eng@layers.example", connection_id=acme, service="hubspot",
                                   trigger="contact_created_updated", params={"properties": "email, phone"},
                                   requests=requests)
    session.commit()
    target = inbound.app_url(creds_env, "hubspot", str(APP))
    app = hubspot_webhooks.state("dev")["apps"][str(APP)]
    assert app["settings"]["targetUrl"] == target == resource["targetUrl"]
    assert app["settings"]["throttling"] == {"maxConcurrentRequests": 10}
    assert sorted((s["eventType"], s.get("propertyName"), s["active"]) for s in app["subscriptions"].values()) == [
        ("contact.creation", None, True), ("contact.propertyChange", "email", True),
        ("contact.propertyChange", "phone", True)]
    _contract(requests, validate_hubspot_request)
    assert [r["method"] for r in requests] == ["GET", "GET", "PUT", "GET", "POST", "POST", "POST"]
    assert DEV_KEY not in str(requests)
    assert session.get(Connection, acme).provider_metadata["hub_id"] == sandbox_hubspot.portal_id("acme")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))
    assert entry.after["url"] == target and entry.after["previous_target"] is None and len(entry.after["created"]) == 3
    assert DEV_KEY not in str(entry.after) and "sbx_secret" not in str(entry.after)

    # A second connection (another portal) adds its trigger's subscription; the target URL is not rewritten.
    subscribe.subscribe(session, actor="eng", connection_id=beta, service="hubspot", trigger="deal_stage_changed")
    session.commit()
    app = hubspot_webhooks.state("dev")["apps"][str(APP)]
    assert len(app["subscriptions"]) == 4 and app["settings"]["targetUrl"] == target

    # HubSpot then sends each portal's events to the one app URL, signed with the app's client secret.
    [to_acme] = hubspot_webhooks.fire(APP, "acme", [{"subscriptionType": "contact.creation", "objectId": 51}])
    [to_beta] = hubspot_webhooks.fire(APP, "beta", [
        {"subscriptionType": "deal.propertyChange", "objectId": 9001, "propertyName": "dealstage",
         "propertyValue": "closedwon"},
        {"subscriptionType": "deal.propertyChange", "objectId": 9001, "propertyName": "amount"}])   # not subscribed
    [orphan] = hubspot_webhooks.fire(APP, "nobody", [{"subscriptionType": "contact.creation", "objectId": 1}])
    assert (to_acme["status"], to_beta["status"], to_beta["events"], orphan["status"]) == (200, 200, 1, 200)
    [a] = handled(acme)
    assert a["trigger"] == "contact_created_updated" and a["output"]["portalId"] == sandbox_hubspot.portal_id("acme")
    [b] = handled(beta)
    assert b["trigger"] == "deal_stage_changed" and b["output"]["propertyValue"] == "closedwon"


def test_hubspot_app_route_verifies_the_signature_and_knows_its_apps(connect, session, creds_env):
    with_app(session)
    cid = connect("hubspot", "acme")
    subscribe.subscribe(session, actor="eng", connection_id=cid, service="hubspot", trigger="deal_stage_changed")
    session.commit()
    target = inbound.app_url(creds_env, "hubspot", str(APP))
    body = dumps([{"eventId": 7, "subscriptionId": 1, "portalId": sandbox_hubspot.portal_id("acme"), "appId": APP,
                   "occurredAt": 1, "subscriptionType": "deal.propertyChange", "objectId": 9001,
                   "propertyName": "dealstage", "propertyValue": "closedwon"}])
    assert post(target, body, hubspot(SECRET, target, body)).status_code == 401       # not the app's secret
    assert post(target + "0", body, hubspot("sbx_secret_hubspot", target + "0", body)).status_code == 404
    assert counts(cid) == (0, 0)
    session.expire_all()   # the failed verification is kept as the app's, for the inbox (no connection)
    [rejected] = inbox.rejections(session).to_dict("records")
    assert rejected["connection"] == f"hubspot app {APP}" and rejected["HTTP status"] == 401
    assert "verification failed" in rejected["reason"]
    ok = post(target, body, hubspot("sbx_secret_hubspot", target, body))
    assert ok.status_code == 200 and ok.json()["events"] == 1
    assert post(target, body, hubspot("sbx_secret_hubspot", target, body)).json()["duplicates"] == 1
    assert handled(cid)[0]["trigger"] == "deal_stage_changed"


@pytest.mark.parametrize(("call", "what"), [(subscribe.subscribe, "subscription"),
                                           (subscribe.unsubscribe, "unsubscription")])
def test_hubspot_refusals_name_the_problem(call, what, connect, session, creds_env):
    cid = connect("hubspot", "acme")

    def refused(match: str) -> None:
        with pytest.raises(InvalidInput, match=match):
            call(session, actor="eng", connection_id=cid, service="hubspot", trigger="deal_stage_changed")

    refused("HubSpot app \\(sandbox\\) is not set: run `layers-hub webhooks app set")
    with_app(session, key="not-a-sandbox-developer-key")
    refused("refused the app's developer API key: .*401.*API key provided is invalid")
    with_app(session, app=APP + 1)
    refused(f"HubSpot refused the {what}: .*404.*App {APP + 1} not found")
    with_app(session)
    session.get(Connection, cid).auth_type = "api_key"
    session.commit()
    refused("private-app token.*only be set in HubSpot")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action.like("webhook.%subscribed"))) is None
    assert hubspot_webhooks.state("dev")["apps"] == {}


def test_app_credentials_are_sealed_audited_as_a_hint_and_rotated_with_the_keys(session, creds_env, monkeypatch):
    with_app(session)
    row = session.scalar(select(ProviderApp))
    assert DEV_KEY.encode() not in row.secret_blob and row.hint == "••••-key"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "provider_app.updated"))
    assert entry.after == {"service": "hubspot", "sandbox": True, "app_id": str(APP), "developer_api_key": "••••-key"}
    assert apps.get_app(session, "hubspot", sandbox=True).developer_api_key == DEV_KEY
    assert apps.get_app(session, "hubspot", sandbox=False) is None
    with pytest.raises(InvalidInput, match="number"):
        apps.set_app(session, actor="a", service="hubspot", app_id="my-app", developer_api_key=DEV_KEY)
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", f"{KEY_B},{KEY_A}")
    report = rotate_keys()
    assert report.failed == [] and report.reencrypted >= 1
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", KEY_B)
    session.expire_all()
    assert apps.get_app(session, "hubspot", sandbox=True).developer_api_key == DEV_KEY


# ------------------------------------------------------------------------------------------------ unsubscribe
def _unsubscribed(session, cid: int) -> dict:  # type: ignore[no-untyped-def]
    """The connection's last webhook.unsubscribed audit row (after), checked free of secrets."""
    session.expire_all()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.unsubscribed",
                                                     AuditEntry.entity_id == str(cid))
                            .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.entity_type == "connection"
    for secret in (SECRET, DEV_KEY, "sbx_secret", "calendly-at", "site-token", "sbx_acme"):
        assert secret not in str(entry.after), secret
    return entry.after


def _subscribe_each(session, service: str, calls) -> None:  # type: ignore[no-untyped-def]
    """Subscribe each (connection, trigger, keyword arguments) in turn."""
    for conn, trigger, extra in calls:
        subscribe.subscribe(session, actor="eng", connection_id=conn, service=service, trigger=trigger, **extra)
        session.commit()


def _unsubscribe(session, cid: int, service: str, trigger: str, **extra):  # type: ignore[no-untyped-def]
    """(result, redacted requests) of an engineer's unsubscribe."""
    requests: list[dict] = []
    result = subscribe.unsubscribe(session, actor="eng@layers.example", connection_id=cid, service=service,
                                   trigger=trigger, requests=requests, **extra)
    session.commit()
    return result, requests


def test_calendly_unsubscribe_removes_only_the_connections_own_subscriptions(connect, session, creds_env):
    cid, other = connect("calendly", "acme"), connect("calendly", "acme")   # same Calendly user, two Hub URLs
    with_secret(session, cid)
    _subscribe_each(session, "calendly", [(cid, "event_scheduled", {}), (other, "event_scheduled", {}),
                                          (cid, "event_canceled", {"scope": "organization"})])
    url = inbound.inbound_url(creds_env, "calendly", cid)
    [mine] = [h for h in sandbox_calendly.state("acme")["webhooks"].values()
              if h["callback_url"] == url and h["scope"] == "user"]
    result, requests = _unsubscribe(session, cid, "calendly", "event_scheduled")
    uuid = mine["uri"].rsplit("/", 1)[1]
    assert result["removed"] == [uuid] and result["url"] == url
    held = sandbox_calendly.state("acme")["webhooks"].values()
    # Kept: this connection's other trigger (organization scope, invitee.canceled) and the other connection's.
    assert sorted((h["callback_url"] == url, h["events"], h["scope"]) for h in held) == [
        (False, ["invitee.created"], "user"), (True, ["invitee.canceled"], "organization")]
    assert [(r["method"], r["status"]) for r in requests] == [("GET", 200), ("GET", 200), ("GET", 200),
                                                              ("DELETE", 204)]
    assert "scope=user" in requests[1]["url"] and "user=" in requests[1]["url"]
    assert "scope=organization" in requests[2]["url"] and requests[3]["url"].endswith(f"/webhook_subscriptions/{uuid}")
    assert subscribe.unsubscribe_summary("calendly", result).startswith("removed 1 Calendly subscription(s) (")
    after = _unsubscribed(session, cid)
    assert (after["service"], after["trigger"], after["removed"]) == ("calendly", "event_scheduled", [uuid])

    # Again: nothing left to remove, nothing deleted, said so.
    again, requests = _unsubscribe(session, cid, "calendly", "event_scheduled")
    assert again["removed"] == [] and "DELETE" not in [r["method"] for r in requests]
    assert subscribe.unsubscribe_summary("calendly", again).startswith("nothing to remove: Calendly holds no ")
    assert len(sandbox_calendly.state("acme")["webhooks"]) == 2 and _unsubscribed(session, cid)["removed"] == []


def test_calendly_unsubscribe_refusals_quote_the_provider_and_name_the_problem(connect, session, creds_env):
    cid = connect("calendly", "limited")
    subscribe.subscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="event_scheduled")
    session.commit()
    faults.arm(faults.Fault(provider="calendly", account="limited", kind="rate_limit", times=3, retry_after=90))
    with pytest.raises(InvalidInput, match="Calendly refused the unsubscription: .*exceeded the rate limit"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="event_scheduled")
    faults.clear()
    session.get(Connection, cid).status = "revoked"
    session.commit()
    with pytest.raises(InvalidInput, match="(?i)revoked.*cannot list or delete its Calendly subscriptions"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="event_scheduled")
    with pytest.raises(InvalidInput, match="cannot unsubscribe from calendly 'nope'"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="calendly", trigger="nope")
    with pytest.raises(NotFound, match="not a webflow connection"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="form_submitted")
    assert len(sandbox_calendly.state("limited")["webhooks"]) == 1
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.unsubscribed")) is None


def test_webflow_unsubscribe_deletes_the_connections_webhooks_and_keeps_the_rest(session, world, creds_env):
    cid, other = webflow_oauth(session, world), webflow_oauth(session, world)
    site = {"params": {"site_id": sandbox_webflow.SITE_ID}}
    _subscribe_each(session, "webflow", [(cid, "form_submitted", site), (cid, "cms_item_created", site),
                                         (other, "form_submitted", site)])
    url = inbound.inbound_url(creds_env, "webflow", cid)
    [mine] = [h for h in sandbox_webflow.state("acme")["webhooks"].values()
              if h["url"] == url and h["triggerType"] == "form_submission"]
    result, requests = _unsubscribe(session, cid, "webflow", "form_submitted", **site)
    assert result["removed"] == [mine["id"]] and result["labels"] == [f"form_submission webhook {mine['id']}"]
    assert sorted((h["url"] == url, h["triggerType"]) for h in sandbox_webflow.state("acme")["webhooks"].values()) \
        == [(False, "form_submission"), (True, "collection_item_created")]
    _contract(requests, validate_webflow_request)
    assert [(r["method"], r["status"]) for r in requests] == [("GET", 200), ("DELETE", 204)]
    assert requests[1]["url"].endswith(f"/v2/webhooks/{mine['id']}")
    assert _unsubscribed(session, cid)["removed"] == [mine["id"]]
    [sent] = webflow_webhooks.submit_form("acme", sandbox_webflow.SITE_ID, "Contact", {"a": "b"})   # the other's
    assert sent["url"] == inbound.inbound_url(creds_env, "webflow", other)

    again, _ = _unsubscribe(session, cid, "webflow", "form_submitted", **site)
    assert again["removed"] == [] and subscribe.unsubscribe_summary("webflow", again).startswith("nothing to remove")
    with pytest.raises(InvalidInput, match="Webflow refused the unsubscription: .*404.*site cannot be found"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="cms_item_created",
                              params={"site_id": "ffffffffffffffffffffffff"})
    with pytest.raises(InvalidInput, match="no Webflow site id"):
        subscribe.unsubscribe(session, actor="eng", connection_id=cid, service="webflow", trigger="cms_item_created")


def test_webflow_unsubscribe_with_a_form_name_deletes_that_forms_webhook_only(session, world, creds_env):
    cid = webflow_oauth(session, world, "forms")
    _subscribe_each(session, "webflow", [(cid, "form_submitted", {"params": {
        "site_id": sandbox_webflow.SITE_ID, "form_name": form}}) for form in ("Contact Us", "Newsletter")])
    result, _ = _unsubscribe(session, cid, "webflow", "form_submitted",
                             params={"site_id": sandbox_webflow.SITE_ID, "form_name": "Newsletter"})
    [kept] = sandbox_webflow.state("forms")["webhooks"].values()
    assert kept["filter"] == {"name": "Contact Us"} and len(result["removed"]) == 1


def test_hubspot_unsubscribe_deletes_the_triggers_app_subscriptions_for_every_portal(connect, session, creds_env):
    with_app(session)
    acme, beta = connect("hubspot", "acme"), connect("hubspot", "beta")
    _subscribe_each(session, "hubspot", [(acme, "contact_created_updated",
                                          {"params": {"properties": "email, phone, company"}}),
                                         (beta, "deal_stage_changed", {})])
    ids = {(s["eventType"], s.get("propertyName")): s["id"]
           for s in hubspot_webhooks.state("dev")["apps"][str(APP)]["subscriptions"].values()}
    # Default properties (email, firstname, lastname, phone, lifecyclestage): "company" is not among them.
    result, requests = _unsubscribe(session, acme, "hubspot", "contact_created_updated")
    wanted = [ids[("contact.creation", None)], ids[("contact.propertyChange", "email")],
              ids[("contact.propertyChange", "phone")]]
    assert sorted(result["removed"]) == sorted(wanted) and result["appId"] == str(APP) and result["allPortals"]
    app = hubspot_webhooks.state("dev")["apps"][str(APP)]
    assert sorted((s["eventType"], s.get("propertyName")) for s in app["subscriptions"].values()) == [
        ("contact.propertyChange", "company"), ("deal.propertyChange", "dealstage")]
    assert app["settings"]["targetUrl"] == inbound.app_url(creds_env, "hubspot", str(APP))   # left for the rest
    _contract(requests, validate_hubspot_request)
    assert [r["method"] for r in requests] == ["GET", "DELETE", "DELETE", "DELETE"] and DEV_KEY not in str(requests)
    line = subscribe.unsubscribe_summary("hubspot", result)
    assert line.startswith(f"removed 3 HubSpot subscription(s) (app {APP}: this affects every portal connected to ")
    assert "contact.propertyChange (email)" in line
    after = _unsubscribed(session, acme)
    assert sorted(after["removed"]) == sorted(wanted) and after["appId"] == str(APP)
    # No portal gets contact.creation any more; beta's deal stage changes still arrive.
    assert hubspot_webhooks.fire(APP, "acme", [{"subscriptionType": "contact.creation", "objectId": 1}]) == []
    [sent] = hubspot_webhooks.fire(APP, "beta", [{"subscriptionType": "deal.propertyChange", "objectId": 2,
                                                  "propertyName": "dealstage", "propertyValue": "won"}])
    assert sent["status"] == 200

    # Again: nothing to remove; the subscription "company" goes when named, even from a revoked connection
    # (HubSpot's calls use the app's developer key, not the connection's token).
    again, _ = _unsubscribe(session, acme, "hubspot", "contact_created_updated")
    assert again["removed"] == [] and subscribe.unsubscribe_summary("hubspot", again).startswith("nothing to remove")
    session.get(Connection, acme).status = "revoked"
    session.commit()
    named, _ = _unsubscribe(session, acme, "hubspot", "contact_created_updated", params={"properties": "company"})
    assert named["removed"] == [ids[("contact.propertyChange", "company")]]


# ------------------------------------------------------------------------------------------------ page and CLI
def _bridge(role: str, connection_id: int):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("bridge.py").run()
    at.selectbox(key="wh_conn").set_value(connection_id).run()
    assert not at.exception, at.exception
    return at


def test_page_subscribe_button_draws_the_parameters_and_subscribes(connect, session, creds_env):
    with_app(session)
    cid = connect("hubspot", "acme")
    at = _bridge("engineer", cid)
    at.selectbox(key="wh_sub_trigger").set_value("deal_stage_changed").run()
    assert at.text_input(key="wh_sub_deal_stage_changed_properties").value == "dealstage"
    assert any("every portal that installed the app" in c.value for c in at.caption)
    at.button(key="wh_subscribe").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Subscribed deal_stage_changed (Deal stage changed): app ")
    assert "deal.propertyChange (dealstage)" in at.success[0].value
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))
    assert entry.actor == "engineer@layers.example" and entry.after["trigger"] == "deal_stage_changed"


def test_page_shows_the_refusal_and_hides_the_button_from_support(connect, session, creds_env):
    cid = connect("webflow")
    at = _bridge("engineer", cid)
    at.button(key="wh_subscribe").click().run()
    assert "site token" in at.error[0].value and not at.success
    support = _bridge("support", cid)
    assert "wh_subscribe" not in [b.key for b in support.button]


def test_cli_stores_the_app_from_stdin_and_subscribes(connect, session, creds_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(DEV_KEY + "\n"))
    assert main(["webhooks", "app", "set", "hubspot", "--app-id", str(APP), "--developer-key-stdin",
                 "--sandbox"]) == 0
    assert capsys.readouterr().out.strip() == f"hubspot sandbox app {APP}: developer API key ••••-key stored encrypted"
    assert main(["webhooks", "app", "list", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["app id"], row["kind"], row["developer API key"]) == (str(APP), "sandbox", "••••-key")
    cid = connect("hubspot", "acme")
    monkeypatch.setenv("HUB_ACTOR", "ops@layers.example")
    assert main(["webhooks", "subscribe", str(cid), "contact_created_updated", "--param", "properties=email",
                 "--show-requests"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"subscribed hubspot contact_created_updated: app {APP} → ")
    assert "contact.propertyChange (email)" in out and "PUT " in out and DEV_KEY not in out
    session.expire_all()
    assert session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "webhook.subscribed")) == \
        "ops@layers.example"
    assert main(["webhooks", "subscribe", str(cid), "form_submitted"]) == 2
    assert "cannot subscribe" in capsys.readouterr().err
    assert main(["webhooks", "app", "set", "hubspot", "--app-id", "1"]) == 2
    assert "stdin only" in capsys.readouterr().err


def test_cli_unsubscribe_refuses_without_yes_then_removes(connect, session, creds_env, capsys, monkeypatch):
    with_app(session)
    cid = connect("hubspot", "acme")
    subscribe.subscribe(session, actor="eng", connection_id=cid, service="hubspot", trigger="deal_stage_changed")
    session.commit()
    assert main(["webhooks", "unsubscribe", str(cid), "deal_stage_changed"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass --yes" in err and "every portal" in err
    assert len(hubspot_webhooks.state("dev")["apps"][str(APP)]["subscriptions"]) == 1   # nothing deleted
    monkeypatch.setenv("HUB_ACTOR", "ops@layers.example")
    assert main(["webhooks", "unsubscribe", str(cid), "deal_stage_changed", "--yes", "--show-requests"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"unsubscribed hubspot deal_stage_changed: removed 1 HubSpot subscription(s) (app {APP}: "
                          "this affects every portal connected to the app): deal.propertyChange (dealstage) #")
    assert "DELETE " in out and "-> 204" in out and DEV_KEY not in out
    assert hubspot_webhooks.state("dev")["apps"][str(APP)]["subscriptions"] == {}
    session.expire_all()
    assert session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "webhook.unsubscribed")) == \
        "ops@layers.example"
    assert main(["webhooks", "unsubscribe", str(cid), "deal_stage_changed", "--yes", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["removed"], result["service"], result["trigger"]) == ([], "hubspot", "deal_stage_changed")
    assert main(["webhooks", "unsubscribe", str(cid), "form_submitted", "--yes"]) == 2
    assert "cannot unsubscribe from hubspot 'form_submitted'" in capsys.readouterr().err


def test_calendly_listing_skips_organization_scope_a_member_may_not_list():
    """Calendly answers 403 to a non-admin listing organization-scope subscriptions; such a user could not have
    created one, so the user-scope ones are still found (any other refusal still stops the unsubscribe)."""
    from services.runtime.provider_errors import AuthError

    class Member:   # a client for a Calendly user who is not an organization admin
        def __init__(self, status: int) -> None:
            self.status = status

        def request(self, method, path, params):  # type: ignore[no-untyped-def]
            if params["scope"] == "organization":
                raise AuthError("Permission Denied", status=self.status)

            class Page:
                def json(self):  # type: ignore[no-untyped-def]
                    return {"collection": [{"uri": "u/1", "scope": "user"}], "pagination": {}}
            return Page()

    me = {"current_organization": "org", "uri": "me"}
    assert calendly_webhooks.list_subscriptions(Member(403), me) == [{"uri": "u/1", "scope": "user"}]
    with pytest.raises(AuthError):
        calendly_webhooks.list_subscriptions(Member(401), me)
