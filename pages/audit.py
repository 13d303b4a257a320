import streamlit as st

from pages.ui import current_staff, unit_of_work
from pages.ui.audit_entry import entry_details
from services.core import queries

current_staff()
st.title("Audit log")
st.caption("Every change made through the Hub: who, what, and each changed field as old → new. "
           "Select a row to see its before and after in full.")

c1, c2, c3, c4 = st.columns([2, 2, 3, 1])
with unit_of_work() as session:
    entities = queries.audit_entities(session)                          # what the log holds
entity = c1.selectbox("Entity", ["(all)", *entities], key="audit_entity")
entity_id = None
if entity != "(all)":
    with unit_of_work() as session:
        ids = queries.audit_entity_ids(session, entity)
        labels = {"(all)": "(all)", **queries.audit_entity_labels(session, entity, ids)}
    # one filter per entity type: switching the type starts from all of its ids
    chosen = c2.selectbox("Id", ["(all)", *ids], key=f"audit_entity_id_{entity}", disabled=not ids,
                          format_func=labels.__getitem__, help="Every id of this entity the log holds")
    entity_id = None if chosen == "(all)" else chosen
actor = c3.text_input("Actor contains", key="audit_actor", placeholder="e.g. admin@ or layers.example",
                      help="Any part of the actor's email or name, whatever the case")
limit = c4.number_input("Rows", min_value=10, max_value=5000, value=200, step=50, key="audit_limit")
with unit_of_work() as session:
    frame = queries.audit_frame(session, limit=int(limit), entity_type=None if entity == "(all)" else entity,
                                entity_id=entity_id, actor=actor.strip() or None)
st.caption(f"{len(frame)} entries, newest first")
event = st.dataframe(frame, hide_index=True, width="stretch", key="audit_table", on_select="rerun",
                     selection_mode="single-row",
                     column_order=["when", "actor", "action", "entity", "entity_id", "changes"],
                     column_config={"when": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                                    "actor": "Actor", "action": "Action", "entity": "Entity", "entity_id": "Id",
                                    "changes": st.column_config.TextColumn("Changes", width="large")})
picked = event.selection.rows
if picked and picked[0] < len(frame):           # (a row picked before the filter changed may be gone)
    entry_details(frame.iloc[picked[0]])
