import streamlit as st

from pages.ui import current_staff, unit_of_work
from services.build import board
from services.core import queries
from services.demand import charts
from services.people import roles

me = current_staff()
st.title("Layers Integration Hub")
st.caption("Phase 4 — integration expansion: rank demand, build, test and announce integrations.")

with unit_of_work() as session:
    counts = queries.overview_counts(session)
    frame = board.integrations_frame(session)

cols = st.columns(5)
cols[0].metric("Integrations in catalog", counts["integrations"])
cols[1].metric("Available in Layers", counts.get("status_available", 0))
cols[2].metric("In progress", sum(counts.get(f"status_{s}", 0) for s in ("planned", "building", "testing")))
cols[3].metric("Customer organizations", f"{counts['organizations']:,}")
cols[4].metric("Upvotes", f"{counts['upvotes']:,}")

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.status_counts(frame), width="stretch", key="status_chart")
with right:
    st.subheader("Your pages")
    for page in roles.pages_for(me.role):
        st.page_link(f"{page.key}.py", label=page.title, icon=page.icon)
