"""The Salesforce sandbox behaves like the REST API where the Hub relies on it: the catalog's requests on
the instance paths, sObject create / update / upsert by external id (201, 200 or 204, 300), required
fields and the JSON-array error bodies, 401 INVALID_SESSION_ID, Sforce-Limit-Info on every response,
403 REQUEST_LIMIT_EXCEEDED past the daily allocation, fault switches and per-org state."""

from __future__ import annotations

import re
import time

import pytest

from services import sandbox
from services.providers.salesforce import sandbox as sf
from services.sandbox import faults
from services.sandbox.common import _Grant
from tests.sandbox_support import examples, sandbox_client

INSTANCE = "/sandbox/salesforce/instance"
DATA = f"{INSTANCE}/services/data/v66.0"
SOBJECTS = f"{DATA}/sobjects"
ACME = {"Authorization": "Bearer sbx_acme.sf-session"}
BETA = {"Authorization": "Bearer sbx_beta"}
CAMPAIGN, LEAD, CONTACT, OPPORTUNITY = (sf.checksum_id(i) for i in ("701000000000001", "00Q000000000001",
                                                                     "003000000000001", "006000000000001"))


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def usage(response) -> int:  # type: ignore[no-untyped-def]
    match = re.fullmatch(r"api-usage=(\d+)/(\d+)", response.headers["Sforce-Limit-Info"])
    assert match, response.headers.get("Sforce-Limit-Info")
    return int(match.group(1))


def error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    return body[0]


# --------------------------------------------------------------------------- the catalog's requests
def test_the_catalogs_requests_on_the_instance(client):
    method, path, body = examples("salesforce", "add_to_campaign")
    body = {k: v for k, v in body.items() if k != "ContactId"}                # a lead or a contact
    url = sandbox.rewrite("salesforce", "https://example.my.salesforce.com/services/data/v66.0" + path,
                          "http://testserver")
    assert url == f"http://testserver{SOBJECTS}/CampaignMember"
    member = client.request(method, url, json=body, headers=ACME)
    assert member.status_code == 201 and member.json()["success"] is True
    method, path, body = examples("salesforce", "create_task")
    task = client.request(method, f"{DATA}{path}", json=body, headers=ACME)
    assert task.status_code == 201
    stored = sf.state("acme")["records"]["Task"][task.json()["id"]]
    assert stored["WhoId"] == LEAD and stored["WhatId"] == OPPORTUNITY and stored["ActivityDate"] == "2026-01-31"
    method, path, body = examples("salesforce", "upsert_record")
    upserted = client.request(method, f"{DATA}{path}", json=body, headers=ACME)
    assert upserted.status_code == 201 and upserted.json()["created"] is True


def test_the_version_list_is_not_counted(client):
    versions = client.get(f"{INSTANCE}/services/data/", headers=ACME)
    assert versions.status_code == 200 and usage(versions) == 0
    assert {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"} in versions.json()
    assert usage(client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME)) == 1
    assert usage(client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME)) == 2
    assert usage(client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=BETA)) == 1         # per org
    assert client.get(f"{DATA}/limits", headers=ACME).json()["DailyApiRequests"] == {"Max": 15000,
                                                                                      "Remaining": 14998}


