"""Test runs: test mode changes nothing and is stored with its ticket; live mode is for engineers and admins,
behind a confirmation naming the customer account; the history lists checks and runs, newest first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry, TestRun
from services.core.errors import InvalidInput, PermissionDenied
from services.monitoring import forms
from services.monitoring.checks import check_connection
from services.monitoring.runs import clean_ticket, history, run_test
from services.people.staff import Staff
from services.providers.activecampaign import sandbox as ac_sandbox
from tests.health_support import clean_sandbox, sandbox_connection  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_sandbox")
SUPPORT = Staff(3, "support@layers.example", "Sam", "support", True)
ENGINEER = Staff(2, "engineer@layers.example", "Erik", "engineer", True)
NEW_CONTACT = {"email": "new.person@example.com", "first_name": "New"}


def emails(account: str) -> set[str]:
    return {c["email"] for c in ac_sandbox.state(account)["contacts"].values()}


def test_support_runs_a_write_in_test_mode_nothing_is_sent_and_the_run_is_stored(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    outcome = run_test(conn_id, "sync_contact", NEW_CONTACT, staff=SUPPORT, ticket="SUP-1234")
    assert outcome.result.ok and outcome.result.preview and outcome.diagnosis is None
    assert outcome.result.requests[0]["sent"] is False and outcome.result.requests[0]["method"] == "POST"
    assert "new.person@example.com" not in emails("acme")
    run = session.get(TestRun, outcome.test_run_id)
    assert (run.action, run.mode, run.ticket, run.ok, run.staff_email) == ("sync_contact", "test", "SUP-1234", True,
                                                                          SUPPORT.email)
    assert run.input == NEW_CONTACT and "not sent" in run.result["summary"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.test_run"))
    assert entry.actor == SUPPORT.email and entry.after["ticket"] == "SUP-1234" and entry.after["mode"] == "test"


def test_a_read_action_runs_for_real_in_test_mode(session, world):
    conn_id = sandbox_connection(session, world.org_id, "wordpress", "acme")
    outcome = run_test(conn_id, "get_posts", {"per_page": 5}, staff=SUPPORT)
    assert outcome.result.ok and not outcome.result.preview and outcome.result.requests[0]["sent"] is True
    assert outcome.result.requests[0]["status"] == 200


def test_bad_input_is_stored_as_a_failed_run_with_plain_words(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    outcome = run_test(conn_id, "sync_contact", {"email": "not-an-email"}, staff=SUPPORT, ticket="SUP-9")
    assert not outcome.result.ok and outcome.diagnosis.category == "validation"
    assert outcome.diagnosis.headline.startswith("The input or the connection's settings are not valid")
    assert session.get(TestRun, outcome.test_run_id).ok is False


def test_support_may_not_run_live(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    with pytest.raises(PermissionDenied, match="only engineers and admins"):
        run_test(conn_id, "sync_contact", NEW_CONTACT, staff=SUPPORT, mode="live", ticket="SUP-1",
                 confirm_account=world.org_name)
    assert session.scalars(select(TestRun)).all() == [] and "new.person@example.com" not in emails("acme")


def test_live_mode_needs_a_ticket_and_the_customer_account_named(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    with pytest.raises(InvalidInput, match="ticket"):
        run_test(conn_id, "sync_contact", NEW_CONTACT, staff=ENGINEER, mode="live", confirm_account=world.org_name)
    with pytest.raises(InvalidInput, match=f"type the customer account name \\({world.org_name}\\)"):
        run_test(conn_id, "sync_contact", NEW_CONTACT, staff=ENGINEER, mode="live", ticket="ENG-5",
                 confirm_account="Some Other Agency")
    assert "new.person@example.com" not in emails("acme")
    outcome = run_test(conn_id, "sync_contact", NEW_CONTACT, staff=ENGINEER, mode="live", ticket="ENG-5",
                       confirm_account=f"  {world.org_name.upper()} ")
    assert outcome.result.ok and outcome.result.requests[0]["sent"] is True
    assert "new.person@example.com" in emails("acme")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.test_run"))
    assert entry.after["mode"] == "live" and entry.after["organization"] == world.org_name


def test_history_lists_checks_and_runs_newest_first(session, world):
    conn_id = sandbox_connection(session, world.org_id, "activecampaign", "acme")
    check_connection(conn_id, actor=SUPPORT.email, ticket="SUP-1")
    run_test(conn_id, "apply_tag", {"contact_id": "51", "tag_id": "20"}, staff=SUPPORT, ticket="SUP-2")
    rows = history(session, conn_id)
    assert [(r.what, r.ticket, r.ok) for r in rows] == [("apply_tag", "SUP-2", True),
                                                        ("Credential check", "SUP-1", True)]
    assert rows[1].summary == "ActiveCampaign accepted the credentials"


@pytest.mark.parametrize("ticket", ["x" * 65, "SUP-1; DROP", "<b>"])
def test_bad_ticket_references_are_refused(ticket):
    with pytest.raises(InvalidInput, match="ticket"):
        clean_ticket(ticket)


def test_the_form_is_drawn_from_the_input_schema_with_sample_values():
    fields = {f.name: f for f in forms.form_fields("activecampaign", "create_deal")}
    assert fields["title"].required and fields["title"].default == "Website redesign"
    assert fields["value_cents"].kind == "integer" and fields["value_cents"].default == 450000
    calendly = {f.name: f for f in forms.form_fields("calendly", "get_scheduled_events")}
    assert calendly["status"].kind == "choice" and set(calendly["status"].options) == {"active", "canceled"}
    assert calendly["min_start_time"].kind == "datetime"
    hubspot = {f.name: f for f in forms.form_fields("hubspot", "send_email")}
    assert hubspot["contact_properties"].kind == "json"
    typed = forms.coerce(list(hubspot.values()), {"email_id": "42", "contact_properties": '{"a": 1}', "to": " "})
    assert typed == {"email_id": 42, "contact_properties": {"a": 1}}
    with pytest.raises(InvalidInput, match="expected JSON"):
        forms.coerce(list(hubspot.values()), {"contact_properties": "{nope"})
    assert [a.writes for a in forms.actions("wordpress")][:1] == [False]
