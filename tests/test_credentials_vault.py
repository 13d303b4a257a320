"""The vault: AES-256-GCM round trip, wrong key, tampering, rows swapped, key rotation, key configuration."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import Connection, Integration
from services.connect import keys as key_rotation
from services.connect.store import read_secrets, write_secrets
from services.connect.vault import Sealed, Vault, VaultError, aad, get_vault, hint, key_id_of, parse_keys
from services.core.config import load_settings
from tests.credentials_support import KEY_A, KEY_B

A, B = base64.b64decode(KEY_A), base64.b64decode(KEY_B)


@settings(max_examples=60, deadline=None)
@given(value=st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=5),
       row=st.integers(min_value=1, max_value=2**31))
def test_sealed_values_round_trip(value, row):
    vault = Vault([A])
    sealed = vault.seal_json(value, aad("connections", row))
    assert vault.open_json(sealed, aad("connections", row)) == value
    assert sealed.key_id == key_id_of(A) and len(sealed.blob) >= 12 + 16


def test_every_seal_uses_a_fresh_nonce():
    vault = Vault([A])
    one, two = vault.seal(b"sbx_same", aad("connections", 1)), vault.seal(b"sbx_same", aad("connections", 1))
    assert one.blob[:12] != two.blob[:12] and one.blob != two.blob


def test_wrong_key_fails_without_revealing_anything():
    sealed = Vault([A]).seal(b"sbx_wrong_key_secret", aad("connections", 7))
    other = Vault([B])
    with pytest.raises(VaultError, match="no longer holds"):
        other.open(sealed, aad("connections", 7))
    forged = Sealed(key_id_of(B), sealed.blob)          # right key id label, wrong key material
    with pytest.raises(VaultError, match="failed authentication") as info:
        other.open(forged, aad("connections", 7))
    assert "sbx_wrong_key_secret" not in str(info.value)


@pytest.mark.parametrize("position", [0, 5, 12, 20, -1])
def test_tampered_ciphertext_fails(position):
    vault = Vault([A])
    sealed = vault.seal(b"sbx_tamper_me_please", aad("connections", 3))
    blob = bytearray(sealed.blob)
    blob[position] ^= 0x01
    with pytest.raises(VaultError, match="failed authentication"):
        vault.open(Sealed(sealed.key_id, bytes(blob)), aad("connections", 3))
    with pytest.raises(VaultError):
        vault.open(Sealed(sealed.key_id, sealed.blob[:20]), aad("connections", 3))


def test_ciphertext_bound_to_its_row_and_table():
    vault = Vault([A])
    sealed = vault.seal(b"sbx_row_bound", aad("connections", 1))
    with pytest.raises(VaultError):
        vault.open(sealed, aad("connections", 2))
    with pytest.raises(VaultError):
        vault.open(sealed, aad("webhook_secrets", 1))
    with pytest.raises(VaultError):
        aad("connections", 0)   # a row without an id cannot be sealed


def _two_connections(session) -> tuple[Connection, Connection]:  # type: ignore[no-untyped-def]
    integration = session.scalar(select(Integration).where(Integration.slug == "activecampaign"))
    rows = [Connection(organization_id=org, integration_id=integration.id, auth_type="api_key", config={})
            for org in (_org(session), _org(session, "Second Org"))]
    session.add_all(rows)
    session.flush()
    return rows[0], rows[1]


def _org(session, name: str = "Vault Org") -> int:  # type: ignore[no-untyped-def]
    from db.models import Organization
    from services.demand.tiers import tiers_by_slug

    org = Organization(name=name, tier_id=next(iter(tiers_by_slug(session).values())).id)
    session.add(org)
    session.flush()
    return org.id


def test_swapped_rows_fail_to_decrypt(session, creds_env):
    one, two = _two_connections(session)
    write_secrets(one, {"api_key": "sbx_first_org_key"})
    write_secrets(two, {"api_key": "sbx_second_org_key"})
    session.commit()
    assert read_secrets(one) == {"api_key": "sbx_first_org_key"}
    one.credential_blob, two.credential_blob = two.credential_blob, one.credential_blob
    session.commit()
    for row in (one, two):
        with pytest.raises(VaultError, match="moved from another row"):
            read_secrets(row)


def test_rotation_reencrypts_everything_resumably_then_old_key_can_go(session, db_url, monkeypatch, creds_env):
    one, two = _two_connections(session)
    write_secrets(one, {"api_key": "sbx_rotate_one"})
    write_secrets(two, {"api_key": "sbx_rotate_two"})
    session.commit()
    old = key_id_of(A)
    assert key_rotation.keys_in_use(session) == {old: 2}

    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", f"{KEY_B},{KEY_A}")     # new key first, old kept to decrypt
    first = key_rotation.rotate_keys(db_url=db_url, limit=1)           # "interrupted" after one row
    assert first.reencrypted == 1 and first.stopped_early
    second = key_rotation.rotate_keys(db_url=db_url)
    assert (second.reencrypted, second.already_current, second.failed) == (1, 1, [])
    session.expire_all()
    assert key_rotation.keys_in_use(session) == {key_id_of(B): 2}

    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", KEY_B)                  # old key removed
    rows = session.scalars(select(Connection).order_by(Connection.id)).all()
    assert [read_secrets(r)["api_key"] for r in rows] == ["sbx_rotate_one", "sbx_rotate_two"]
    again = key_rotation.rotate_keys(db_url=db_url)
    assert (again.reencrypted, again.already_current) == (0, 2)


def test_rotation_reports_rows_it_cannot_open(session, db_url, monkeypatch, creds_env):
    one, _ = _two_connections(session)
    write_secrets(one, {"api_key": "sbx_lost_key"})
    session.commit()
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", KEY_B)                  # old key dropped too early
    report = key_rotation.rotate_keys(db_url=db_url)
    assert report.failed == [f"connections#{one.id}"] and report.reencrypted == 0


def test_key_configuration_errors_and_production_refusal(monkeypatch, tmp_path):
    with pytest.raises(VaultError, match="not valid base64"):
        parse_keys("%%%")
    with pytest.raises(VaultError, match="128 bits"):
        parse_keys(base64.b64encode(bytes(16)).decode())
    assert parse_keys(f" {KEY_A} , {KEY_B} ") == [A, B]
    monkeypatch.delenv("HUB_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("HUB_SANDBOX", raising=False)
    monkeypatch.setenv("HUB_ENV", "production")
    with pytest.raises(VaultError, match="production requires HUB_ENCRYPTION_KEYS"):
        get_vault(load_settings(), dev_key_path=tmp_path / "k")
    monkeypatch.setenv("HUB_ENV", "development")
    vault = get_vault(load_settings(), dev_key_path=tmp_path / "dev.key")
    assert vault.development and (tmp_path / "dev.key").exists()
    again = get_vault(load_settings(), dev_key_path=tmp_path / "dev.key")
    assert again.active_key_id == vault.active_key_id


def test_hint_shows_at_most_the_last_four_characters():
    assert hint("sbx_abcdefghijkl1234") == "••••1234"
    assert hint("short") == "••••"
    assert hint(None) == ""
