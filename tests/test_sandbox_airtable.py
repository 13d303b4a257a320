"""The Airtable sandbox answers like Airtable where the contract suite cannot say it: unknown field names are
422 UNKNOWN_FIELD_NAME, an unknown base or table is refused, offset paging, and its error bodies."""

from __future__ import annotations

import pytest

from services import sandbox
from services.providers.airtable import sandbox as airtable
from tests.sandbox_support import sandbox_client

TABLE = f"/sandbox/airtable/api/v0/{airtable.BASE_ID}/Tasks"
AUTH = {"Authorization": "Bearer sbx_acme.airtable-pat"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_a_bad_token_is_airtables_401(client):
    r = client.get("/sandbox/airtable/api/v0/meta/whoami", headers={"Authorization": "Bearer patnope"})
    assert r.status_code == 401 and r.json() == {"error": {"type": "AUTHENTICATION_REQUIRED",
                                                           "message": "Authentication required"}}


def test_unknown_field_names_are_422_unless_typecast(client):
    r = client.post(TABLE, headers=AUTH, json={"fields": {"Name": "x", "Priority": "High"}})
    assert r.status_code == 422 and r.json()["error"] == {"type": "UNKNOWN_FIELD_NAME",
                                                          "message": 'Unknown field name: "Priority"'}
    created = client.post(TABLE, headers=AUTH, json={"fields": {"Name": "x"}}).json()
    assert set(created) == {"id", "createdTime", "fields"} and created["id"].startswith("rec") \
        and len(created["id"]) == 17


def test_unknown_bases_tables_and_routes(client):
    base = client.get(TABLE.replace(airtable.BASE_ID, "appnope0000000000"), headers=AUTH)
    assert base.status_code == 403 and base.json()["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    assert client.get(TABLE.replace("Tasks", "Nope"), headers=AUTH).status_code == 404
    assert client.get("/sandbox/airtable/api/v1/nothing", headers=AUTH).json() == {"error": "NOT_FOUND"}
    r = client.post(TABLE, headers={**AUTH, "Authorization": "Bearer sbx_beta"},
                    json={"fields": {"Name": "x"}, "bogus": 1})
    assert r.status_code == 422 and r.json()["error"]["type"] == "INVALID_REQUEST_UNKNOWN"


def test_offset_pages_through_the_table(client):
    first = client.get(TABLE, headers=AUTH, params={"pageSize": "2"}).json()
    assert len(first["records"]) == 2 and first["offset"]
    rest = client.get(TABLE, headers=AUTH, params={"pageSize": "2", "offset": first["offset"]}).json()
    assert len(rest["records"]) == 1 and "offset" not in rest
    assert {r["id"] for r in first["records"]}.isdisjoint(r["id"] for r in rest["records"])
