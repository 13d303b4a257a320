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


def test_an_action_base_url_makes_its_path_absolute_on_another_host() -> None:
    own = _action(path="/v4/sheets/{sheet}:append", base_url="https://{account_id}.sheets.example.com/")
    request = build_request(own, {"sheet": "a b"}, {"account_id": "acme"}, _spec())
    assert request["path"] == "https://acme.sheets.example.com/v4/sheets/a%20b:append"
    assert build_request(_action(), {}, {}, _spec())["path"] == "/things"      # none: relative to base_url
    with pytest.raises(ValidationError):
        _action(base_url="/relative")
    for spec in load_catalog():   # catalog action bases use only connection fields
        for action in spec.actions.values():
            assert placeholders(action.base_url or "") <= set(spec.connection_fields), (spec.slug, action.key)


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


def test_an_idempotency_field_puts_a_fresh_key_in_the_body_instead_of_the_header() -> None:
    spec = _spec(idempotency_field="idempotency_key")
    action = _action(body={"name": "{name}"}, idempotency_key=True)
    first, second = (build_request(action, {"name": "x"}, {}, spec) for _ in range(2))
    assert first["json"]["name"] == "x" and first["json"]["idempotency_key"]
    assert first["json"]["idempotency_key"] != second["json"]["idempotency_key"]        # fresh per call
    assert "Idempotency-Key" not in first["headers"]                                    # not also a header
    given = _action(body={"idempotency_key": "{key}"}, idempotency_key=True)
    assert build_request(given, {"key": "k-1"}, {}, spec)["json"] == {"idempotency_key": "k-1"}   # an input wins
    assert "idempotency_key" not in (build_request(_action(body={}), {}, {}, spec)["json"] or {})  # only when asked


def test_an_allof_object_takes_the_fields_of_every_part_and_still_reports_unknown_ones() -> None:
    doc: dict[str, Any] = {"openapi": "3.0.0", "components": {"schemas": {
        "Base": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Create": {"allOf": [{"$ref": "#/components/schemas/Base"},
                             {"type": "object", "properties": {"projects": {"type": "array"}}}]}}},
        "paths": {"/tasks": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Create"}}}}, "responses": {"201": {"description": "OK"}}}}}}
    ops = document_operations(doc)
    assert check_request_in(ops, "POST", "/tasks", {"name": "x", "projects": ["1"]})[1] == []
    _, bad = check_request_in(ops, "POST", "/tasks", {"name": "x", "nmae": "y"})
    assert [p.where for p in bad] == ["$.nmae", "$.nmae"]          # unknown to both parts


# ---------------------------------------------------------------- media type, header outputs, fixed check headers
def test_http_content_type_is_the_media_type_of_json_bodies_only() -> None:
    spec = _spec(content_type="application/vnd.api+json")
    assert build_request(_action(body={"a": "{a}"}), {"a": 1}, {}, spec)["headers"]["Content-Type"] \
        == "application/vnd.api+json"
    assert "Content-Type" not in build_request(_action(body_encoding="form"), {"a": 1}, {}, spec)["headers"]
    assert "Content-Type" not in build_request(_action(method="GET"), {}, {}, spec)["headers"]
    assert "Content-Type" not in build_request(_action(body={"a": 1}), {}, {}, _spec())["headers"]   # default json


def test_a_header_output_is_read_from_the_response_headers_and_is_for_outputs_only() -> None:
    from types import SimpleNamespace

    from services.runtime import http
    from services.runtime.executors.declarative import run_declarative

    with pytest.raises(ValidationError, match="map outputs, not inputs"):
        _action(inputs={"x": {"header": "x-id"}})
    action = _action(outputs={"message_id": {"header": "x-message-id"}, "status": {}})
    answer = http.Response(202, headers={"X-Message-Id": "m-1"})          # 202, no body (SendGrid's mail send)
    client = SimpleNamespace(request=lambda *a, **k: answer)
    ctx = SimpleNamespace(action=action, config={}, spec=_spec(), client=client)
    assert run_declarative(ctx, {}).output == {"message_id": "m-1", "status": None}   # type: ignore[arg-type]


def test_fixed_http_headers_go_with_the_check_too() -> None:
    from services.connect.checks import fixed_headers, run_check
    from services.connect.outbound import Outbound
    from services.runtime import http

    spec = _spec(headers={"revision": "2026-07-15", "Acme-Account": "{account_id}"}).model_copy(
        update={"check": load_catalog().get("klaviyo").check})
    assert fixed_headers(spec) == {"revision": "2026-07-15"}                    # per-connection ones are not
    seen: list[Any] = []
    def answer(request: Any) -> Any:
        seen.append(request)
        return http.Response(200, json={})

    out = Outbound(transport=http.MockTransport(answer),
                   resolver=lambda host: ["93.184.216.34"])
    run_check(spec, "api_key", url="https://a.example.com/api/accounts", auth=http.HeaderAuth("X", "y"),
              secrets={}, out=out)
    assert seen[0].headers["revision"] == "2026-07-15"


def test_request_body_refs_multipart_fields_and_one_value_for_a_repeatable_field() -> None:
    doc: dict[str, Any] = {"openapi": "3.0.0", "components": {"requestBodies": {"Send": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["to"], "properties": {
            "to": {"type": "array", "items": {"type": "string"}}, "n": {"type": "integer"}}}}}}}},
        "paths": {"/send": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Send"},
                                     "responses": {"200": {"description": "OK"}}}}}}
    ops = document_operations(doc)
    assert check_request_in(ops, "POST", "/send", FormFields({"to": "a@example.com", "n": "2"}))[1] == []
    _, missing = check_request_in(ops, "POST", "/send", FormFields({"n": "2"}))
    assert "to" in str(missing[0])                                           # the $ref'd body is checked
    _, bad = check_request_in(ops, "POST", "/send", FormFields({"to": "a@example.com", "n": "two"}))
    assert [p.where for p in bad] == ["$.n"]


def test_a_spread_key_merges_a_free_form_object_beside_required_keys():
    from services.runtime.executors.declarative import fill
    from services.runtime.provider_errors import ValidationFailed

    template = {"fieldData": {"name": "{name}", "slug": "{slug}", "...": "{more}"}}
    assert fill(template, {"name": "A", "slug": "a", "more": {"summary": "s", "name": "ignored"}}, {}) == \
        {"fieldData": {"summary": "s", "name": "A", "slug": "a"}}          # the named keys win
    assert fill(template, {"name": "A", "slug": "a"}, {}) == {"fieldData": {"name": "A", "slug": "a"}}
    with pytest.raises(ValidationFailed, match="must be an object"):
        fill(template, {"name": "A", "more": "text"}, {})
