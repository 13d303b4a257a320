import streamlit as st

from db.models import ROLES
from pages.ui import current_staff, flash, unit_of_work
from pages.ui.staff_panels import confirm_pending, picked_person, staff_table, submit
from services.people import staff as staff_service

me = current_staff()
st.title("Staff & roles")
st.caption("Who may use the Hub and which role they have. Pick a person in the table to change their role. "
           "Every change is written to the audit log.")
flash.show()
confirm_pending(me)

with unit_of_work() as session:
    people = staff_service.list_staff(session)
chosen = picked_person(staff_table(people), people)

if chosen is not None:
    with st.container(border=True):
        st.subheader(f"{chosen.name} · {chosen.email}")
        with st.form(f"staff_role_form_{chosen.id}", border=False):
            # keyed by the stored role too: after a save the form starts from what is stored
            role = st.selectbox("Role", ROLES, index=ROLES.index(chosen.role),
                                key=f"staff_role_of_{chosen.id}_{chosen.role}_{chosen.active}")
            active = st.checkbox("Active (may sign in)", value=chosen.active,
                                 key=f"staff_active_of_{chosen.id}_{chosen.role}_{chosen.active}")
            if st.form_submit_button("Save role", type="primary", key=f"staff_save_{chosen.id}"):
                submit(me, email=chosen.email, name=chosen.name, role=role, active=active, new=False)

st.subheader("Add a staff member")
with st.form("staff_form", clear_on_submit=False):
    email = st.text_input("Email", key="staff_email", placeholder="name@layers.example")
    name = st.text_input("Name", key="staff_name")
    role = st.selectbox("Role", ROLES, key="staff_role")
    if st.form_submit_button("Add staff member", type="primary", key="staff_add"):
        submit(me, email=email, name=name, role=role, active=True, new=True)
