"""`layers-hub catalog draft`: a catalog entry drafted from an official definition, and set beside the catalog."""

from __future__ import annotations

import json

import pytest
import yaml

from services.catalog import load_catalog
from services.catalog.spec import IntegrationSpec
from services.core.errors import InvalidInput
from services.sandbox.catalog_draft import compare, draft_entry
from services.sandbox.schema_checks import specs_dir

pytestmark = pytest.mark.backend_independent

DEFINITION = {
    "openapi": "3.0.0",
    "servers": [{"url": "https://{region}.api.example.com/v2", "variables": {"region": {"default": "us",
                                                                                         "enum": ["us", "eu"]}}}],
    "components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"},
        "oauth": {"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": "https://auth.example.com/authorize", "tokenUrl": "https://auth.example.com/token",
            "scopes": {"things:write": "", "things:read": ""}}}}},
        "schemas": {"Thing": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "example": "Widget"},
            "owner_email": {"type": "string", "format": "email"},
            "size": {"type": "integer", "enum": [1, 2, 3]},
            "id": {"type": "string", "readOnly": True}}}}},
    "paths": {
        "/me": {"get": {"operationId": "getMe", "security": [{"bearer": []}],
                        "responses": {"200": {"description": "ok"}}}},
        "/teams/{team_id}/things": {"post": {
            "operationId": "createThing", "summary": "Create a thing. More words here.",
            "security": [{"oauth": ["things:write"]}, {"bearer": []}],
            "parameters": [{"name": "team_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}},
            "responses": {"201": {"description": "created", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"data": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "Created-At": {"type": "string",
                                                                                         "format": "date-time"}}}}},
                "example": {"data": {"id": "thg_1", "name": "Widget"}}}}}}}},
    },
}


@pytest.fixture()
def spec_file(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(DEFINITION))
    return path


def test_a_draft_takes_auth_base_url_inputs_and_outputs_from_the_definition(spec_file):
    draft = draft_entry(spec_file, ["POST /teams/{team_id}/things"], name="Things", category="crm", check="GET /me")
    e = draft.entry
    assert e["base_url"] == "https://{region}.api.example.com/v2"
    assert e["connection_fields"]["region"]["enum"] == ["us", "eu"]
    assert e["auth"] == {"method": "oauth2", "alternatives": ["api_key"],
                         "authorize_url": "https://auth.example.com/authorize",
                         "token_url": "https://auth.example.com/token", "scopes": ["things:write"],
                         "header": "Authorization", "template": "Bearer {api_key}"}
    assert e["check"] == {"method": "GET", "path": "/me"}
    action = e["actions"]["create_thing"]
    assert (action["title"], action["method"], action["path"]) == ("Create a thing.", "POST", "/teams/{team_id}/things")
    assert action["inputs"]["team_id"] == {"type": "integer", "required": True, "example": 1}   # invented
    assert action["inputs"]["name"] == {"required": True, "example": "Widget"}
    assert action["inputs"]["owner_email"] == {"type": "email"}
    assert action["inputs"]["size"] == {"type": "integer", "example": 1, "description": "One of 1, 2, 3."}
    assert "id" not in action["inputs"]                                    # readOnly is not an input
    assert action["body"] == {"name": "{name}", "owner_email": "{owner_email}", "size": "{size}"}
    assert action["output_root"] == "data"
    assert action["outputs"]["id"]["example"] == "thg_1"
    assert action["outputs"]["created_at"] == {"type": "datetime", "path": "Created-At"}
    assert any("team_id" in line and "invented" in line for line in draft.review)
    assert any("{region}" in line for line in draft.review)


def test_the_drafted_yaml_is_a_valid_catalog_entry(spec_file):
    draft = draft_entry(spec_file, ["POST /teams/{team_id}/things"], name="Things", category="crm", check="GET /me")
    text = draft.yaml("things")
    assert text.startswith("# Drafted by")
    parsed = yaml.safe_load("\n".join(line[2:] for line in text.splitlines() if not line.startswith("#")))
    spec = IntegrationSpec.model_validate({"slug": "things", **parsed["things"]})
    assert list(spec.actions) == ["create_thing"]
    assert spec.actions["create_thing"].inputs["team_id"].required


def test_unknown_operations_and_files_are_refused_by_name(spec_file, tmp_path):
    with pytest.raises(InvalidInput, match="'DELETE /me'.*no such operation"):
        draft_entry(spec_file, ["DELETE /me"], name="x", category="crm")
    with pytest.raises(InvalidInput, match="METHOD /path"):
        draft_entry(spec_file, ["me"], name="x", category="crm")
    other = tmp_path / "notes.json"
    other.write_text(json.dumps({"kind": "discovery"}))
    with pytest.raises(InvalidInput, match="not an OpenAPI 3 or Swagger 2"):
        draft_entry(other, ["GET /me"], name="x", category="crm")


def test_stripe_draft_beside_the_reviewed_entry():
    path = specs_dir() / "stripe" / "spec3.yaml"
    if not path.exists():
        pytest.skip("shared/specs is not next to the checkout")
    draft = draft_entry(path, ["POST /v1/customers", "POST /v1/refunds"], name="Stripe", category="payments",
                        check="GET /v1/account")
    e = draft.entry
    assert e["base_url"] == "https://api.stripe.com"
    assert (e["auth"]["header"], e["auth"]["template"]) == ("Authorization", "Bearer {api_key}")
    assert e["actions"]["post_customers"]["body_encoding"] == "form"            # Stripe takes forms
    rows = {r.action: r for r in compare(draft, load_catalog().get("stripe").actions)}
    assert rows["create_customer"].drafted_as == "post_customers"
    assert rows["create_customer"].inputs_added == []                          # every reviewed input was drafted
    assert rows["create_refund"].inputs_kept == 4
    assert rows["list_customers"].drafted_as is None                            # not asked for


def test_cli_prints_the_draft_and_the_comparison(capsys, spec_file):
    from services.cli import main

    assert main(["catalog", "draft", "things", "--spec", str(spec_file), "--operation",
                 "POST /teams/{team_id}/things", "--check", "GET /me", "--category", "crm"]) == 0
    out = capsys.readouterr().out
    assert "  things:\n    name: Things\n    category: crm" in out and "create_thing:" in out
    path = specs_dir() / "stripe" / "spec3.yaml"
    if path.exists():
        assert main(["catalog", "draft", "stripe", "--spec", str(path), "--operation", "POST /v1/refunds",
                     "--compare", "--format", "json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert {line["action"] for line in lines} == set(load_catalog().get("stripe").actions)
        assert next(x for x in lines if x["action"] == "create_refund")["drafted_as"] == "post_refunds"


def test_renamed_inputs_count_as_drafted_and_single_object_envelopes_become_the_output_root():
    square, cal = specs_dir() / "square" / "api.json", specs_dir() / "cal-com" / "openapi.json"
    if not (square.exists() and cal.exists()):
        pytest.skip("shared/specs is not next to the checkout")
    draft = draft_entry(square, ["POST /v2/customers"], name="Square", category="payments")
    assert draft.entry["actions"]["create_customer"]["output_root"] == "customer"      # {customer: {...}}
    spec = load_catalog().get("cal-com")
    draft = draft_entry(cal, [f"POST {spec.actions['cancel_booking'].path}"], name="Cal.com", category="scheduling")
    [row] = [r for r in compare(draft, spec.actions) if r.action == "cancel_booking"]
    # cancellationReason filled from cancellation_reason, {bookingUid} from {booking_uid}: the same fields
    assert row.inputs_added == [] and row.inputs_kept >= 2
