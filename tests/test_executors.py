"""Executors against the sandbox: behaviour the provider contract suite (tests/test_provider_contract.py:
test mode, live runs, official definitions, credential checks, waiting out a 429, for every provider) cannot
express: specific request shapes, error classes, retry rules, refresh, the call log and the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import ApiCall
from services.catalog import load_catalog
from services.cli import main
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs
from services.sandbox import faults
from services.sandbox.store import STORES


@pytest.fixture(autouse=True)
def no_faults():
    faults.clear()
    yield
    faults.clear()


def test_hubspot_upsert_live_creates_the_contact_and_maps_output(connect):
    conn = connect("hubspot", "live-hs")
    result = run_action(conn, "upsert_contact", {"email": "Jane.Doe@example.com", "first_name": "Jane"},
                        mode="live")
    assert result.ok, result.error
    sent = result.requests[-1]
    assert sent["method"] == "POST" and sent["url"].endswith("/crm/v3/objects/contacts/batch/upsert")
    assert sent["request_body"]["inputs"][0]["idProperty"] == "email"
    assert sent["request_headers"]["authorization"] == "[redacted]"
    assert result.output["status"] == "COMPLETE" and result.output["results"][0]["id"]
    contacts = STORES["hubspot"].snapshot("live-hs")["objects"]["contacts"]
    assert any(c["properties"].get("firstname") == "Jane" for c in contacts.values())


def test_hubspot_note_is_associated_with_the_contact(connect):
    conn = connect("hubspot", "live-note")
    created = run_action(conn, "upsert_contact", {"email": "ann@example.com"}, mode="live")
    contact_id = created.output["results"][0]["id"]
    result = run_action(conn, "create_task_note", {"object_type": "notes", "contact_id": contact_id,
                                                   "text": "Called about renewal"}, mode="live")
    assert result.ok, result.error
    body = result.requests[-1]["request_body"]
    assert body["associations"][0]["types"][0]["associationTypeId"] == 202
    assert body["properties"]["hs_note_body"] == "Called about renewal" and body["properties"]["hs_timestamp"]


def test_hubspot_single_send_says_the_plan_requirement(connect):
    result = run_action(connect("hubspot", "starter-portal"), "send_email", sample_inputs("hubspot", "send_email"),
                        mode="live")
    assert not result.ok and result.error["category"] == "auth"
    assert "Enterprise" in result.error["message"] or "scope" in result.error["message"].lower()


def test_salesforce_validation_error_names_the_missing_field(connect):
    conn = connect("salesforce", "sf-val")
    result = run_action(conn, "upsert_record", {"object": "Lead", "external_id_field": "Email__c",
                                                "external_id": "x@example.com", "fields": {"Company": "Acme"}},
                        mode="live")
    assert not result.ok and result.error["category"] == "validation"
    assert "LastName" in result.error["message"] and result.error["status"] == 400


def test_rate_limit_past_the_cap_fails_fast_with_the_wait(connect):
    conn = connect("calendly", "rl-cap")
    faults.arm(faults.Fault(provider="calendly", account="rl-cap", kind="rate_limit", times=3, retry_after=90))
    result = run_action(conn, "get_scheduled_events", {}, mode="live", sleep=lambda s: None)
    assert not result.ok and result.error["category"] == "rate_limit"
    assert result.error["retry_after"] == 90.0 and "retry in 90 s" in result.error["message"]


def test_expired_token_is_refreshed_once_and_the_call_retried(connect):
    conn = connect("hubspot", "expired")
    faults.arm(faults.Fault(provider="hubspot", account="expired", kind="expired_token", times=1))
    result = run_action(conn, "upsert_contact", {"email": "x@example.com"}, mode="live")
    assert result.ok, result.error
    assert [r["status"] for r in result.requests][-1] == 200


def test_token_endpoint_failing_during_refresh_is_a_network_error(connect, monkeypatch):
    from services.connect import refresh
    from services.runtime.provider_errors import ProviderUnreachable

    conn = connect("hubspot", "token-down")
    faults.arm(faults.Fault(provider="hubspot", account="token-down", kind="expired_token", times=1))

    def down(*args, **kwargs):
        raise ProviderUnreachable("HubSpot token endpoint failed: ConnectError")
    monkeypatch.setattr(refresh, "_refresh_call", down)
    result = run_action(conn, "upsert_contact", {"email": "x@example.com"}, mode="live")
    assert not result.ok and result.error["category"] == "network"
    assert "token endpoint failed" in result.error["message"]


def test_server_errors_are_retried_only_for_idempotent_actions(connect):
    conn = connect("wordpress", "five-hundred")
    faults.arm(faults.Fault(provider="wordpress", account="five-hundred", kind="server_error", times=1))
    read = run_action(conn, "get_posts", {}, mode="live", sleep=lambda s: None)
    assert read.ok and read.retries == 1
    faults.arm(faults.Fault(provider="wordpress", account="five-hundred", kind="server_error", times=1))
    before = STORES["wordpress"].snapshot("five-hundred")
    write = run_action(conn, "add_comment", sample_inputs("wordpress", "add_comment"), mode="live",
                       sleep=lambda s: None)
    assert not write.ok and write.error["category"] == "provider"
    assert len(write.requests) == 1 and STORES["wordpress"].snapshot("five-hundred") == before


def test_invalid_input_is_refused_before_any_call(connect):
    result = run_action(connect("mailchimp"), "add_subscriber", {"list_id": "x", "email": "not-an-email"})
    assert not result.ok and result.error["category"] == "validation"
    assert "email" in result.error["message"] and result.requests == []


def test_call_log_records_every_call_without_secrets(connect, session):
    conn = connect("activecampaign", "logged")
    result = run_action(conn, "sync_contact", {"email": "log@example.com"}, mode="live")
    assert result.ok, result.error
    rows = session.scalars(select(ApiCall).where(ApiCall.connection_id == conn)).all()
    assert [(r.method, r.status_code, r.mode, r.action) for r in rows] == [("POST", 201, "live", "sync_contact")] \
        or [(r.method, r.mode) for r in rows] == [("POST", "live")]
    assert all("sbx_logged" not in r.url for r in rows)


def test_cli_run_prints_the_structured_result_and_exit_code(connect, capsys):
    conn = connect("wordpress", "cli")
    code = main(["run", "wordpress", "create_post", "--connection", str(conn), "--input",
                 json.dumps({"post_type": "posts", "title": "Hi", "content": "<p>x</p>"}), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] and data["mode"] == "test" and data["requests"][0]["sent"] is False
    assert set(data) >= {"ok", "mode", "output", "requests", "error"}
    code = main(["run", "wordpress", "create_post", "--connection", str(conn), "--input", "{}"])
    assert code == 1 and "title" in capsys.readouterr().err
    assert main(["run", "wordpress", "create_post", "--connection", str(conn), "--input", "[1"]) == 2


def test_cli_executors_list_and_schema(capsys):
    assert main(["executors", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    catalog_actions = {(s.slug, k) for s in load_catalog() for k in s.actions}
    assert {(r["service"], r["action"]) for r in rows} == catalog_actions
    assert all(r["executor"] in ("declarative", "hand-written") for r in rows)
    by_key = {(r["service"], r["action"]): r for r in rows}
    assert by_key[("hubspot", "create_task_note")]["executor"] == "hand-written"
    assert by_key[("calendly", "cancel_event")] == {**by_key[("calendly", "cancel_event")], "kind": "write",
                                                    "executor": "declarative"}
    assert main(["executors", "schema", "mailchimp", "add_subscriber"]) == 0
    schemas = json.loads(capsys.readouterr().out)
    node = schemas["node_config"]
    assert set(node["properties"]) == {"service", "config", "credentials_ref"}
    assert node["properties"]["service"]["const"] == "mailchimp" and "credentials_ref" in node["required"]
    assert set(schemas["input"]["required"]) == {"list_id", "email"}
    assert schemas["input"]["properties"]["email"]["format"] == "email"
    assert set(schemas["output"]["properties"]) == {"id", "status", "email_address"}
    assert main(["executors", "schema", "mailchimp", "nope"]) == 2


@pytest.mark.parametrize("slug, action, header", [("n8n", "trigger_workflow", "x-layers-webhook-secret"),
                                                   ("make", "send_data", "x-make-apikey")])
def test_bridge_auth_headers_never_show_their_secret(connect, slug, action, header):
    conn = connect(slug, f"hdr-{slug}")
    result = run_action(conn, action, sample_inputs(slug, action), mode="test")
    shown = result.requests[-1]["request_headers"]
    assert shown[header] == "[redacted]"
    assert f"sbx_hdr-{slug}" not in json.dumps(result.as_dict(), default=str)


def test_pacing_key_follows_the_provider_account():
    from services.runtime.executors.run import pacing_key

    ac, hubspot = load_catalog().get("activecampaign"), load_catalog().get("hubspot")
    shared_host = "http://127.0.0.1:9/sandbox/activecampaign/api/3"
    # Sandbox: the credential names the account the sandbox limits by, even on the sandbox's one host.
    assert pacing_key(ac, shared_host, 1, {"api_key": "sbx_alpha.k"}, True) == "activecampaign:sandbox:alpha"
    assert pacing_key(ac, shared_host, 2, {"api_key": "sbx_beta.k"}, True) == "activecampaign:sandbox:beta"
    # Real accounts: ActiveCampaign's own host names the account; two connections to it share a budget.
    real = "https://agency.api-us1.com/api/3"
    assert pacing_key(ac, real, 1, {"api_key": "k1"}, False) == pacing_key(ac, real, 2, {"api_key": "k2"}, False)
    # Shared API hosts: each connection is its own account.
    api = "https://api.hubapi.com"
    assert pacing_key(hubspot, api, 1, {"access_token": "t"}, False) != pacing_key(hubspot, api, 2, {}, False)
