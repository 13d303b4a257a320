"""Each catalog trigger's mapping from documented (or, where marked B in the catalog, believed) sample
payloads, and that every mapped output carries exactly the trigger's catalog output fields."""

from __future__ import annotations

import pytest

from services.catalog import load_catalog
from services.webhooks.inbound import _form, redact
from services.webhooks.triggers import map_event, split

# Calendly webhook payload (developer.calendly.com "Webhook payload"): invitee fields under "payload".
INVITEE = {"email": "jane.doe@example.com", "name": "Jane Doe", "status": "active", "rescheduled": False,
           "event": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2", "old_invitee": None,
           "new_invitee": None, "cancel_url": "https://calendly.com/cancellations/AAAA",
           "reschedule_url": "https://calendly.com/reschedulings/AAAA", "uri": "https://api.calendly.com/x"}


def _calendly(event: str, **changes):  # type: ignore[no-untyped-def]
    return {"event": event, "created_at": "2026-01-01T10:00:00.000000Z", "payload": {**INVITEE, **changes}}


def _mapped(service: str, payload, headers=None):  # type: ignore[no-untyped-def]
    [(event_type, _, item)] = split(service, payload, headers or {})
    return map_event(service, event_type, item)


def test_calendly_scheduled_canceled_and_rescheduled():
    key, out = _mapped("calendly", _calendly("invitee.created"))
    assert key == "event_scheduled"
    assert out == {k: INVITEE[k] for k in load_catalog().get("calendly").triggers[key].outputs}
    assert _mapped("calendly", _calendly("invitee.canceled", status="canceled"))[0] == "event_canceled"
    key, out = _mapped("calendly", _calendly("invitee.canceled", status="canceled", rescheduled=True,
                                             new_invitee="https://api.calendly.com/x2"))
    assert key == "event_rescheduled" and out["rescheduled"] is True
    # The created half of a reschedule (old_invitee set) is not a new booking.
    assert _mapped("calendly", _calendly("invitee.created", old_invitee="https://api.calendly.com/x1")) is None
    assert _mapped("calendly", _calendly("routing_form_submission.created")) is None


def test_hubspot_contact_and_deal_events():
    batch = [{"eventId": 1, "subscriptionId": 25, "portalId": 62515, "appId": 1160452, "occurredAt": 1567541440114,
              "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 51,
              "changeSource": "CRM", "propertyName": "email", "propertyValue": "jane.doe@example.com"},
             {"eventId": 2, "subscriptionType": "deal.propertyChange", "objectId": 7, "portalId": 62515,
              "occurredAt": 1, "propertyName": "dealstage", "propertyValue": "closedwon"},
             {"eventId": 3, "subscriptionType": "deal.propertyChange", "objectId": 7, "propertyName": "amount"},
             {"eventId": 4, "subscriptionType": "contact.creation", "objectId": 52, "portalId": 62515}]
    events = split("hubspot", batch, {})
    assert [e[1] for e in events] == ["1", "2", "3", "4"]
    mapped = [map_event("hubspot", t, item) for t, _, item in events]
    assert mapped[0] == ("contact_created_updated", {"objectId": 51, "subscriptionType": "contact.propertyChange",
                                                     "propertyName": "email", "propertyValue": "jane.doe@example.com",
                                                     "portalId": 62515, "occurredAt": 1567541440114})
    assert mapped[1][0] == "deal_stage_changed" and mapped[1][1]["propertyValue"] == "closedwon"
    assert mapped[2] is None                       # not a stage change
    assert mapped[3][0] == "contact_created_updated"


def test_webflow_form_submission_and_cms_item():
    form = {"triggerType": "form_submission",
            "payload": {"name": "Sample Form", "siteId": "62749158efef318abc8d5a0f",
                        "data": {"First Name": "Zaphod", "Email": "zaphod@heartofgold.ai"},
                        "submittedAt": "2022-09-14T12:35:16.117Z", "id": "6321ca84df3949bfc6752327",
                        "formId": "6321ca84df3949bfc6752327"}}
    key, out = _mapped("webflow", form)
    assert key == "form_submitted" and out["data"]["Email"] == "zaphod@heartofgold.ai" and "formId" not in out
    item = {"triggerType": "collection_item_created",
            "payload": {"id": "642", "fieldData": {"name": "Post"}, "isDraft": False,
                        "createdOn": "2023-03-17T18:47:35.560Z", "cmsLocaleId": "x"}}
    assert _mapped("webflow", item) == ("cms_item_created", {"id": "642", "fieldData": {"name": "Post"},
                                                             "isDraft": False, "createdOn": "2023-03-17T18:47:35.560Z"})
    assert _mapped("webflow", {"triggerType": "site_publish", "payload": {}}) is None


