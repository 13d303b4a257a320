"""services/sandbox/discovery.py: requests checked against Google API discovery documents — a small document
written here for each rule, and the official documents in shared/specs/google-workspace/ for the real paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.sandbox.discovery import Spec, check_method, document_methods, folder_methods
from services.sandbox.schema_checks import NO_BODY, specs_dir

DOC = {
    "kind": "discovery#restDescription", "rootUrl": "https://things.example.com/", "servicePath": "things/v1/",
    "parameters": {"fields": {"type": "string", "location": "query"}},
    "schemas": {
        "Thing": {"id": "Thing", "type": "object", "properties": {
            "name": {"type": "string", "annotations": {"required": ["things.items.insert"]}},
            "size": {"type": "integer", "format": "int32"},
            "big": {"type": "string", "format": "int64"},
            "when": {"$ref": "When"},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "blob": {"type": "string", "format": "byte"},
            "extra": {"type": "any"}}},
        "When": {"id": "When", "type": "object", "properties": {"date": {"type": "string", "format": "date"}}},
    },
    "resources": {"items": {"methods": {
        "insert": {"id": "things.items.insert", "httpMethod": "POST", "path": "items/{itemId}",
                   "flatPath": "items/{itemId}", "request": {"$ref": "Thing"},
                   "parameters": {"itemId": {"type": "string", "location": "path", "required": True},
                                  "mode": {"type": "string", "location": "query", "required": True,
                                           "enum": ["FAST", "SLOW"]},
                                  "limit": {"type": "integer", "location": "query", "minimum": "1",
                                            "maximum": "10"}}},
        "list": {"id": "things.items.list", "httpMethod": "GET", "path": "items", "parameters": {}},
        "get": {"id": "things.items.get", "httpMethod": "GET", "path": "items/{+name}",
                "parameters": {"name": {"type": "string", "location": "path", "required": True}}},
    }}},
}
URL = "https://things.example.com/things/v1/items/42?mode=FAST"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Spec]:
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "things.v1.json").write_text(json.dumps(DOC))
    (tmp_path / "things" / "SOURCE.txt").write_text("not a document")
    monkeypatch.setenv("HUB_SPECS_DIR", str(tmp_path))
    folder_methods.cache_clear()
    yield Spec("things", origins={"https://things.example.com": "/api"})
    folder_methods.cache_clear()


def _problems(spec: Spec, method: str, url: str, body: object = NO_BODY) -> list[str]:
    return [str(p) for p in spec.check_request(method, url, body)[1]]


def test_methods_are_read_from_nested_resources_under_the_service_path() -> None:
    templates = {m.id: (m.http_method, m.template, m.host) for m in document_methods(DOC)}
    assert templates["things.items.insert"] == ("POST", "/things/v1/items/{itemId}", "things.example.com")
    assert templates["things.items.get"][1] == "/things/v1/items/{+name}"


def test_a_conforming_request_has_no_problems(spec: Spec) -> None:
    body = {"name": "x", "size": 3, "big": "9007199254740993", "when": {"date": "2026-01-01"}, "tags": ["a"],
            "labels": {"k": "v"}, "blob": "SGVsbG8_", "extra": [1, {"any": True}]}
    assert _problems(spec, "POST", URL + "&fields=name&limit=10", body) == []
    assert _problems(spec, "GET", "/things/v1/items/a/b/c") == []             # {+name} spans segments
    assert _problems(spec, "GET", "http://127.0.0.1:8501/sandbox/things/api/things/v1/items") == []


def test_an_unknown_body_field_is_reported_like_google(spec: Spec) -> None:
    assert _problems(spec, "POST", URL, {"name": "x", "colour": "red"}) == [
        "$.colour: Unknown name \"colour\" at '$': Cannot find field."]


def test_a_field_the_method_requires_and_a_missing_body(spec: Spec) -> None:
    assert _problems(spec, "POST", URL, {"size": 1}) == ["$: missing required field(s) name"]
    assert _problems(spec, "POST", URL) == ["$: the request body is required"]
    assert _problems(spec, "GET", "/things/v1/items", {"name": "x"}) == ["$: this method takes no request body"]


def test_types_formats_and_enums_are_checked(spec: Spec) -> None:
    found = _problems(spec, "POST", URL, {"name": 5, "size": 2**40, "big": "12x", "when": {"date": "01/02/2026"},
                                          "tags": ["c"], "labels": {"k": 1}, "blob": "not base64!"})
    wheres = sorted(p.split(":")[0] for p in found)
    assert wheres == ["$.big", "$.blob", "$.labels.k", "$.name", "$.size", "$.tags[0]", "$.when.date"], found


def test_a_missing_required_query_parameter_and_bad_query_values(spec: Spec) -> None:
    base = "https://things.example.com/things/v1/items/42"
    assert _problems(spec, "POST", base, {"name": "x"}) == ["query:mode: required query parameter is missing"]
    found = _problems(spec, "POST", base + "?mode=QUICK&limit=11&colour=red", {"name": "x"})
    assert [p.split(":")[1] for p in found] == ["mode", "limit", "colour"], found
    assert "Cannot bind query parameter" in found[2]


def test_a_wrong_path_host_or_method_matches_nothing(spec: Spec) -> None:
    assert _problems(spec, "POST", "https://things.example.com/things/v2/items/42?mode=FAST", {"name": "x"}) == [
        "$: no method POST things.example.com/things/v2/items/42 in the discovery documents"]
    assert _problems(spec, "POST", "https://other.example.com/things/v1/items/42?mode=FAST", {"name": "x"})[0] \
        .startswith("$: no method POST other.example.com")
    assert _problems(spec, "DELETE", URL)[0].startswith("$: no method DELETE")


def test_check_method_reports_a_missing_path_value() -> None:
    insert = next(m for m in document_methods(DOC) if m.id == "things.items.insert")
    assert [str(p) for p in check_method(insert, {}, {"mode": ["FAST"]}, {"name": "x"})] == [
        "path:itemId: required path parameter is missing"]


def test_a_folder_without_discovery_documents_is_not_a_definition(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUB_SPECS_DIR", str(tmp_path))
    folder_methods.cache_clear()
    with pytest.raises(FileNotFoundError):
        Spec("nothing").methods()
    folder_methods.cache_clear()


@pytest.mark.skipif(not (specs_dir() / "google-workspace").is_dir(), reason="shared/specs not present")
def test_the_official_documents_know_the_hub_requests_and_refuse_wrong_ones() -> None:
    folder_methods.cache_clear()
    google = Spec("google-workspace")
    send = "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
    assert google.problems("POST", send, {"raw": "SGk"}) == []
    assert google.problems("POST", send, {}) == ["$: missing required field(s) raw"]          # Message.raw
    assert google.problems("POST", send.replace("gmail.googleapis.com", "www.googleapis.com"), {"raw": "SGk"})
    event = "https://www.googleapis.com/calendar/v3/calendars/primary/events"
    assert google.problems("POST", event, {"summary": "x"}) == ["$: missing required field(s) end, start"]
    append = "https://sheets.googleapis.com/v4/spreadsheets/abc/values/Sheet1%21A1:append?valueInputOption=RAW"
    assert google.problems("POST", append, {"values": [["a", 1]]}) == []
    assert google.problems("POST", append, {"rows": [["a"]]}) == [
        "$.rows: Unknown name \"rows\" at '$': Cannot find field."]
    assert google.problems("GET", "https://www.googleapis.com/drive/v3/files?pageSize=1001") == [
        "query:pageSize: must be <= 1000"]
    assert google.problems("GET", "https://www.googleapis.com/oauth2/v2/userinfo") == []