# --------------------------------------------------------------------------- create and update
def test_create_lead_contact_opportunity(client):
    lead = client.post(f"{SOBJECTS}/Lead", json={"LastName": "Doe", "Company": "Example Inc"}, headers=ACME)
    assert lead.status_code == 201 and lead.json()["success"] is True and lead.json()["errors"] == []
    lead_id = lead.json()["id"]
    assert re.fullmatch(r"00Q[0-9A-Za-z]{15}", lead_id) and sf.checksum_id(lead_id[:15]) == lead_id
    record = client.get(f"{SOBJECTS}/Lead/{lead_id}", headers=ACME).json()
    assert record["attributes"] == {"type": "Lead", "url": f"/services/data/v66.0/sobjects/Lead/{lead_id}"}
    assert record["Status"] == "Open - Not Contacted" and record["Company"] == "Example Inc"
    contact = client.post(f"{SOBJECTS}/Contact", json={"LastName": "Roe", "AccountId": "001000000000001"},
                          headers=ACME)
    assert contact.status_code == 201
    assert sf.state("acme")["records"]["Contact"][contact.json()["id"]]["AccountId"] == "001000000000001AAA"
    opp = client.post(f"{SOBJECTS}/Opportunity", json={"Name": "Deal", "StageName": "Prospecting",
                                                      "CloseDate": "2026-06-30", "Amount": 1200.5}, headers=ACME)
    assert opp.status_code == 201
    assert sf.state("beta")["records"]["Lead"].keys() == {LEAD}


@pytest.mark.parametrize("obj, body, missing", [
    ("Lead", {"FirstName": "Jane"}, ["LastName", "Company"]),
    ("Lead", {"LastName": "Doe"}, ["Company"]),
    ("Contact", {"Email": "a@example.com"}, ["LastName"]),
    ("Opportunity", {"Name": "Deal"}, ["StageName", "CloseDate"]),
    ("CampaignMember", {"CampaignId": CAMPAIGN}, ["ContactId", "LeadId"]),
])
def test_required_fields(client, obj, body, missing):
    response = client.post(f"{SOBJECTS}/{obj}", json=body, headers=ACME)
    assert response.status_code == 400
    assert error(response) == {"message": f"Required fields are missing: [{', '.join(missing)}]",
                               "errorCode": "REQUIRED_FIELD_MISSING", "fields": missing}


def test_field_errors(client):
    unknown = client.post(f"{SOBJECTS}/Lead", json={"LastName": "D", "Company": "C", "Colour": "red"}, headers=ACME)
    assert error(unknown) == {"message": "No such column 'Colour' on sobject of type Lead",
                              "errorCode": "INVALID_FIELD"}
    read_only = client.post(f"{SOBJECTS}/Lead", json={"Id": LEAD, "LastName": "D", "Company": "C"}, headers=ACME)
    assert error(read_only)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    bad_date = client.post(f"{SOBJECTS}/Opportunity", json={"Name": "D", "StageName": "Prospecting",
                                                            "CloseDate": "31/01/2026"}, headers=ACME)
    assert bad_date.status_code == 400 and error(bad_date)["errorCode"] == "JSON_PARSER_ERROR"
    custom = client.post(f"{SOBJECTS}/Lead", json={"LastName": "D", "Company": "C", "Score__c": 7}, headers=ACME)
    assert custom.status_code == 201                                         # custom fields exist in the org
    bad_json = client.post(f"{SOBJECTS}/Lead", content=b"{not json", headers=ACME)
    assert error(bad_json)["errorCode"] == "JSON_PARSER_ERROR"