def test_wordpress_plugin_payloads():
    post = {"hook": "publish_post", "post_id": 12, "post_permalink": "https://blog.example.com/hello",
            "post": {"ID": 12, "post_author": "3", "post_title": "Hello", "post_status": "publish"}}
    assert _mapped("wordpress", post) == ("new_post_published", {"id": 12, "title": "Hello",
                                                                 "link": "https://blog.example.com/hello",
                                                                 "author": "3"})
    comment = {"hook": "comment_post", "comment": {"comment_ID": "9", "comment_post_ID": "12",
                                                   "comment_author": "Jane", "comment_content": "Nice"}}
    assert _mapped("wordpress", comment) == ("new_comment", {"id": "9", "post": "12", "author_name": "Jane",
                                                             "content": "Nice"})
    form = {"hook": "wpcf7_mail_sent", "form_id": "5", "fields": {"your-email": "a@example.com"}}
    assert _mapped("wordpress", form) == ("form_submitted", {"form_id": "5", "fields": {"your-email": "a@example.com"}})
    # The event may come in a header instead of the body.
    assert _mapped("wordpress", {"post": {"ID": 1}}, {"X-Layers-Event": "publish_post"})[0] == "new_post_published"


def test_mailchimp_form_posts():
    unsub = _form(b"type=unsubscribe&fired_at=2009-03-26+21%3A40%3A57&data%5Baction%5D=unsub&data%5Breason%5D=manual"
                  b"&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D=a6b5da1054&data%5Bemail%5D=api%2Bunsub%40mailchimp.com")
    assert _mapped("mailchimp", unsub) == ("subscriber_unsubscribed", {
        "email": "api+unsub@mailchimp.com", "list_id": "a6b5da1054", "reason": "manual",
        "fired_at": "2009-03-26 21:40:57"})
    campaign = _form(b"type=campaign&fired_at=2009-03-26+22%3A15%3A09&data%5Bid%5D=5aa2102003"
                     b"&data%5Bsubject%5D=Test+Campaign+Subject&data%5Bstatus%5D=sent&data%5Breason%5D="
                     b"&data%5Blist_id%5D=a6b5da1054")
    assert _mapped("mailchimp", campaign)[1] == {"campaign_id": "5aa2102003", "subject": "Test Campaign Subject",
                                                 "status": "sent", "list_id": "a6b5da1054",
                                                 "fired_at": "2009-03-26 22:15:09"}
    assert _mapped("mailchimp", _form(b"type=cleaned&data%5Bemail%5D=x")) is None


def test_activecampaign_form_posts():
    sub = _form(b"type=subscribe&date_time=2026-01-01T10%3A00%3A00-06%3A00&list=3&contact%5Bid%5D=42"
                b"&contact%5Bemail%5D=jane%40example.com")
    assert _mapped("activecampaign", sub) == ("contact_subscribed", {"contact_id": "42", "email": "jane@example.com",
                                                                     "list_id": "3",
                                                                     "date_time": "2026-01-01T10:00:00-06:00"})
    tag = _form(b"type=contact_tag_added&tag=vip&contact%5Bid%5D=42&contact%5Bemail%5D=jane%40example.com")
    assert _mapped("activecampaign", tag)[1]["tag"] == "vip"
    deal = _form(b"type=deal_update&deal%5Bid%5D=7&deal%5Bstageid%5D=2&deal%5Bstage_title%5D=Won&contact%5Bid%5D=42")
    assert _mapped("activecampaign", deal) == ("deal_stage_changed", {"deal_id": "7", "stage_id": "2",
                                                                      "stage_title": "Won", "contact_id": "42"})


@pytest.mark.parametrize("service", ["n8n", "make", "zapier"])
def test_bridges_pass_the_payload_through(service):
    assert _mapped(service, {"anything": [1, 2]}) == ("inbound_webhook", {"payload": {"anything": [1, 2]}})


def test_mapped_outputs_use_only_catalog_fields():
    catalog = load_catalog()
    samples = {"calendly": _calendly("invitee.created"), "webflow": {"triggerType": "form_submission", "payload": {}},
               "wordpress": {"hook": "comment_post", "comment": {}}, "mailchimp": {"type": "subscribe", "data": {}},
               "activecampaign": {"type": "contact_tag_added"}, "hubspot": [{"subscriptionType": "contact.creation"}]}
    for service, payload in samples.items():
        key, out = _mapped(service, payload)
        assert set(out) == set(catalog.get(service).triggers[key].outputs), service


def test_redaction_and_form_edge_cases():
    assert redact({"a": {"api_key": "x", "Password": "y", "ok": [{"token": "t"}]}, "empty_secret": ""}) == \
        {"a": {"api_key": "[redacted]", "Password": "[redacted]", "ok": [{"token": "[redacted]"}]},
         "empty_secret": ""}
    assert _form(b"a[b]=1&a=2") == {"a": "2"}                 # the later plain value wins
    assert _form(b"a=2&a[b]=1") == {"a": {"b": "1"}}
    with pytest.raises(ValueError):
        _form(b"no-equals-sign")
