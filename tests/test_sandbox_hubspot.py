"""The HubSpot sandbox behaves like the real API where the Hub relies on it: the catalog's requests on the
same paths, bodies checked against the official OpenAPI files (specs/hubspot) with HubSpot's
VALIDATION_ERROR body, HubSpot's own rules (properties, options, lists, hs_timestamp, single-send plan),
auth failures, fault switches and per-account state that failed or read-only requests never change; app-level
webhooks (Webhooks v3 with the developer hapikey) and their signed deliveries."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from services import sandbox
from services.catalog import load_catalog
from services.providers.hubspot import sandbox as hs
from services.providers.hubspot import sandbox_webhooks as hw
from services.providers.hubspot.sandbox import find_operation, validate_hubspot_request
from services.sandbox import faults
from services.sandbox.common import _Grant
from services.sandbox.openapi import validate as openapi_validate
from tests.sandbox_support import examples, sandbox_client

API = "/sandbox/hubspot/api"
ACME = {"Authorization": "Bearer sbx_acme.private-app"}
BETA = {"Authorization": "Bearer sbx_beta"}
ENTERPRISE = {"Authorization": "Bearer sbx_big-enterprise"}
NOW = "2026-01-01T09:00:00Z"


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def upsert(client: TestClient, email: str, headers=ACME, **props: str):  # type: ignore[no-untyped-def]
    body = {"inputs": [{"id": email, "idProperty": "email", "properties": props}]}
    return client.post(f"{API}/crm/v3/objects/contacts/batch/upsert", json=body, headers=headers)


def note(contact_id: str = "51", **props: str) -> dict[str, Any]:
    return {"properties": props, "associations": [
        {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]}


# --------------------------------------------------------------------------- the catalog's requests
@pytest.mark.parametrize("action", ["upsert_contact", "add_to_list", "update_deal_stage", "send_email"])
def test_the_catalogs_requests_match_the_official_definition_and_succeed(client, action):
    method, path, body = examples("hubspot", action)
    assert validate_hubspot_request(method, "https://api.hubapi.com" + path, body) == []
    url = sandbox.rewrite("hubspot", "https://api.hubapi.com" + path, "http://testserver")
    assert url == f"http://testserver{API}{path}"
    response = client.request(method, url, json=body, headers=ENTERPRISE)
    assert response.status_code == 200, response.text


def test_every_hubspot_catalog_path_is_an_official_operation():
    for key, action in load_catalog().get("hubspot").actions.items():
        path = action.path.replace("{object_type}", "notes")
        path = re.sub(r"\{\w+\}", "1", path)
        assert find_operation(action.method, path)[0] is not None, key


# --------------------------------------------------------------------------- contacts
def test_batch_upsert_creates_then_updates_by_email(client):
    first = upsert(client, "ada@example.com", firstname="Ada")
    assert first.status_code == 200
    created = first.json()["results"][0]
    assert first.json()["status"] == "COMPLETE" and created["new"] is True
    assert created["properties"]["email"] == "ada@example.com"
    assert created["properties"]["hs_object_id"] == created["id"]
    again = upsert(client, "ADA@example.com", lastname="Lovelace")        # email matching ignores case
    updated = again.json()["results"][0]
    assert again.status_code == 200 and updated["new"] is False and updated["id"] == created["id"]
    stored = hs.state("acme")["objects"]["contacts"][created["id"]]["properties"]
    assert stored["firstname"] == "Ada" and stored["lastname"] == "Lovelace"
    assert hs.state("beta")["objects"]["contacts"].keys() == {"51"}        # accounts do not share data


def test_batch_upsert_answers_207_with_the_failed_inputs(client):
    body = {"inputs": [{"id": "ok@example.com", "idProperty": "email", "properties": {"firstname": "Ok"}},
                       {"id": "not-an-email", "idProperty": "email", "properties": {}},
                       {"id": "x@example.com", "idProperty": "email", "properties": {"favourite_colour": "red"}}]}
    response = client.post(f"{API}/crm/v3/objects/contacts/batch/upsert", json=body, headers=ACME)
    assert response.status_code == 207
    data = response.json()
    assert [r["properties"]["email"] for r in data["results"]] == ["ok@example.com"]
    assert data["numErrors"] == 2
    errors = {e["context"]["ids"][0]: e for e in data["errors"]}
    assert "INVALID_EMAIL" in errors["not-an-email"]["message"]
    assert "PROPERTY_DOESNT_EXIST" in errors["x@example.com"]["message"]
    assert {"status", "category", "message", "context", "errors", "links"} <= set(errors["x@example.com"])


def test_duplicate_ids_in_one_batch_are_refused(client):
    body = {"inputs": [{"id": "a@example.com", "idProperty": "email", "properties": {}},
                       {"id": "A@example.com", "idProperty": "email", "properties": {}}]}
    response = client.post(f"{API}/crm/v3/objects/contacts/batch/upsert", json=body, headers=ACME)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    assert "Duplicate IDs" in response.json()["message"]


def test_patch_contact_by_id_or_by_email(client):
    by_id = client.patch(f"{API}/crm/v3/objects/contacts/51", json={"properties": {"phone": "+15555550100"}},
                         headers=ACME)
    assert by_id.status_code == 200 and by_id.json()["properties"]["phone"] == "+15555550100"
    by_email = client.patch(f"{API}/crm/v3/objects/contacts/jane.doe@example.com?idProperty=email",
                            json={"properties": {"lifecyclestage": "customer"}}, headers=ACME)
    assert by_email.status_code == 200 and by_email.json()["id"] == "51"
    assert hs.state("acme")["objects"]["contacts"]["51"]["properties"]["lifecyclestage"] == "customer"
    cleared = client.patch(f"{API}/crm/v3/objects/contacts/51", json={"properties": {"phone": ""}}, headers=ACME)
    assert "phone" not in cleared.json()["properties"]                       # "" clears a value
    missing = client.patch(f"{API}/crm/v3/objects/contacts/nobody@example.com?idProperty=email",
                           json={"properties": {"firstname": "X"}}, headers=ACME)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_patch_contact_validation_errors_use_hubspots_bodies(client):
    empty = client.patch(f"{API}/crm/v3/objects/contacts/51", json={"properties": {}}, headers=ACME)
    assert empty.status_code == 400
    assert empty.json()["message"] == "No properties found to update, please provide at least one."
    bad = client.patch(f"{API}/crm/v3/objects/contacts/51",
                       json={"properties": {"lifecyclestage": "bogus", "hs_object_id": "7"}}, headers=ACME)
    assert bad.status_code == 400 and bad.json()["category"] == "VALIDATION_ERROR"
    assert bad.json()["message"].startswith("Property values were not valid: [")
    assert {e["code"] for e in bad.json()["errors"]} == {"INVALID_OPTION", "READ_ONLY_VALUE"}
    upsert(client, "other@example.com")
    taken = client.patch(f"{API}/crm/v3/objects/contacts/51", json={"properties": {"email": "other@example.com"}},
                         headers=ACME)
    assert taken.status_code == 409 and taken.json()["category"] == "CONFLICT"
    assert "Existing ID" in taken.json()["message"]


def test_custom_properties_must_exist(client):
    assert upsert(client, "c@example.com", plan_tier="gold").status_code == 207
    hs.define_property("acme", "contacts", "plan_tier")
    assert upsert(client, "c@example.com", plan_tier="gold").status_code == 200


# --------------------------------------------------------------------------- lists
def test_add_to_a_manual_list(client):
    response = client.put(f"{API}/crm/v3/lists/123/memberships/add", json=["51", "999"], headers=ACME)
    assert response.status_code == 200
    assert response.json() == {"recordsIdsAdded": ["51"], "recordIdsMissing": ["999"], "recordIdsRemoved": []}
    again = client.put(f"{API}/crm/v3/lists/123/memberships/add", json=["51"], headers=ACME)
    assert again.json()["recordsIdsAdded"] == [] and again.json()["recordIdsMissing"] == []   # already a member
    members = client.get(f"{API}/crm/v3/lists/123/memberships", headers=ACME).json()
    assert [m["recordId"] for m in members["results"]] == ["51"] and members["total"] == 1
    assert client.get(f"{API}/crm/v3/lists/123", headers=ACME).json()["list"]["size"] == 1
    snapshot = client.put(f"{API}/crm/v3/lists/125/memberships/add", json=["51"], headers=ACME)
    assert snapshot.json()["recordsIdsAdded"] == ["51"]                     # SNAPSHOT lists accept too


def test_dynamic_and_unknown_lists_are_refused(client):
    dynamic = client.put(f"{API}/crm/v3/lists/124/memberships/add", json=["51"], headers=ACME)
    assert dynamic.status_code == 400 and "MANUAL or SNAPSHOT" in dynamic.json()["message"]
    unknown = client.put(f"{API}/crm/v3/lists/999/memberships/add", json=["51"], headers=ACME)
    assert unknown.status_code == 404 and unknown.json()["category"] == "OBJECT_NOT_FOUND"
    assert hs.state("acme")["lists"]["124"]["members"] == {}


def test_create_a_list_then_fill_it(client):
    created = client.post(f"{API}/crm/v3/lists", json={"name": "VIP", "objectTypeId": "0-1",
                                                       "processingType": "MANUAL"}, headers=ACME)
    assert created.status_code == 200
    list_id = created.json()["list"]["listId"]
    assert client.put(f"{API}/crm/v3/lists/{list_id}/memberships/add", json=["51"],
                      headers=ACME).json()["recordsIdsAdded"] == ["51"]
    duplicate = client.post(f"{API}/crm/v3/lists", json={"name": "VIP", "objectTypeId": "0-1",
                                                         "processingType": "MANUAL"}, headers=ACME)
    assert duplicate.status_code == 400


# --------------------------------------------------------------------------- deals
def test_update_deal_stage(client):
    moved = client.patch(f"{API}/crm/v3/objects/deals/9001", json={"properties": {"dealstage": "closedwon",
                                                                                  "pipeline": "default"}},
                         headers=ACME)
    assert moved.status_code == 200 and moved.json()["properties"]["dealstage"] == "closedwon"
    by_type_id = client.patch(f"{API}/crm/v3/objects/0-3/9001", json={"properties": {"dealstage": "contractsent"}},
                              headers=ACME)
    assert by_type_id.status_code == 200                                     # 0-3 = deals, like HubSpot
    label = client.patch(f"{API}/crm/v3/objects/deals/9001", json={"properties": {"dealstage": "Closed Won"}},
                         headers=ACME)
    assert label.status_code == 400 and label.json()["errors"][0]["code"] == "INVALID_OPTION"
    pipeline = client.patch(f"{API}/crm/v3/objects/deals/9001", json={"properties": {"pipeline": "nope"}},
                            headers=ACME)
    assert pipeline.status_code == 400
    assert client.patch(f"{API}/crm/v3/objects/deals/1", json={"properties": {"dealstage": "closedwon"}},
                        headers=ACME).status_code == 404
    assert hs.state("acme")["objects"]["deals"]["9001"]["properties"]["dealstage"] == "contractsent"


# --------------------------------------------------------------------------- marketing single-send
def test_single_send_needs_marketing_hub_enterprise(client):
    _, _, body = examples("hubspot", "send_email")
    before = hs.state("starter-portal")
    response = client.post(f"{API}/marketing/v4/email/single-send", json=body,
                           headers={"Authorization": "Bearer sbx_starter-portal.private-app"})
    assert response.status_code == 403
    data = response.json()
    assert data["status"] == "error" and data["category"] == "MISSING_SCOPES" and data["correlationId"]
    assert "Marketing Hub Enterprise" in data["message"]
    assert hs.state("starter-portal") == before


def test_single_send_on_an_enterprise_account(client):
    _, _, body = examples("hubspot", "send_email")
    body["message"]["to"] = "new.person@example.com"
    sent = client.post(f"{API}/marketing/v4/email/single-send", json=body, headers=ENTERPRISE)
    assert sent.status_code == 200 and sent.json()["status"] == "PENDING" and sent.json()["statusId"]
    data = hs.state("big-enterprise")
    assert [s["to"] for s in data["sends"]] == ["new.person@example.com"]
    contact = next(c for c in data["objects"]["contacts"].values()
                   if c["properties"]["email"] == "new.person@example.com")   # the send creates the contact
    assert contact["properties"]["firstname"] == "Jane"                      # contactProperties applied
    replay = client.post(f"{API}/marketing/v4/email/single-send", json=body, headers=ENTERPRISE)
    assert replay.json()["sendResult"] == "IDEMPOTENT_IGNORE"                # same sendId: no second send
    assert len(hs.state("big-enterprise")["sends"]) == 1
    unknown = client.post(f"{API}/marketing/v4/email/single-send", json={**body, "emailId": 1}, headers=ENTERPRISE)
    assert unknown.status_code == 404


# --------------------------------------------------------------------------- notes, tasks, associations
def test_note_without_hs_timestamp_is_a_validation_error(client):
    response = client.post(f"{API}/crm/v3/objects/notes", json=note(hs_note_body="Called"), headers=ACME)
    assert response.status_code == 400
    data = response.json()
    assert data["category"] == "VALIDATION_ERROR" and data["context"] == {"properties": ["hs_timestamp"]}
    assert data["message"] == "Error creating NOTE. Some required properties were not set."
    assert hs.state("acme")["objects"]["notes"] == {}


def test_note_and_task_are_created_with_their_contact_association(client):
    created = client.post(f"{API}/crm/v3/objects/notes", json=note(hs_note_body="Called", hs_timestamp=NOW),
                          headers=ACME)
    assert created.status_code == 201
    note_id = created.json()["id"]
    task = {"properties": {"hs_task_subject": "Call back", "hs_task_status": "NOT_STARTED", "hs_timestamp": NOW},
            "associations": [{"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                "associationTypeId": 204}]}]}
    task_response = client.post(f"{API}/crm/v3/objects/tasks", json=task, headers=ACME)
    assert task_response.status_code == 201
    edges = hs.state("acme")["associations"]
    assert {"fromType": "notes", "fromId": note_id, "toType": "contacts", "toId": "51",
            "category": "HUBSPOT_DEFINED", "typeId": 202} in edges
    listed = client.get(f"{API}/crm/v4/objects/contacts/51/associations/notes", headers=ACME).json()["results"]
    assert [r["toObjectId"] for r in listed] == [note_id]
    tasks = client.get(f"{API}/crm/v4/objects/contacts/51/associations/tasks", headers=ACME).json()["results"]
    assert [r["toObjectId"] for r in tasks] == [task_response.json()["id"]]


def test_engagement_associations_and_options_are_checked(client):
    unknown_contact = client.post(f"{API}/crm/v3/objects/notes", json=note("999", hs_note_body="x", hs_timestamp=NOW),
                                  headers=ACME)
    assert unknown_contact.status_code == 400
    wrong_type = note(hs_note_body="x", hs_timestamp=NOW)
    wrong_type["associations"][0]["types"][0]["associationTypeId"] = 204    # 204 is task -> contact
    assert client.post(f"{API}/crm/v3/objects/notes", json=wrong_type, headers=ACME).status_code == 400
    bad_status = {"properties": {"hs_task_subject": "x", "hs_task_status": "DONE", "hs_timestamp": NOW},
                  "associations": []}
    response = client.post(f"{API}/crm/v3/objects/tasks", json=bad_status, headers=ACME)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "INVALID_OPTION"
    bad_time = client.post(f"{API}/crm/v3/objects/notes", json=note(hs_note_body="x", hs_timestamp="yesterday"),
                           headers=ACME)
    assert bad_time.status_code == 400
    epoch = client.post(f"{API}/crm/v3/objects/notes", json=note(hs_note_body="x", hs_timestamp="1767258000000"),
                        headers=ACME)
    assert epoch.status_code == 201                                          # epoch milliseconds are accepted


def test_associations_v4_default(client):
    response = client.put(f"{API}/crm/v4/objects/deals/9001/associations/default/contacts/51", headers=ACME)
    assert response.status_code == 200 and response.json()["status"] == "COMPLETE"
    specs = {r["associationSpec"]["associationTypeId"] for r in response.json()["results"]}
    assert specs == {3, 4}                                                   # both directions
    assert client.put(f"{API}/crm/v4/objects/deals/9001/associations/default/contacts/999",
                      headers=ACME).status_code == 404
    linked = client.get(f"{API}/crm/v4/objects/contacts/51/associations/deals", headers=ACME).json()["results"]
    assert [r["toObjectId"] for r in linked] == ["9001"]


# --------------------------------------------------------------------------- the official definition
def test_requests_that_violate_the_openapi_definition_are_rejected(client):
    cases = [
        ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [{"id": "a@example.com",
                                                                      "properties": {"age": 42}}]}),
        ("POST", "/crm/v3/objects/contacts/batch/upsert", {"input": []}),
        ("POST", "/crm/v3/objects/notes", {"properties": {"hs_note_body": "x", "hs_timestamp": NOW}}),
        ("PUT", "/crm/v3/lists/123/memberships/add", [51]),
        ("POST", "/marketing/v4/email/single-send", {"emailId": "123456", "message": {"to": "a@example.com"}}),
        ("PATCH", "/crm/v3/objects/deals/9001", {"properties": {"dealstage": "closedwon"}, "stage": "x"}),
    ]
    before = hs.state("big-enterprise")
    for method, path, body in cases:
        assert validate_hubspot_request(method, path, body), (method, path)
        response = client.request(method, API + path, json=body, headers=ENTERPRISE)
        assert response.status_code == 400, (path, response.text)
        data = response.json()
        assert data["category"] == "VALIDATION_ERROR" and data["message"].startswith("Invalid input JSON")
        assert data["errors"] and data["correlationId"]
    assert hs.state("big-enterprise") == before
    missing = client.post(f"{API}/crm/v3/objects/notes", json={"properties": {}}, headers=ACME).json()
    assert "Cannot build SimplePublicObjectInputForCreate" in missing["message"] and "[associations]" in missing[
        "message"]


def test_the_contract_check_function():
    assert validate_hubspot_request("PATCH", "https://api.hubapi.com/crm/v3/objects/deals/9001",
                                    {"properties": {"dealstage": "closedwon"}}) == []
    assert validate_hubspot_request("PUT", "/crm/v4/objects/notes/1/associations/default/contacts/51") == []
    assert validate_hubspot_request("GET", "/crm/v3/objects/contacts/a@example.com?idProperty=email") == []
    assert validate_hubspot_request("POST", "http://127.0.0.1:8501/sandbox/hubspot/api/crm/v3/objects/contacts",
                                    {"properties": {"email": "a@example.com"}, "associations": []}) == []
    problems = validate_hubspot_request("PUT", "/crm/v4/objects/notes/1/associations/default/contacts/51", {"x": 1})
    assert problems == ["$: this operation takes no request body"]
    assert "no operation" in validate_hubspot_request("POST", "/crm/v3/objects/contacts/explode", {})[0]
    assert validate_hubspot_request("POST", "/marketing/v4/email/single-send", None) == [
        "$: the request body is required"]
    nested = validate_hubspot_request("POST", "/crm/v3/objects/notes", {
        "properties": {}, "associations": [{"to": {"id": "51"}, "types": [{"associationCategory": "MINE",
                                                                           "associationTypeId": "202"}]}]})
    assert any("associationCategory" in p and "not one of" in p for p in nested)
    assert any("associationTypeId: expected integer" in p for p in nested)


# --------------------------------------------------------------------------- auth and faults
def test_unknown_and_expired_tokens_are_refused(client):
    none = client.get(f"{API}/account-info/v3/details")
    assert none.status_code == 401 and none.json()["category"] == "INVALID_AUTHENTICATION"
    live = client.get(f"{API}/crm/v3/objects/contacts/51", headers={"Authorization": "Bearer pat-na1-fake"})
    assert live.status_code == 401
    hs.OAUTH._access["sbx_acme.issued"] = _Grant("acme", "sbx_client", "", hs.OAUTH.now() + 60)
    assert client.get(f"{API}/crm/v3/objects/contacts/51",
                      headers={"Authorization": "Bearer sbx_acme.issued"}).status_code == 200
    hs.OAUTH.expire_all()
    expired = client.get(f"{API}/crm/v3/objects/contacts/51", headers={"Authorization": "Bearer sbx_acme.issued"})
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    del hs.OAUTH._access["sbx_acme.issued"]


def test_fault_switches_look_like_hubspot(client):
    armed = client.post("/sandbox/_faults", json={"provider": "hubspot", "account": "acme", "kind": "rate_limit",
                                                  "retry_after": 7})
    assert armed.status_code == 201
    limited = upsert(client, "a@example.com")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING" and limited.json()["errorType"] == "RATE_LIMIT"
    assert hs.state("acme")["objects"]["contacts"].keys() == {"51"}          # nothing was written
    assert upsert(client, "a@example.com").status_code == 200                # the switch fired once
    faults.arm(faults.Fault("hubspot", "acme", "expired_token"))
    assert upsert(client, "b@example.com").json()["category"] == "EXPIRED_AUTHENTICATION"
    faults.arm(faults.Fault("hubspot", "acme", "server_error"))
    assert upsert(client, "b@example.com").status_code == 500
    faults.arm(faults.Fault("hubspot", "*", "unavailable", retry_after=3))
    unavailable = upsert(client, "b@example.com", headers=BETA)
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "3"
    faults.arm(faults.Fault("hubspot", "beta", "rate_limit"))
    assert upsert(client, "b@example.com").status_code == 200                # another account's switch
    faults.arm(faults.Fault("hubspot", "acme", "slow", delay_ms=200))
    started = time.monotonic()
    assert upsert(client, "c@example.com").status_code == 200
    assert time.monotonic() - started >= 0.2


# --------------------------------------------------------------------------- state
def test_state_is_per_account_a_copy_and_unchanged_by_reads_and_failures(client):
    before = hs.state("acme")
    before["objects"]["contacts"]["51"]["properties"]["firstname"] = "changed in the copy"
    assert hs.state("acme")["objects"]["contacts"]["51"]["properties"]["firstname"] == "Jane"
    before = hs.state("acme")
    client.get(f"{API}/crm/v3/objects/contacts/51", headers=ACME)
    client.get(f"{API}/crm/v3/lists/123", headers=ACME)
    client.patch(f"{API}/crm/v3/objects/contacts/51", json={"properties": {"nope": "x"}}, headers=ACME)
    client.post(f"{API}/crm/v3/objects/notes", json=note(hs_note_body="x"), headers=ACME)
    assert hs.state("acme") == before


def test_concurrent_upserts_get_distinct_ids(client):
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda i: upsert(client, f"user{i}@example.com"), range(24)))
    assert all(r.status_code == 200 for r in responses)
    ids = [r.json()["results"][0]["id"] for r in responses]
    assert len(set(ids)) == 24
    assert len(hs.state("acme")["objects"]["contacts"]) == 25


def test_success_bodies_match_the_official_response_schemas(client):
    from services.sandbox import openapi

    def conforms(method: str, path: str, response) -> None:  # type: ignore[no-untyped-def]
        op, _ = find_operation(method, path)
        assert op is not None
        schema = op.op["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
        problems: list[openapi.Problem] = []
        openapi.validate(op.doc, schema, response.json(), "$", problems, strict=False)
        assert problems == [], (path, [str(p) for p in problems])

    calls = [
        ("POST", "/crm/v3/objects/contacts/batch/upsert",
         {"inputs": [{"id": "r@example.com", "idProperty": "email", "properties": {}}]}),
        ("POST", "/crm/v3/objects/contacts/batch/upsert",
         {"inputs": [{"id": "bad", "idProperty": "email", "properties": {}}]}),
        ("PATCH", "/crm/v3/objects/deals/9001", {"properties": {"dealstage": "closedwon"}}),
        ("PUT", "/crm/v3/lists/123/memberships/add", ["51"]),
        ("GET", "/crm/v3/lists/123", None),
        ("GET", "/crm/v3/lists/123/memberships", None),
        ("POST", "/marketing/v4/email/single-send", {"emailId": 123456, "message": {"to": "r@example.com"}}),
        ("POST", "/crm/v3/objects/notes", note(hs_note_body="x", hs_timestamp=NOW)),
        ("PUT", "/crm/v4/objects/deals/9001/associations/default/contacts/51", None),
        ("GET", "/crm/v4/objects/contacts/51/associations/deals", None),
        ("GET", "/account-info/v3/details", None),
    ]
    for method, path, body in calls:
        response = client.request(method, API + path, json=body, headers=ENTERPRISE)
        assert response.status_code < 300, (path, response.text)
        conforms(method, path, response)


# --------------------------------------------------------------------------- app webhooks (Webhooks v3)
DEV = {"hapikey": "sbx_dev.developer-key"}
APP = hw.app_id("dev")
HOOKS_API = f"{API}/webhooks/v3/{APP}"
TARGET = f"http://127.0.0.1:8501/hooks/hubspot/apps/{APP}"
SETTINGS = {"targetUrl": TARGET, "throttling": {"maxConcurrentRequests": 10}}


def test_app_webhook_endpoints_follow_the_definition(client):
    assert client.get(f"{HOOKS_API}/settings", params=DEV).status_code == 404     # B: not configured yet
    calls = [("PUT", "/settings", SETTINGS, 200), ("GET", "/settings", None, 200),
             ("POST", "/subscriptions", {"eventType": "contact.creation", "active": True}, 201),
             ("POST", "/subscriptions", {"eventType": "deal.propertyChange", "propertyName": "dealstage"}, 201),
             ("GET", "/subscriptions", None, 200), ("GET", "/subscriptions/2", None, 200),
             ("PATCH", "/subscriptions/2", {"active": True}, 200)]
    for method, path, body, status in calls:
        url = f"https://api.hubapi.com/webhooks/v3/{APP}{path}"
        assert validate_hubspot_request(method, url, body) == [], (method, path)
        response = client.request(method, HOOKS_API + path, params=DEV, json=body)
        assert response.status_code == status, (path, response.text)
        op, _ = find_operation(method, url)
        schema = op.op["responses"][str(status)]["content"]["application/json"]["schema"]
        problems: list = []
        openapi_validate(op.doc, schema, response.json(), "$", problems)        # the declared response schema
        assert problems == [], (path, problems)
    subs = {s["id"]: s for s in client.get(f"{HOOKS_API}/subscriptions", params=DEV).json()["results"]}
    assert subs["1"]["active"] is True and subs["2"]["active"] is True and subs["2"]["propertyName"] == "dealstage"
    fresh = client.post(f"{HOOKS_API}/subscriptions", params=DEV, json={"eventType": "deal.creation"}).json()
    assert fresh["active"] is False                                            # V: active defaults to false
    assert client.delete(f"{HOOKS_API}/subscriptions/2", params=DEV).status_code == 204
    assert client.get(f"{HOOKS_API}/subscriptions/2", params=DEV).status_code == 404
    assert client.delete(f"{HOOKS_API}/settings", params=DEV).status_code == 204
    assert hw.state("dev")["apps"][str(APP)]["settings"] is None


def test_invalid_app_webhook_requests_are_refused(client):
    spec_cases = [("PUT", "/settings", {"targetUrl": TARGET}),                   # throttling is required
                  ("PUT", "/settings", {**SETTINGS, "throttling": {"maxConcurrentRequests": 10,
                                                                   "period": "SECONDLY"}}),   # not in the schema
                  ("POST", "/subscriptions", {"active": True}),                   # eventType is required
                  ("POST", "/subscriptions", {"eventType": "contact.created"}),   # not an eventType
                  ("POST", "/subscriptions", {"eventType": "contact.creation", "url": TARGET}),
                  ("PATCH", "/subscriptions/1", {"active": "yes"})]
    for method, path, body in spec_cases:
        assert validate_hubspot_request(method, f"/webhooks/v3/{APP}{path}", body), (method, path)
        response = client.request(method, HOOKS_API + path, params=DEV, json=body)
        assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR", response.text
    assert client.get(f"{API}/webhooks/v3/not-an-id/settings", params=DEV).status_code == 400
    rules = [("PUT", "/settings", {**SETTINGS, "targetUrl": "http://hooks.example.com/x"}, "https"),
             ("PUT", "/settings", {**SETTINGS, "throttling": {"maxConcurrentRequests": 2}}, "at least 5"),
             ("POST", "/subscriptions", {"eventType": "contact.propertyChange"}, "propertyName is required"),
             ("POST", "/subscriptions", {"eventType": "contact.creation", "propertyName": "email"}, "only applies")]
    for method, path, body, words in rules:
        assert validate_hubspot_request(method, f"/webhooks/v3/{APP}{path}", body) == []
        response = client.request(method, HOOKS_API + path, params=DEV, json=body)
        assert response.status_code == 400 and words in response.json()["message"], response.text
    assert hw.state("dev")["apps"].get(str(APP), {}).get("subscriptions", {}) == {}
    client.post(f"{HOOKS_API}/subscriptions", params=DEV, json={"eventType": "contact.creation"})
    twice = client.post(f"{HOOKS_API}/subscriptions", params=DEV, json={"eventType": "contact.creation"})
    assert twice.status_code == 409 and twice.json()["category"] == "CONFLICT"


def test_app_webhooks_need_the_developer_key_of_the_apps_owner(client):
    for params in ({}, {"hapikey": "live-looking-key"}):
        refused = client.get(f"{HOOKS_API}/subscriptions", params=params)
        assert refused.status_code == 401 and refused.json()["category"] == "INVALID_AUTHENTICATION"
    bearer_only = client.get(f"{HOOKS_API}/subscriptions", headers=ACME)
    assert bearer_only.status_code == 401                                      # a portal token is not the key
    other = client.get(f"{HOOKS_API}/subscriptions", params={"hapikey": "sbx_someone-else"})
    assert other.status_code == 404 and f"App {APP} not found" in other.json()["message"]
    faults.arm(faults.Fault("hubspot", "dev", "server_error"))
    assert client.get(f"{HOOKS_API}/subscriptions", params=DEV).status_code == 500


def test_fire_delivers_signed_batches_to_the_target_for_active_subscriptions(client, monkeypatch):
    from services.runtime import http
    from services.sandbox import deliveries
    from tests.webhooks_support import hubspot as hubspot_headers

    caught: list = []
    monkeypatch.setattr(deliveries, "TRANSPORT", http.MockTransport(
        lambda r: caught.append((str(r.url), dict(r.headers), r.content)) or http.Response(204)))
    assert hw.fire(APP, "acme", [{"subscriptionType": "contact.creation", "objectId": 1}]) == []   # no app yet
    client.put(f"{HOOKS_API}/settings", params=DEV, json=SETTINGS)
    client.post(f"{HOOKS_API}/subscriptions", params=DEV, json={"eventType": "contact.creation", "active": True})
    client.post(f"{HOOKS_API}/subscriptions", params=DEV, json={"eventType": "contact.propertyChange",
                                                                "propertyName": "email"})          # paused
    events = [{"subscriptionType": "contact.creation", "objectId": n} for n in range(150)]
    events.append({"subscriptionType": "contact.propertyChange", "objectId": 1, "propertyName": "email"})
    results = hw.fire(APP, "acme", events)
    assert [(r["events"], r["status"]) for r in results] == [(100, 204), (50, 204)]   # batches of 100
    url, headers, body = caught[0]
    assert url == TARGET
    expected = hubspot_headers("sbx_secret_hubspot", TARGET, body, int(headers["x-hubspot-request-timestamp"]))
    assert headers["x-hubspot-signature-v3"] == expected["X-HubSpot-Signature-v3"]   # the documented recipe
    first = json.loads(body)[0]
    assert first["portalId"] == hs.portal_id("acme") and first["appId"] == APP and first["subscriptionId"] == 1
    assert len({e["eventId"] for b in caught for e in json.loads(b[2])}) == 150
    client.put(f"{HOOKS_API}/settings", params=DEV, json={**SETTINGS, "targetUrl": "https://elsewhere.example.com/"})
    [skipped] = hw.fire(APP, "acme", events[:1])
    assert skipped["skipped"] and len(caught) == 2                              # only the Hub's /hooks/ URLs