def test_references_are_checked(client):
    malformed = client.post(f"{SOBJECTS}/Task", json={"Subject": "x", "WhoId": "nope"}, headers=ACME)
    assert error(malformed) == {"message": "Name ID: id value of incorrect type: nope", "errorCode": "MALFORMED_ID",
                                "fields": ["WhoId"]}
    wrong_object = client.post(f"{SOBJECTS}/Task", json={"Subject": "x", "WhoId": OPPORTUNITY}, headers=ACME)
    assert error(wrong_object)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    missing = client.post(f"{SOBJECTS}/CampaignMember", json={"CampaignId": "701000000000009AAA", "LeadId": LEAD},
                          headers=ACME)
    assert error(missing)["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_campaign_members_and_tasks(client):
    first = client.post(f"{SOBJECTS}/CampaignMember", json={"CampaignId": CAMPAIGN, "LeadId": LEAD}, headers=ACME)
    assert first.status_code == 201
    member = sf.state("acme")["records"]["CampaignMember"][first.json()["id"]]
    assert member["Status"] == "Sent" and first.json()["id"].startswith("00v")
    again = client.post(f"{SOBJECTS}/CampaignMember", json={"CampaignId": CAMPAIGN, "LeadId": LEAD[:15]},
                        headers=ACME)
    assert error(again) == {"message": "Already a campaign member.", "errorCode": "DUPLICATE_VALUE"}
    contact = client.post(f"{SOBJECTS}/CampaignMember", json={"CampaignId": CAMPAIGN, "ContactId": CONTACT,
                                                              "Status": "Responded"}, headers=ACME)
    assert contact.status_code == 201
    task = client.post(f"{SOBJECTS}/Task", json={"Subject": "Call back", "WhoId": CONTACT}, headers=ACME)
    stored = sf.state("acme")["records"]["Task"][task.json()["id"]]
    assert stored["Status"] == "Not Started" and stored["Priority"] == "Normal"


def test_patch_by_id(client):
    updated = client.patch(f"{SOBJECTS}/Lead/{LEAD}", json={"Title": "CTO"}, headers=ACME)
    assert updated.status_code == 204 and updated.content == b""
    assert sf.state("acme")["records"]["Lead"][LEAD]["Title"] == "CTO"
    assert client.patch(f"{SOBJECTS}/Lead/{LEAD[:15]}", json={"Title": "CEO"}, headers=ACME).status_code == 204
    cleared = client.patch(f"{SOBJECTS}/Lead/{LEAD}", json={"Company": None}, headers=ACME)
    assert error(cleared)["errorCode"] == "REQUIRED_FIELD_MISSING"
    missing = client.patch(f"{SOBJECTS}/Lead/00Q000000009999AAA", json={"Title": "x"}, headers=ACME)
    assert missing.status_code == 404 and error(missing)["errorCode"] == "NOT_FOUND"
    assert client.post(f"{SOBJECTS}/Widget", json={}, headers=ACME).status_code == 404
    assert client.get(f"{INSTANCE}/services/data/v99.0/sobjects/Lead/{LEAD}", headers=ACME).status_code == 404


# --------------------------------------------------------------------------- upsert by external id
def test_upsert_creates_then_updates(client):
    url = f"{SOBJECTS}/Lead/Email__c/ada@example.com"
    created = client.patch(url, json={"LastName": "Lovelace", "Company": "Engines"}, headers=ACME)
    assert created.status_code == 201 and created.json()["created"] is True
    lead_id = created.json()["id"]
    assert sf.state("acme")["records"]["Lead"][lead_id]["Email__c"] == "ada@example.com"
    updated = client.patch(f"{SOBJECTS}/Lead/Email__c/ADA@example.com", json={"Title": "Countess"}, headers=ACME)
    assert updated.status_code == 200
    assert updated.json() == {"id": lead_id, "success": True, "errors": [], "created": False}
    old_api = client.patch(f"{INSTANCE}/services/data/v45.0/sobjects/Lead/Email__c/ada@example.com",
                           json={"Title": "Countess"}, headers=ACME)
    assert old_api.status_code == 204                                        # before v46.0: 204, no body
    fetched = client.get(url, headers=ACME)
    assert fetched.status_code == 200 and fetched.json()["Id"] == lead_id
    incomplete = client.patch(f"{SOBJECTS}/Lead/Email__c/new@example.com", json={"LastName": "X"}, headers=ACME)
    assert error(incomplete)["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_upsert_edge_cases(client):
    for email in ("a", "b"):
        client.post(f"{SOBJECTS}/Contact", json={"LastName": email, "Ext__c": "dup"}, headers=ACME)
    several = client.patch(f"{SOBJECTS}/Contact/Ext__c/dup", json={"Title": "x"}, headers=ACME)
    assert several.status_code == 300 and len(several.json()) == 2
    assert all(u.startswith("/services/data/v66.0/sobjects/Contact/003") for u in several.json())
    only_update = client.patch(f"{SOBJECTS}/Contact/Ext__c/none?updateOnly=true", json={"LastName": "x"},
                               headers=ACME)
    assert only_update.status_code == 404
    not_external = client.patch(f"{SOBJECTS}/Contact/Email/a@example.com", json={"LastName": "x"}, headers=ACME)
    assert not_external.status_code == 404
    assert error(not_external)["message"] == "Provided external ID field does not exist or is not accessible: Email"
    by_id = client.patch(f"{SOBJECTS}/Contact/Id/{CONTACT}", json={"Title": "x"}, headers=ACME)
    assert by_id.status_code == 200 and by_id.json()["id"] == CONTACT


# --------------------------------------------------------------------------- auth, limits, faults
def test_sessions(client):
    for headers in ({}, {"Authorization": "Bearer 00Dxx!live-looking"}):
        response = client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=headers)
        assert response.status_code == 401
        assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert client.get(f"{SOBJECTS}/Lead/{LEAD}", headers={"Authorization": "OAuth sbx_acme"}).status_code == 200
    sf.OAUTH._access["sbx_acme.issued"] = _Grant("acme", "sbx_client", "api", sf.OAUTH.now() + 60)
    issued = {"Authorization": "Bearer sbx_acme.issued"}
    assert client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=issued).status_code == 200
    sf.OAUTH.expire_all()
    expired = client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=issued)
    assert expired.status_code == 401 and error(expired)["errorCode"] == "INVALID_SESSION_ID"
    del sf.OAUTH._access["sbx_acme.issued"]


