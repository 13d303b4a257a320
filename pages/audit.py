import streamlit as st

from pages.ui import current_staff, unit_of_work
from pages.ui.audit_entry import entry_details
from services.core import queries

current_staff()
st.title("Audit log")
st.caption("Every change made through the Hub: who, what, and each changed field as old → new. "
           "Select a row to see its before and after in full.")

c1, c2, c3 = st.columns(3)
entity = c1.selectbox("Entity", ["(all)", "integration", "staff_user", "checklist_item", "connection",
                                 "ranking_settings", "database"], key="audit_entity")
actor = c2.text_input("Actor email", key="audit_actor").strip().lower()
limit = c3.number_input("Rows", min_value=10, max_value=5000, value=200, step=50, key="audit_limit")
with unit_of_work() as session:
    frame = queries.audit_frame(session, limit=int(limit), entity_type=None if entity == "(all)" else entity,
                                actor=actor or None)
st.caption(f"{len(frame)} entries, newest first")
event = st.dataframe(frame, hide_index=True, width="stretch", key="audit_table", on_select="rerun",
                     selection_mode="single-row",
                     column_order=["when", "actor", "action", "entity", "entity_id", "changes"],
                     column_config={"when": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                                    "actor": "Actor", "action": "Action", "entity": "Entity", "entity_id": "Id",
                                    "changes": st.column_config.TextColumn("Changes", width="large")})
if event.selection.rows:
    entry_details(frame.iloc[event.selection.rows[0]])
