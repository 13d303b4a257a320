import streamlit as st

from pages.ui import current_staff, unit_of_work
from services.build import board
from services.catalog import load_catalog
from services.core import integrations
from services.core.text import top10_text

me = current_staff()
catalog = load_catalog()
st.title("Integration catalog")
st.caption("Every integration Layers offers or has been asked for, from the one declarative catalog.")

with unit_of_work() as session:
    frame = board.integrations_frame(session)
frame["top10"] = frame["top10"].map(top10_text)

f1, f2, f3 = st.columns([2, 2, 3])
categories = f1.multiselect("Category", sorted(frame["category"].unique()), key="cat_filter")
statuses = f2.multiselect("Status", sorted(frame["status"].unique()), key="status_filter")
text = f3.text_input("Search name or slug", key="cat_search").strip().lower()
shown = frame
if categories:
    shown = shown[shown["category"].isin(categories)]
if statuses:
    shown = shown[shown["status"].isin(statuses)]
if text:
    shown = shown[shown["name"].str.lower().str.contains(text, regex=False) | shown["slug"].str.contains(text)]
st.caption(f"{len(shown)} of {len(frame)} integrations · select a row for its actions and triggers")

event = st.dataframe(
    shown, key="catalog_table", hide_index=True, on_select="rerun", selection_mode="single-row", width="stretch",
    column_config={"checklist_pct": st.column_config.ProgressColumn("Checklist", format="%d%%",
                                                                    min_value=0, max_value=100),
                   "top10": st.column_config.TextColumn("Top 10", help="Rank in the seed's top 10 requests")},
)
if not event.selection.rows:
    st.stop()

row = shown.iloc[event.selection.rows[0]]
spec = catalog.get(row["slug"])
st.subheader(f"{spec.name} · {row['category']}")
auth = spec.auth.method + (f" (also {', '.join(spec.auth.alternatives)})" if spec.auth.alternatives else "")
st.write(f"Authentication: **{auth}** · status **{row['status']}** · upvoting {row['upvoting']}")
actions, triggers = st.columns(2)
with actions:
    st.markdown("**Actions**")
    for action in spec.actions.values():
        inputs = ", ".join(f"`{k}`{'*' if f.required else ''}" for k, f in action.inputs.items())
        st.markdown(f"- {action.title}: {inputs or 'no inputs'}")
    if not spec.actions:
        st.caption("No actions described yet.")
with triggers:
    st.markdown("**Triggers**")
    for trigger in spec.triggers.values():
        st.markdown(f"- {trigger.title}" + (f" (`{'`, `'.join(trigger.events)}`)" if trigger.events else ""))
    if not spec.triggers:
        st.caption("No triggers described yet.")

if me.role in ("engineer", "admin"):
    with st.expander("Already integrated?"):
        st.write("Mark an integration that Layers already offers; it leaves the demand ranking and its "
                 "upvoting closes.")
        existing = st.toggle("Already integrated in Layers", value=bool(row["existing"]), key="existing_toggle")
        if existing != bool(row["existing"]) and st.button("Save", key="existing_save", type="primary"):
            with unit_of_work() as session:
                integrations.set_existing(session, actor=me.email, slug=spec.slug, existing=existing)
            st.toast(f"{spec.name} updated")
            st.rerun()
