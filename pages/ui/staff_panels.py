"""Staff & roles: the staff table a person is picked from, saving, and the confirmation before an address outside
the staff domain gets a role."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pages.ui import flash, unit_of_work
from services.core.config import load_settings
from services.core.errors import HubError
from services.people import staff as staff_service
from services.people.staff import Staff

PENDING = "staff_pending"


@dataclass(frozen=True)
class Pending:
    """A save waiting for the admin's confirmation (see ``staff_service.domain_warning``)."""
    email: str
    name: str
    role: str
    active: bool
    new: bool
    warning: str


def staff_table(people: list[Staff]) -> list[int]:
    """The staff table; returns the selected row positions. A save draws a new table (another key): the table is
    sorted by role, so a kept row number would point at someone else after a role change."""
    version = st.session_state.get("staff_table_version", 0)
    event = st.dataframe(pd.DataFrame([p.__dict__ for p in people], columns=["id", "email", "name", "role", "active"]),
                         hide_index=True, width="stretch", key=f"staff_table_{version}", on_select="rerun",
                         selection_mode="single-row",
                         column_config={"id": "Id", "email": "Email", "name": "Name", "role": "Role",
                                        "active": st.column_config.CheckboxColumn("Active")})
    return list(event.selection.rows)


def picked_person(rows: list[int], people: list[Staff]) -> Staff | None:
    """The person picked in the table, kept by id: a selected row number means the row the browser showed, i.e. the
    table of the previous run, and the person stays picked when a save redraws the table without a selection."""
    if rows != st.session_state.get("staff_rows", []):
        shown = st.session_state.get("staff_ids", [])
        st.session_state["staff_rows"] = rows
        st.session_state["staff_picked"] = shown[rows[0]] if rows and rows[0] < len(shown) else None
    st.session_state["staff_ids"] = [p.id for p in people]
    return next((p for p in people if p.id == st.session_state.get("staff_picked")), None)


def submit(me: Staff, *, email: str, name: str, role: str, active: bool, new: bool) -> None:
    """A form's save: at once, or after a confirmation when the address is outside the staff domain."""
    try:
        with unit_of_work() as session:
            warning = staff_service.domain_warning(session, email=email, role=role, active=active,
                                                   staff_domains=load_settings().staff_domains)
    except HubError as exc:
        st.error(str(exc))
        return
    if warning is not None:
        st.session_state[PENDING] = Pending(email, name, role, active, new, warning)
        st.rerun()
    save(me, Pending(email, name, role, active, new, ""))


def save(me: Staff, change: Pending) -> None:
    try:
        with unit_of_work() as session:
            if change.new:
                saved = staff_service.add_staff(session, actor=me.email, email=change.email, role=change.role,
                                                name=change.name.strip() or None)
            else:
                saved = staff_service.save_staff(session, actor=me.email, email=change.email, name=change.name,
                                                 role=change.role, active=change.active)
    except HubError as exc:
        st.session_state.pop(PENDING, None)
        st.error(str(exc))
        return
    st.session_state.pop(PENDING, None)
    if change.new:                        # an empty form for the next person
        for key in ("staff_email", "staff_name"):
            st.session_state.pop(key, None)
    # a new table without a selection; the picked person (kept by id) stays picked
    st.session_state["staff_table_version"] = st.session_state.get("staff_table_version", 0) + 1
    st.session_state["staff_rows"] = []
    flash.set("success", f"Saved {saved.email} as {saved.role}" + ("" if saved.active else " (inactive)"))
    st.rerun()


def confirm_pending(me: Staff) -> None:
    """The confirmation a save outside the staff domain waits for: give the role, or cancel."""
    change: Pending | None = st.session_state.get(PENDING)
    if change is None:
        return
    with st.container(border=True):
        st.warning(change.warning, icon=":material/domain_disabled:")
        yes, no, _ = st.columns([2, 1, 3])
        if yes.button(f"Give {change.email} the {change.role} role", type="primary", key="staff_confirm"):
            save(me, change)
        if no.button("Cancel", key="staff_cancel"):
            st.session_state.pop(PENDING, None)
            st.rerun()
