"""Every page opens for every role that may see it; no role reaches another role's page."""

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.models import AuditEntry, StaffUser
from services import demo
from services.people import roles
from tests.sign_in_support import HUB, hub_app, signed_in_app

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


@pytest.fixture
def staffed(session, db_url):
    demo.ensure_demo_staff(session)
    session.commit()
    return db_url


def signed_in(role: str) -> AppTest:
    return signed_in_app(STAFF[role])


def test_signed_out_shows_only_the_sign_in_screen(staffed):
    at = hub_app(None).run()
    assert not at.exception
    assert at.title[0].value == "Layers Integration Hub"
    assert at.button(key="oidc_login").label == "Sign in"
    assert "staff" not in at.session_state


def test_without_auth_nothing_offers_a_picker(staffed):
    at = AppTest.from_file(HUB, default_timeout=60).run()   # no [auth]: no sign-in at all, no picker
    assert not at.exception
    assert "No sign-in is configured" in at.error[0].value
    assert not at.selectbox and not at.button


@pytest.mark.parametrize("role", list(STAFF))
def test_every_allowed_page_opens_and_others_are_unreachable(staffed, role):
    at = signed_in(role)
    assert at.session_state.staff.role == role
    for page in roles.PAGES:
        if role in page.roles:
            at.switch_page(f"{page.key}.py").run()
            assert not at.exception, f"{role} / {page.key}: {at.exception}"
            assert at.title[0].value, f"{role} / {page.key} has no title"
        else:
            with pytest.raises(ValueError):
                at.switch_page(f"{page.key}.py")


def test_role_lands_on_its_home_page(staffed):
    at = signed_in("pm")
    assert at.title[0].value == "Priorities"
    at = signed_in("leadership")
    assert at.title[0].value == "Success criteria"


def test_staff_without_a_role_sees_no_pages(staffed, session):
    row = session.scalar(select(StaffUser).where(StaffUser.role == "support"))
    row.active = False
    session.commit()
    at = signed_in_app(STAFF["support"])
    assert at.title[0].value == "Ask an admin for access"
    assert "no longer has access" in at.error[0].value
    assert "staff" not in at.session_state
    with pytest.raises(ValueError):
        at.switch_page("credential_test.py")


def test_admin_adds_a_staff_member_and_it_is_audited(staffed, session):
    at = signed_in("admin")
    at.switch_page("staff.py").run()
    at.text_input(key="staff_email").input("new.pm@layers.example")
    at.text_input(key="staff_name").input("New PM")
    at.selectbox(key="staff_role").select("pm")
    at.button[0].click().run()   # the form's submit button
    assert not at.exception, at.exception
    assert "Saved new.pm@layers.example as pm" in at.success[0].value
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.created"))
    assert entry.actor == STAFF["admin"] and entry.after["role"] == "pm"


def test_bad_staff_email_names_the_field(staffed):
    at = signed_in("admin")
    at.switch_page("staff.py").run()
    at.text_input(key="staff_email").input("not-an-email")
    at.text_input(key="staff_name").input("X")
    at.button[0].click().run()
    assert "email" in at.error[0].value


def test_staff_table_shows_a_save_at_once(staffed):
    """Issue 14, pages 3: the table drawn after "Saved …" holds the saved person (it lagged one save behind)."""
    at = signed_in("admin")
    at.switch_page("staff.py").run()
    at.text_input(key="staff_email").input("new.pm@layers.example")
    at.text_input(key="staff_name").input("New PM")
    at.selectbox(key="staff_role").select("pm")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Saved new.pm@layers.example as pm"]
    table = at.dataframe[0].value
    assert table.set_index("email").loc["new.pm@layers.example", "role"] == "pm"
    # a role is changed by picking the person in the table (issue 14, admin)
    row = int((table.reset_index(drop=True)["email"] == "new.pm@layers.example").idxmax())
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    next(s for s in at.selectbox if s.key and s.key.startswith("staff_role_of_")).select("engineer")
    next(b for b in at.button if b.key and b.key.startswith("staff_save_")).click().run()
    assert at.dataframe[0].value.set_index("email").loc["new.pm@layers.example", "role"] == "engineer"


def test_catalog_table_shows_no_literal_none(staffed):
    """Issue 14, pages 8: a missing value reads "—" (the Top 10 column printed "None" for most rows)."""
    at = signed_in("admin")
    at.switch_page("catalog.py").run()
    assert not at.exception, at.exception
    frame = at.dataframe(key="catalog_table").value
    assert not frame.isna().any().any(), frame.columns[frame.isna().any()].tolist()
    assert set(frame["top10"]) >= {"—", "#1"}
