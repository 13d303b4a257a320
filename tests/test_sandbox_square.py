"""Square where the contract suite cannot tell: the idempotency key goes in the body, fresh per call, with the
Square-Version header; the sandbox honours the key (a repeat answers the first result and creates nothing); errors
are {errors: [{category, code, detail}]}."""

from __future__ import annotations

import pytest

from services import sandbox
from services.catalog import load_catalog
from services.providers.square import sandbox as square
from services.runtime.executors.declarative import build_request
from services.sandbox import faults
from tests.sandbox_support import sandbox_client

API = "/sandbox/square/api"
ACME = {"Authorization": "Bearer sbx_acme.square-token", "Square-Version": "2025-08-20"}


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def test_payments_carry_a_fresh_body_idempotency_key_and_the_square_version():
    spec = load_catalog().get("square")
    inputs = {"source_id": "cnon:card-nonce-ok", "amount": 1000, "currency": "USD"}
    first, second = (build_request(spec.actions["create_payment"], inputs, {}, spec) for _ in range(2))
    assert first["json"]["amount_money"] == {"amount": 1000, "currency": "USD"}
    assert first["json"]["idempotency_key"] and first["json"]["idempotency_key"] != second["json"]["idempotency_key"]
    assert first["headers"]["Square-Version"] == "2025-08-20" and "Idempotency-Key" not in first["headers"]


def test_a_repeated_idempotency_key_answers_the_first_customer_and_creates_nothing(client):
    body = {"idempotency_key": "k-1", "email_address": "jane.doe@example.com"}
    first = client.post(f"{API}/v2/customers", json=body, headers=ACME)
    again = client.post(f"{API}/v2/customers", json=body, headers=ACME)
    other = client.post(f"{API}/v2/customers", json={**body, "idempotency_key": "k-2"}, headers=ACME)
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.json() == again.json() and "idempotency_key" not in first.json()["customer"]
    assert other.json()["customer"]["id"] != first.json()["customer"]["id"]
    assert len(square.STANDIN.state("acme")["customers"]) == 2


def test_errors_are_squares_errors_array(client):
    refused = client.get(f"{API}/v2/locations", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0] | {"detail": ""} == {"category": "AUTHENTICATION_ERROR", "code": "UNAUTHORIZED",
                                                            "detail": ""}
    missing = client.post(f"{API}/v2/payments", json={"idempotency_key": "k"}, headers=ACME)   # no source_id
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == "BAD_REQUEST"
    faults.arm(faults.Fault(provider="square", account="acme", kind="rate_limit", times=1))
    limited = client.get(f"{API}/v2/locations", headers=ACME)
    assert limited.status_code == 429 and limited.json()["errors"][0]["code"] == "RATE_LIMITED"
