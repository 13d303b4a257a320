"""The Credential test page (AppTest) per role: support finds the customer, checks and runs in test mode but
cannot run live; engineers run live behind a confirmation naming the customer account; others cannot open it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Connection, Organization, TestRun, User
from services.connect.store import write_secrets
from services.providers.activecampaign import sandbox as ac_sandbox
from tests.health_support import clean_sandbox, organization, sandbox_connection  # noqa: F401
from tests.test_pages import signed_in

pytestmark = pytest.mark.usefixtures("clean_sandbox")


def table(at, *columns: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page with these columns (keyed dataframes without selection have no key in
    AppTest)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def open_page(role: str = "support", query: str | None = None):  # type: ignore[no-untyped-def]
    at = signed_in(role)
    at.switch_page("credential_test.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Credential test"
    if query is not None:
        at.text_input(key="ct_query").input(query).run()
        assert not at.exception, at.exception
    return at


def test_support_finds_the_customer_checks_the_connection_and_the_run_is_stored_with_the_ticket(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    other = organization(session, "Unrelated Studio")
    sandbox_connection(session, other, "wordpress", "other")
    at = open_page(query="sandbox test")
    assert table(at, "matched by")["organization"].tolist() == [world.org_name]
    facts = [m.value for m in at.markdown]
    assert ":green-badge[Active]" in facts and "never tested" in facts
    at.text_input(key="ct_ticket").input("SUP-4242").run()
    at.button(key="ct_check").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "ActiveCampaign accepted the credentials"
    run = session.scalar(select(TestRun).where(TestRun.connection_id == conn_id))
    assert (run.ticket, run.staff_email, run.action) == ("SUP-4242", "support@layers.example", None)
    at.run()
    assert any("check · " in m.value and "check_circle" in m.value for m in at.markdown), "last tests at a glance"
    history = table(at, "who", "ticket")
    assert history["ticket"].tolist() == ["SUP-4242"] and history["what"].tolist() == ["Credential check"]


def test_a_failed_check_explains_in_plain_words_with_category_and_provider_message(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    write_secrets(session.get(Connection, conn_id), {"api_key": "not-a-sandbox-key-0001"})
    session.commit()
    at = open_page(query=f"#{conn_id}")
    at.button(key="ct_check").click().run()
    assert "The API key was rejected by ActiveCampaign" in at.error[0].value
    text = " ".join(m.value for m in at.markdown)
    assert "What to do:" in text and "Authentication" in text and "No Result found for User with id 0" in text
    assert "not-a-sandbox-key-0001" not in text


def test_support_runs_an_action_in_test_mode_and_cannot_choose_live(session, world):
    sandbox_connection(session, world.org_id, "activecampaign", "acme")
    at = open_page(query="Sandbox")
    with pytest.raises(KeyError):
        at.radio(key="ct_mode")
    box = at.selectbox(key=f"ct_action_{at.selectbox(key='ct_pick').value}")
    box.select_index([o.startswith("Create/update contact") for o in box.options].index(True)).run()
    prefix = f"ct_in_{at.selectbox(key='ct_pick').value}_sync_contact_"
    assert at.text_input(key=prefix + "email").value == "jane.doe@example.com", "pre-filled with the sample"
    at.text_input(key=prefix + "email").input("page.person@example.com")
    at.button(key="ct_run").click().run()
    assert not at.exception, at.exception
    assert "nothing was sent (test mode)" in at.success[0].value
    assert "page.person@example.com" not in {c["email"] for c in ac_sandbox.state("acme")["contacts"].values()}
    run = session.scalar(select(TestRun).where(TestRun.action == "sync_contact"))
    assert run.mode == "test" and run.input["email"] == "page.person@example.com"


def test_engineer_runs_live_only_after_naming_the_customer_account(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    at = open_page("engineer", query=f"{conn_id}")
    box = at.selectbox(key=f"ct_action_{conn_id}")
    box.select_index([o.startswith("Create/update contact") for o in box.options].index(True)).run()
    at.radio(key="ct_mode").set_value("live").run()
    assert f"sends this request to **{world.org_name}**" in at.warning[0].value
    assert at.button(key="ct_run").disabled and at.button(key="ct_run").label == f"Run live on {world.org_name}"
    at.text_input(key="ct_confirm").input("Another Agency").run()
    assert at.button(key="ct_run").disabled
    at.text_input(key="ct_confirm").input(world.org_name).run()
    assert not at.button(key="ct_run").disabled
    at.text_input(key=f"ct_in_{conn_id}_sync_contact_email").input("live.person@example.com")
    at.button(key="ct_run").click().run()
    assert "a ticket reference is required" in at.error[0].value, "live mode needs a ticket"
    at.text_input(key="ct_ticket").input("ENG-77").run()
    at.button(key="ct_run").click().run()
    assert not at.exception, at.exception
    assert "the customer's account was changed" in at.success[0].value
    assert "live.person@example.com" in {c["email"] for c in ac_sandbox.state("acme")["contacts"].values()}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.test_run"))
    assert (entry.actor, entry.after["mode"], entry.after["ticket"]) == ("engineer@layers.example", "live", "ENG-77")


def test_find_by_a_customer_users_email(session, world):
    sandbox_connection(session, world.org_id, "wordpress", "acme")
    org = session.get(Organization, world.org_id)
    session.add(User(email="maria.lopez@client.example", name="Maria", organization_id=org.id, tier_id=org.tier_id))
    session.commit()
    at = open_page(query="maria.lopez@")
    matches = table(at, "matched by")
    assert matches["organization"].tolist() == [world.org_name]
    assert matches["matched by"].tolist() == ["user maria.lopez@client.example"]
    at = open_page(query="nobody@nowhere.example")
    assert "No connection matches" in at.info[0].value


def test_a_bad_ticket_reference_is_refused(session, world):
    sandbox_connection(session, world.org_id, "activecampaign", "acme")
    at = open_page(query="")
    at.text_input(key="ct_ticket").input("<script>").run()
    assert "ticket" in at.error[0].value


@pytest.mark.parametrize("role", ["pm", "leadership"])
def test_roles_without_access_cannot_open_it(session, world, role):
    at = signed_in(role)
    with pytest.raises(ValueError):
        at.switch_page("credential_test.py")
