"""API keys, basic credentials and application passwords: checked with the provider's who-am-I call on
save, stored sealed; a credential the provider rejects is not stored and the error says why."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Connection
from services.catalog import load_catalog
from services.connect import connections as conns
from services.connect.fields import form_fields
from services.connect.outbound import Outbound
from services.connect.store import read_secrets
from services.core.config import load_settings
from services.core.errors import InvalidInput
from services.runtime import http
from services.runtime.provider_errors import CredentialRejected

# slug, auth type, form values (sbx_ secrets), the secret field
SANDBOX_CASES = [
    ("activecampaign", "api_key", {"api_key": "sbx_acme.ac-key-0001"}, "api_key"),
    ("hubspot", "api_key", {"api_key": "sbx_acme.private-app-token"}, "api_key"),
    ("calendly", "api_key", {"api_key": "sbx_acme.personal-access-token"}, "api_key"),
    ("webflow", "api_key", {"api_key": "sbx_acme.site-token-0001", "site_id": "0123456789abcdef01234567"}, "api_key"),
    ("wordpress", "app_password", {"username": "editor", "app_password": "sbx_acme abcd efgh ijkl"}, "app_password"),
    ("mailchimp", "basic", {"password": "sbx_acme.key-us21"}, "password"),
    ("n8n", "webhook", {"api_key": "sbx_acme.n8n-api-key"}, "api_key"),
]
REJECTIONS = {   # what each provider says about a bad key (sandbox follows providers.md)
    "activecampaign": ("403", "No Result found for User"), "hubspot": ("401", "INVALID_AUTHENTICATION"),
    "calendly": ("401", "Unauthenticated"), "webflow": ("401", "not_authorized"),
    "wordpress": ("401", "incorrect_password"), "mailchimp": ("401", "API Key Invalid"),
    "n8n": ("401", "unauthorized"),
}


def _rows(session) -> list[Connection]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(Connection)).all()


@pytest.mark.parametrize("slug, auth_type, values, secret_field", SANDBOX_CASES)
def test_sandbox_key_is_checked_then_stored_sealed(session, world, slug, auth_type, values, secret_field):
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug=slug,
                                 auth_type=auth_type, values=values, sandbox_connection=True)
    session.commit()
    row = session.get(Connection, saved.connection.id)
    secret = values[secret_field]
    assert read_secrets(row)[secret_field] == secret
    assert secret.encode() not in row.credential_blob
    assert saved.connection.secret_hint == "••••" + secret[-4:] and saved.connection.sandbox
    assert saved.connection.last_checked_at is not None and saved.connection.status == "active"
    assert secret not in json.dumps(row.config)
    if slug == "mailchimp":
        assert row.config["dc"] == "us21"   # from the -usNN suffix of the key
    if slug == "n8n":
        assert saved.webhook_secret and saved.webhook_secret.startswith("whsec_")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.created"))
    assert secret not in json.dumps(entry.after) and entry.after["verified"] is True
    assert conns.test_connection(row.id, actor=world.staff_email).ok


@pytest.mark.parametrize("slug, auth_type, values, secret_field", SANDBOX_CASES)
def test_key_the_provider_rejects_is_not_stored_and_the_error_says_why(session, world, slug, auth_type, values,
                                                                       secret_field):
    bad = {**values, secret_field: "live-looking-but-fake-key-0000-us21"}
    with pytest.raises(CredentialRejected) as info:
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug=slug,
                             auth_type=auth_type, values=bad, sandbox_connection=True)
    status, words = REJECTIONS[slug]
    message = str(info.value)
    assert f"HTTP {status}" in message and words in message, message
    assert "live-looking-but-fake-key" not in message
    session.rollback()
    assert _rows(session) == []


def _public_dns(host: str) -> list[str]:
    return ["93.184.216.34"]   # a public address; no real DNS in tests


def test_real_provider_check_through_a_mock_transport(session, world):
    seen: list[http.Request] = []

    def activecampaign(request: http.Request) -> http.Response:
        seen.append(request)
        if request.headers.get("Api-Token") == "fake-good-key-000000":
            return http.Response(200, json={"user": {"username": "owner", "email": "owner@example.com"}})
        return http.Response(403, json={"message": "No Result found for User with id 0"})

    out = Outbound(load_settings(), transport=http.MockTransport(activecampaign), resolver=_public_dns)
    values = {"account_url": "https://example.api-us1.com", "api_key": "fake-good-key-000000"}
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                                 slug="activecampaign", auth_type="api_key", values=values, out=out)
    assert str(seen[0].url) == "https://example.api-us1.com/api/3/users/me"
    assert not saved.connection.sandbox and saved.connection.base_url == "https://example.api-us1.com/api/3"
    with pytest.raises(CredentialRejected, match="HTTP 403 — No Result found"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                             slug="activecampaign", auth_type="api_key", out=out,
                             values={**values, "api_key": "fake-bad-key-0000000"})


def test_provider_outage_is_not_a_rejection(session, world):
    out = Outbound(load_settings(), resolver=_public_dns,
                   transport=http.MockTransport(lambda r: http.Response(503, text="upstream down")))
    from services.runtime.provider_errors import ProviderUnreachable
    with pytest.raises(ProviderUnreachable, match="HTTP 503"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="hubspot",
                             auth_type="api_key", values={"api_key": "fake-hubspot-token-000"}, out=out)


def test_form_fields_come_from_the_catalog():
    catalog = load_catalog()
    ac = [f.name for f in form_fields(catalog.get("activecampaign"), "api_key")]
    assert ac == ["account_url", "api_key"]
    wp = {f.name: f.secret for f in form_fields(catalog.get("wordpress"), "app_password")}
    assert wp == {"site_url": False, "username": False, "app_password": True}
    assert [f.name for f in form_fields(catalog.get("salesforce"), "oauth2")] == []   # instance_url from token
    assert [f.name for f in form_fields(catalog.get("mailchimp"), "oauth2")] == []    # dc from metadata
    assert [(f.name, f.secret) for f in form_fields(catalog.get("mailchimp"), "basic")] == [
        ("dc", False), ("username", False), ("password", True)]
    assert "webhook_secret" not in [f.name for f in form_fields(catalog.get("n8n"), "webhook")]
    with pytest.raises(InvalidInput, match="does not support"):
        form_fields(catalog.get("activecampaign"), "oauth2")


def test_missing_required_and_bad_pattern_name_the_field(session, world):
    with pytest.raises(InvalidInput, match="^api_key is required for ActiveCampaign$"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                             slug="activecampaign", auth_type="api_key", values={}, sandbox_connection=True)
    with pytest.raises(InvalidInput, match="Server prefix"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="mailchimp",
                             auth_type="basic", values={"dc": "eu1", "password": "sbx_x"}, sandbox_connection=True)


def test_sandbox_connections_need_the_sandbox(session, world, monkeypatch):
    monkeypatch.setenv("HUB_SANDBOX", "0")
    with pytest.raises(InvalidInput, match="HUB_SANDBOX=1"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                             slug="activecampaign", auth_type="api_key", values={"api_key": "sbx_a"},
                             sandbox_connection=True)
