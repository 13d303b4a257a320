import pandas as pd
import streamlit as st

from db.models import ROLES
from pages.ui import current_staff, flash, unit_of_work
from services.core.errors import HubError
from services.people import staff as staff_service

me = current_staff()
st.title("Staff & roles")
st.caption("Who may use the Hub and which role they have. Every change is written to the audit log.")

with unit_of_work() as session:
    people = staff_service.list_staff(session)
st.dataframe(pd.DataFrame([p.__dict__ for p in people]), hide_index=True, width="stretch", key="staff_table")

st.subheader("Add or change a staff member")
with st.form("staff_form", clear_on_submit=False):
    email = st.text_input("Email", key="staff_email", placeholder="name@layers.example")
    name = st.text_input("Name", key="staff_name")
    role = st.selectbox("Role", ROLES, key="staff_role")
    active = st.checkbox("Active (may sign in)", value=True, key="staff_active")
    submitted = st.form_submit_button("Save staff member", type="primary")
flash.show()

if submitted:
    try:
        with unit_of_work() as session:
            saved = staff_service.save_staff(session, actor=me.email, email=email, name=name, role=role,
                                             active=active)
    except HubError as exc:
        st.error(str(exc))
    else:
        # the table above was drawn before the save: draw the page again
        flash.set("success", f"Saved {saved.email} as {saved.role}" + ("" if saved.active else " (inactive)"))
        st.rerun()
