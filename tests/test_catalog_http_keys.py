"""The catalog keys for body encodings, headers and idempotency keys (issue 18), and the generic pieces behind
them: form flattening/parsing (services/core/forms.py), the declarative request (executors/declarative.py)
and form-aware, Swagger 2-aware request checks (services/sandbox/openapi.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.catalog import ActionSpec, IntegrationSpec, load_catalog
from services.catalog.spec import placeholders
from services.core import forms
from services.core.forms import FormFields
from services.runtime.executors.declarative import build_request
from services.sandbox.openapi import check_request_in, document_operations, response_media


def _spec(**http: Any) -> IntegrationSpec:
    return IntegrationSpec.model_validate({
        "slug": "acme", "name": "Acme", "category": "crm", "auth": {"method": "api_key"},
        "connection_fields": {"account_id": {}}, "http": http})


def _action(**more: Any) -> ActionSpec:
    return ActionSpec.model_validate({"key": "make", "title": "Make", "method": "POST", "path": "/things", **more})


# ---------------------------------------------------------------- forms
def test_flatten_brackets_nested_values_and_parse_reverses_it() -> None:
    body = {"line_items": [{"price": "p_1", "quantity": 2}], "metadata": {"a": "b"}, "live": True, "gone": None,
            "empty": {}}
    flat = forms.flatten(body)
    assert flat == {"line_items[0][price]": "p_1", "line_items[0][quantity]": "2", "metadata[a]": "b",
                    "live": "true"}
    assert FormFields(flat).nested() == {"line_items": [{"price": "p_1", "quantity": "2"}], "metadata": {"a": "b"},
                                         "live": "true"}
    assert forms.parse("a[0]=x&a[1]=y&b[c]=1", lists=True) == {"a": ["x", "y"], "b": {"c": "1"}}
    assert forms.parse("a[0]=x") == {"a": {"0": "x"}}                      # webhook bodies keep index keys
    with pytest.raises(ValueError):
        forms.parse("no-equals-sign")


# ---------------------------------------------------------------- the catalog keys
def test_http_defaults_are_json_no_headers_and_the_standard_idempotency_header() -> None:
    spec = _spec()
    assert spec.http.body_encoding == "json" and spec.http.headers == {}
    assert spec.http.idempotency_header == "Idempotency-Key"
    assert _action().body_encoding is None and _action().idempotency_key is False


def test_idempotency_key_is_for_writes_and_a_form_body_is_an_object() -> None:
    with pytest.raises(ValidationError, match="idempotency_key is for writes"):
        _action(method="GET", idempotency_key=True)
    with pytest.raises(ValidationError, match="form body is an object"):
        _action(body_encoding="form", body=["x"])
    with pytest.raises(ValidationError):
        _action(body_encoding="xml")


def test_a_form_action_sends_flattened_fields_and_no_json() -> None:
    action = _action(body={"line_items": [{"price": "{price}", "quantity": "{quantity}"}]}, body_encoding="form")
    request = build_request(action, {"price": "p_1", "quantity": 3}, {}, _spec())
    assert request["json"] is None
    assert request["data"] == {"line_items[0][price]": "p_1", "line_items[0][quantity]": "3"}


def test_the_integration_encoding_applies_unless_the_action_says_otherwise() -> None:
    spec = _spec(body_encoding="form")
    assert build_request(_action(), {"name": "x"}, {}, spec)["data"] == {"name": "x"}
    as_json = build_request(_action(body_encoding="json"), {"name": "x"}, {}, spec)
    assert as_json["json"] == {"name": "x"} and as_json["data"] is None


def test_fixed_and_per_connection_headers_and_a_fresh_idempotency_key() -> None:
    spec = _spec(headers={"Acme-Version": "2024-01-01", "Acme-Account": "{account_id}"},
                 idempotency_header="X-Request-Key")
    action = _action(headers={"Acme-Version": "2025-01-01"}, idempotency_key=True)
    first = build_request(action, {}, {"account_id": "acc_1"}, spec)["headers"]
    second = build_request(action, {}, {"account_id": "acc_1"}, spec)["headers"]
    assert first["Acme-Version"] == "2025-01-01" and first["Acme-Account"] == "acc_1"   # the action's wins
    assert first["X-Request-Key"] and first["X-Request-Key"] != second["X-Request-Key"]
    assert "Acme-Account" not in build_request(action, {}, {}, spec)["headers"]          # unfilled: not sent


def test_catalog_header_placeholders_are_connection_fields_or_inputs() -> None:
    for spec in load_catalog():
        known = set(spec.connection_fields)
        assert placeholders(spec.http.headers) <= known, spec.slug
        for action in spec.actions.values():
            assert placeholders(action.headers) <= known | set(action.inputs), (spec.slug, action.key)


# ---------------------------------------------------------------- request checks
FORM_DOC: dict[str, Any] = {
    "openapi": "3.0.0", "paths": {"/things": {"post": {
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "n": {"type": "integer"}, "on": {"type": "boolean"}}}},
                "note": {"anyOf": [{"type": "string"}, {"enum": [""]}]}}}}}},
        "responses": {"200": {"description": "OK"}}}}}}
SWAGGER_DOC: dict[str, Any] = {
    "swagger": "2.0", "basePath": "/api", "paths": {"/things.make": {"post": {
        "consumes": ["application/x-www-form-urlencoded", "application/json"],
        "parameters": [{"name": "token", "in": "header", "type": "string", "required": True},
                       {"name": "channel", "in": "formData", "type": "string", "required": True},
                       {"name": "count", "in": "formData", "type": "integer"}],
        "responses": {"200": {"description": "OK", "schema": {"type": "object"},
                              "examples": {"application/json": {"ok": True, "ts": "1.2"}}}}}}}}


def test_form_fields_are_decoded_and_coerced_to_the_schema_types() -> None:
    ops = document_operations(FORM_DOC)
    _, ok = check_request_in(ops, "POST", "/things", FormFields({"items[0][n]": "5", "items[0][on]": "true"}))
    assert ok == []
    _, bad = check_request_in(ops, "POST", "/things", FormFields({"items[0][n]": "five"}))
    assert [p.where for p in bad] == ["$.items[0].n"]
    _, json_sent = check_request_in(ops, "POST", "/things", {"items": [{"n": 5}]})
    assert "takes application/x-www-form-urlencoded" in str(json_sent[0])


def test_swagger2_form_data_is_the_body_and_examples_sit_on_the_response() -> None:
    ops = document_operations(SWAGGER_DOC)
    op, ok = check_request_in(ops, "POST", "/api/things.make", FormFields({"channel": "C1", "count": "2"}))
    assert op is not None and ok == []
    _, missing = check_request_in(ops, "POST", "/api/things.make", FormFields({"count": "x"}))
    assert {p.where for p in missing} == {"$", "$.count"}
    assert check_request_in(ops, "POST", "/api/things.make", {"channel": "C1"})[1] == []   # JSON is consumed too
    assert op.media_types() == ["application/x-www-form-urlencoded", "application/json"]
    assert response_media(SWAGGER_DOC, op.op["responses"]["200"]) == ({"type": "object"}, {"ok": True, "ts": "1.2"})


# ---------------------------------------------------------------- 2xx bodies that report failure
def test_a_failed_2xx_body_is_auth_only_for_the_listed_codes() -> None:
    http = _spec(success_flag="ok", auth_error_codes=["invalid_auth"]).http
    assert http.body_failure({"ok": True}) is None
    assert http.body_failure({"ok": False, "error": "invalid_auth"}) == "auth"
    assert http.body_failure({"ok": False, "error": "channel_not_found"}) == "validation"
    assert http.body_failure({"data": 1}) is None and http.body_failure(None) is None
    assert _spec().http.body_failure({"ok": False, "error": "invalid_auth"}) is None   # no success_flag


def test_the_credential_check_refuses_a_2xx_that_reports_a_refused_credential() -> None:
    from services.connect.checks import run_check
    from services.connect.outbound import Outbound
    from services.runtime import http
    from services.runtime.provider_errors import CredentialRejected

    spec = _spec(success_flag="ok", auth_error_codes=["invalid_auth"]).model_copy(
        update={"check": load_catalog().get("slack").check})

    def answering(body: dict[str, Any]) -> Outbound:   # the provider answers HTTP 200 with this body
        return Outbound(transport=http.MockTransport(lambda request: http.Response(200, json=body)),
                        resolver=lambda host: ["93.184.216.34"])

    url, auth = "https://slack.example/api/auth.test", http.HeaderAuth("Authorization", "Bearer x")
    with pytest.raises(CredentialRejected, match="rejected the credentials — invalid_auth"):
        run_check(spec, "api_key", url=url, auth=auth, secrets={},
                  out=answering({"ok": False, "error": "invalid_auth"}))
    assert run_check(spec, "api_key", url=url, auth=auth, secrets={}, out=answering({"ok": True})).ok
