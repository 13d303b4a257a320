import streamlit as st

from pages.ui import current_staff, unit_of_work
from services.core import queries

current_staff()
st.title("Audit log")
st.caption("Every change made through the Hub: who, what, before and after.")

c1, c2, c3 = st.columns(3)
entity = c1.selectbox("Entity", ["(all)", "integration", "staff_user", "checklist_item", "connection",
                                 "ranking_settings", "database"], key="audit_entity")
actor = c2.text_input("Actor email", key="audit_actor").strip().lower()
limit = c3.number_input("Rows", min_value=10, max_value=5000, value=200, step=50, key="audit_limit")
with unit_of_work() as session:
    frame = queries.audit_frame(session, limit=int(limit), entity_type=None if entity == "(all)" else entity,
                                actor=actor or None)
st.caption(f"{len(frame)} entries, newest first")
st.dataframe(frame, hide_index=True, width="stretch", key="audit_table")