def test_daily_allocation_ends_in_403_request_limit_exceeded(client):
    with sf.STORE.use("acme") as data:
        data["api_max"] = 2
    assert [client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME).status_code for _ in range(2)] == [200, 200]
    over = client.post(f"{SOBJECTS}/Lead", json={"LastName": "D", "Company": "C"}, headers=ACME)
    assert over.status_code == 403
    assert error(over) == {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    assert over.headers["Sforce-Limit-Info"] == "api-usage=2/2"
    assert len(sf.state("acme")["records"]["Lead"]) == 1


def test_fault_switches_look_like_salesforce(client):
    faults.arm(faults.Fault("salesforce", "acme", "rate_limit"))
    limited = client.post(f"{SOBJECTS}/Lead", json={"LastName": "D", "Company": "C"}, headers=ACME)
    assert limited.status_code == 403 and error(limited)["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert "Sforce-Limit-Info" in limited.headers
    faults.arm(faults.Fault("salesforce", "acme", "expired_token"))
    assert error(client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME))["errorCode"] == "INVALID_SESSION_ID"
    faults.arm(faults.Fault("salesforce", "acme", "server_error"))
    assert error(client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME))["errorCode"] == "UNKNOWN_EXCEPTION"
    faults.arm(faults.Fault("salesforce", "acme", "unavailable", retry_after=2))
    unavailable = client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME)
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "2"
    faults.arm(faults.Fault("salesforce", "acme", "slow", delay_ms=150))
    started = time.monotonic()
    assert client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME).status_code == 200
    assert time.monotonic() - started >= 0.15
    assert len(sf.state("acme")["records"]["Lead"]) == 1


def test_reads_and_failures_leave_the_org_unchanged(client):
    before = sf.state("acme")
    client.get(f"{SOBJECTS}/Lead/{LEAD}", headers=ACME)
    client.get(f"{SOBJECTS}/Lead/Email__c/none@example.com", headers=ACME)
    client.post(f"{SOBJECTS}/Lead", json={"LastName": "D"}, headers=ACME)
    client.patch(f"{SOBJECTS}/Lead/{LEAD}", json={"Nope": 1}, headers=ACME)
    client.patch(f"{SOBJECTS}/Contact/Ext__c/x?updateOnly=true", json={"LastName": "x"}, headers=ACME)
    assert sf.state("acme") == before
