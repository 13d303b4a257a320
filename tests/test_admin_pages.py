"""Staff & roles and Audit log (issue 14, admin): pick a person in the staff table to change their role; a
confirmation before an address outside the staff domain gets a role; the audit log filtered by any entity it holds
and by part of an actor."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.models import AuditEntry, StaffUser
from services import demo
from services.core import audit, queries
from services.people import staff as staff_service
from tests.sign_in_support import signed_in_app

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}
DOMAINS = ("layers.example",)


@pytest.fixture
def staffed(session, db_url, monkeypatch):
    monkeypatch.setenv("HUB_STAFF_DOMAINS", "layers.example")
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def staff_page() -> AppTest:
    at = signed_in_app(STAFF["admin"])
    at.switch_page("staff.py").run()
    assert not at.exception, at.exception
    return at


def person(session, email: str) -> StaffUser | None:
    session.expire_all()
    return session.scalar(select(StaffUser).where(StaffUser.email == email))


def table(at: AppTest):
    frame = next(d for d in at.dataframe if d.key and d.key.startswith("staff_table"))
    return frame


def pick(at: AppTest, email: str) -> AppTest:
    grid = table(at)
    row = int(grid.value.reset_index(drop=True).index[grid.value["email"].reset_index(drop=True) == email][0])
    at.session_state[grid.key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def role_box(at: AppTest, staff_id: int):
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"staff_role_of_{staff_id}"))


# ---- Staff & roles --------------------------------------------------------------------------------------------

def test_admin_picks_a_person_in_the_table_and_changes_their_role(staffed):
    at = staff_page()
    pm = person(staffed, STAFF["pm"])
    assert not [s for s in at.selectbox if s.key and s.key.startswith("staff_role_of_")]   # nobody picked yet
    pick(at, STAFF["pm"])
    assert not at.exception, at.exception
    assert any(STAFF["pm"] in s.value for s in at.subheader)
    role_box(at, pm.id).select("engineer")
    at.button(key=f"staff_save_{pm.id}").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [f"Saved {STAFF['pm']} as engineer"]
    assert table(at).value.set_index("email").loc[STAFF["pm"], "role"] == "engineer"     # at once
    assert person(staffed, STAFF["pm"]).role == "engineer"
    assert role_box(at, pm.id).value == "engineer"          # the form still holds the same person
    entry = staffed.scalar(select(AuditEntry).where(AuditEntry.action == "staff.updated"))
    assert entry.before["role"] == "pm" and entry.after["role"] == "engineer"
    at.run()                                                 # and it stays so on the next run
    assert table(at).value.set_index("email").loc[STAFF["pm"], "role"] == "engineer"


def test_the_pick_follows_the_person_when_the_table_reorders(staffed):
    """The table is sorted by role: after a role change the row number points at someone else."""
    at = staff_page()
    pm = person(staffed, STAFF["pm"])
    pick(at, STAFF["pm"])
    role_box(at, pm.id).select("support")
    at.button(key=f"staff_save_{pm.id}").click().run()
    at.run()
    assert any(STAFF["pm"] in s.value for s in at.subheader)
    assert role_box(at, pm.id).value == "support"


def test_adding_an_existing_address_points_to_the_table(staffed):
    at = staff_page()
    at.text_input(key="staff_email").input(STAFF["pm"])
    at.text_input(key="staff_name").input("Again")
    at.button(key="staff_add").click().run()
    assert any("already staff" in e.value and "table" in e.value for e in at.error), [e.value for e in at.error]


def test_an_address_outside_the_staff_domain_is_confirmed_before_it_gets_a_role(staffed):
    at = staff_page()
    at.text_input(key="staff_email").input("Contractor@Agency.example")
    at.text_input(key="staff_name").input("Casey Contractor")
    at.selectbox(key="staff_role").select("support")
    at.button(key="staff_add").click().run()
    assert not at.exception, at.exception
    assert person(staffed, "contractor@agency.example") is None                 # not yet
    assert any("outside the staff domain" in w.value and "@layers.example" in w.value for w in at.warning)
    at.button(key="staff_cancel").click().run()
    assert not [w for w in at.warning if "outside the staff domain" in w.value]
    assert person(staffed, "contractor@agency.example") is None

    at.button(key="staff_add").click().run()
    at.button(key="staff_confirm").click().run()
    assert not at.exception, at.exception
    saved = person(staffed, "contractor@agency.example")
    assert saved is not None and (saved.role, saved.name) == ("support", "Casey Contractor")
    assert table(at).value.set_index("email").loc["contractor@agency.example", "role"] == "support"

    pick(at, "contractor@agency.example")                       # a role change is confirmed too
    role_box(at, saved.id).select("engineer")
    at.button(key=f"staff_save_{saved.id}").click().run()
    assert person(staffed, "contractor@agency.example").role == "support"
    at.button(key="staff_confirm").click().run()
    assert person(staffed, "contractor@agency.example").role == "engineer"


def test_domain_warning_only_when_an_outside_address_gets_a_role_it_does_not_hold(staffed):
    def warn(email: str, role: str, active: bool = True) -> str | None:
        return staff_service.domain_warning(staffed, email=email, role=role, active=active, staff_domains=DOMAINS)

    assert warn("new@layers.example", "pm") is None
    assert "outside the staff domain (@layers.example)" in (warn("x@agency.example", "pm") or "")
    assert warn("x@agency.example", "pm", active=False) is None             # no role given
    staff_service.save_staff(staffed, actor=STAFF["admin"], email="x@agency.example", name="X", role="pm")
    assert warn("X@agency.example", "pm") is None                            # holds it already
    assert warn("x@agency.example", "admin") is not None
    assert staff_service.domain_warning(staffed, email="y@agency.example", role="pm", active=True,
                                        staff_domains=()) is None             # no domains configured


# ---- Audit log ---------------------------------------------------------------------------------------------------

@pytest.fixture
def logged(staffed):
    audit.record(staffed, actor="Ops.Person@Layers.example", action="integration.status_changed",
                 entity_type="integration", entity_id="hubspot", before={"status": "planned"},
                 after={"status": "building"})
    audit.record(staffed, actor="engineer@layers.example", action="integration.status_changed",
                 entity_type="integration", entity_id="calendly", before={"status": "planned"},
                 after={"status": "building"})
    audit.record(staffed, actor="cli", action="webhooks.pruned", entity_type="webhooks", entity_id=None,
                 after={"events": 3})
    staffed.commit()
    return staffed


def test_audit_filters_come_from_what_the_log_holds(logged):
    entities = queries.audit_entities(logged)
    assert {"integration", "webhooks"} <= set(entities) and entities == sorted(entities)
    ids = queries.audit_entity_ids(logged, "integration")            # (the catalog sync audits every integration)
    assert {"calendly", "hubspot"} <= set(ids) and ids == sorted(ids)
    assert queries.audit_entity_ids(logged, "webhooks") == []
    pm = person(logged, STAFF["pm"])
    labels = queries.audit_entity_labels(logged, "staff_user", [str(pm.id), "999"])
    assert labels == {str(pm.id): f"{STAFF['pm']} ({pm.id})", "999": "999"}     # a staff id reads as its email
    assert queries.audit_entity_labels(logged, "integration", ["hubspot"]) == {"hubspot": "hubspot"}
    frame = queries.audit_frame(logged, entity_type="integration", entity_id="hubspot")
    assert set(frame["entity_id"]) == {"hubspot"} and "Ops.Person@Layers.example" in set(frame["actor"])
    assert queries.audit_frame(logged, actor="ops.PERSON")["actor"].tolist() == ["Ops.Person@Layers.example"]
    assert set(queries.audit_frame(logged, actor="layers.EXAMPLE")["actor"]) >= {"Ops.Person@Layers.example",
                                                                                 "engineer@layers.example"}
    assert queries.audit_frame(logged, actor="%").empty                     # a wildcard is a plain character


def test_audit_page_filters_by_entity_id_and_partial_actor(logged):
    at = signed_in_app(STAFF["admin"])
    at.switch_page("audit.py").run()
    assert not at.exception, at.exception
    entity = at.selectbox(key="audit_entity")
    assert "webhooks" in entity.options and "zapier_hook" not in entity.options          # what the log holds
    entity.select("integration").run()
    at.selectbox(key="audit_entity_id_integration").select("hubspot").run()
    assert not at.exception, at.exception
    shown = at.dataframe(key="audit_table").value
    assert set(shown["entity_id"]) == {"hubspot"} and "Ops.Person@Layers.example" in set(shown["actor"])
    at.selectbox(key="audit_entity_id_integration").select("(all)").run()
    at.text_input(key="audit_actor").input("ENGINEER@").run()
    assert at.dataframe(key="audit_table").value["actor"].tolist() == ["engineer@layers.example"]


def test_a_selected_entry_outside_the_filtered_log_is_not_opened(logged):
    at = signed_in_app(STAFF["admin"])
    at.switch_page("audit.py").run()
    frame = at.dataframe(key="audit_table").value.reset_index(drop=True)
    row = int(frame.index[frame["actor"] == "Ops.Person@Layers.example"][0])
    assert row > 0
    at.session_state["audit_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert len(at.json) == 2
    at.text_input(key="audit_actor").input("engineer@").run()       # one entry left; the row picked is gone
    assert not at.exception, at.exception
    assert len(at.json) == 0
