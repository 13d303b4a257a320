"""The Connections page (AppTest): connect by form and by OAuth, test, reconnect, rotate, revoke."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Connection
from services.connect import connections as conns
from tests.test_pages import signed_in


def open_page(role: str = "support"):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("connections.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Connections"
    return at


def choose(at, key: str, label_start: str):  # type: ignore[no-untyped-def]
    box = at.selectbox(key=key)
    index = next(i for i, o in enumerate(box.options) if o.startswith(label_start))
    box.select_index(index).run()
    assert not at.exception, at.exception


def submit(at):  # type: ignore[no-untyped-def]
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert not at.exception, at.exception


def test_form_connect_with_a_sandbox_key_then_table_shows_only_a_hint(session, world):
    at = open_page()
    choose(at, "conn_integration", "ActiveCampaign")
    assert at.toggle(key="conn_sandbox").value is True
    at.text_input(key="conn_field_api_key").input("sbx_page.visible-nowhere-1234")
    submit(at)
    assert "ActiveCampaign accepted the credentials" in at.success[0].value
    frame = at.dataframe[0].value
    assert list(frame["secret"]) == ["••••1234"] and "SANDBOX" in frame["integration"][0]
    assert "sbx_page.visible-nowhere" not in frame.to_csv()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.created"))
    assert entry.actor == "support@layers.example"


def test_rejected_key_shows_the_providers_reason(session, world):
    at = open_page()
    choose(at, "conn_integration", "HubSpot")
    at.radio(key="conn_auth_hubspot").set_value("api_key").run()
    at.text_input(key="conn_field_api_key").input("pat-na1-not-a-sandbox-key")
    submit(at)
    assert "Not saved: HubSpot rejected the credentials: HTTP 401" in at.error[0].value
    assert "pat-na1-not-a-sandbox-key" not in at.error[0].value
    assert session.scalars(select(Connection)).all() == []


def test_oauth_connect_button_gives_a_link_to_the_consent_page(session, world):
    at = open_page("engineer")
    choose(at, "conn_integration", "Calendly")
    assert at.radio(key="conn_auth_calendly").value == "oauth2"
    at.button(key="conn_oauth").click().run()
    links = at.get("link_button")
    assert links and "Continue to Calendly" in links[0].proto.label
    assert "/sandbox/calendly/auth/oauth/authorize?" in links[0].proto.url
    assert "code_challenge_method=S256" in links[0].proto.url


def _oauth_connection(session, world, status: str = "needs_reauth") -> int:  # type: ignore[no-untyped-def]
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="calendly",
                                 auth_type="api_key", values={"api_key": "sbx_demo.pat-0000"},
                                 sandbox_connection=True)
    row = session.get(Connection, saved.connection.id)
    row.auth_type, row.status = "oauth2", status
    session.commit()
    return row.id


def test_needs_reauth_offers_reconnect(session, world):
    conn_id = _oauth_connection(session, world)
    at = open_page("admin")
    assert "refused the stored refresh token" in at.warning[0].value
    at.button(key="conn_reconnect").click().run()
    link = at.get("link_button")[0].proto
    assert "Continue to Calendly" in link.label and "/sandbox/calendly/" in link.url
    from db.models import OAuthState
    state = session.scalars(select(OAuthState)).all()[-1]
    assert state.connection_id == conn_id


def test_test_rotate_and_revoke_actions_are_audited(session, world):
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="n8n",
                                 auth_type="webhook", values={"api_key": "sbx_page.n8n-key"},
                                 sandbox_connection=True)
    session.commit()
    at = open_page()
    at.button(key="conn_test").click().run()
    assert "n8n accepted the credentials" in at.success[0].value
    at.button(key="conn_rotate").click().run()
    secret = at.code[0].value
    assert secret.startswith("whsec_") and secret != saved.webhook_secret
    assert "shown only once" in at.warning[0].value
    at.run()
    assert not at.code, "the secret is shown once, not on the next run"
    assert at.button(key="conn_revoke").disabled
    at.checkbox(key="conn_confirm").check().run()
    at.button(key="conn_revoke").click().run()
    session.expire_all()
    assert session.get(Connection, saved.connection.id).status == "revoked"
    actions = {e.action for e in session.scalars(select(AuditEntry))}
    assert {"connection.created", "connection.tested", "webhook_secret.rotated", "connection.revoked"} <= actions


def test_the_first_webhook_secret_of_a_connection_that_is_not_of_the_webhook_type(session, world):
    """Calendly with an API key receives signed webhooks: its first secret is created here, not only rotated."""
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="calendly",
                                 auth_type="api_key", values={"api_key": "sbx_demo.pat-0000"},
                                 sandbox_connection=True)
    session.commit()
    at = open_page()
    button = at.button(key="conn_rotate")
    assert button.label == "Create webhook secret"
    button.click().run()
    secret = at.code[0].value
    assert secret.startswith("whsec_") and f"First webhook secret for #{saved.connection.id}" in at.success[0].value
    at.run()
    assert at.button(key="conn_rotate").label == "Rotate webhook secret" and not at.code
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook_secret.created",
                                                   AuditEntry.entity_id == str(saved.connection.id))) is not None


@pytest.mark.parametrize("role", ["pm", "leadership"])
def test_roles_without_access_cannot_open_it(staffed, role):
    at = signed_in(role)
    with pytest.raises(ValueError):
        at.switch_page("connections.py")


@pytest.fixture
def staffed(session, db_url):  # type: ignore[no-untyped-def]
    from services import demo

    demo.ensure_demo_staff(session)
    session.commit()
    return db_url
