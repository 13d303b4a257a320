import streamlit as st

from pages.ui import cached_read, current_staff, unit_of_work
from pages.ui import priorities_panels as panels
from services.core.csv_export import frame_to_csv
from services.demand import charts, ranking, requesters

me = current_staff()
can_edit = me.role in ranking.SETTINGS_ROLES
st.title("Priorities")

f1, f2, f3, f4, f5 = st.columns([2, 2, 2, 3, 1.4], vertical_alignment="bottom")
include_built = f5.toggle("Include built", key="include_built")
with unit_of_work() as session:
    version = ranking.data_version(session)        # one cheap statement; the reads below come from the cache
settings = cached_read(version, ranking.current_settings)
demand = cached_read(version, ranking.load_demand)
ranked = ranking.rank_demand(demand, settings, include_built=include_built)
st.caption(f"Unbuilt integrations ranked by score = Σ upvotes × tier weight · ranking settings "
           f"**version {settings.version}** · Top: ≥ {settings.top_upvotes} upvotes or ≥ {settings.high_tier_min} "
           f"high-tier upvoter ({', '.join(settings.high_tiers)}); Medium: ≥ {settings.medium_upvotes} upvotes")

frame = panels.ranking_frame(ranked, ranking.reasons(demand, settings))
categories = f1.multiselect("Category", sorted(frame["category"].unique()), key="pri_category")
buckets = f2.multiselect("Bucket", list(ranking.BUCKETS), key="pri_bucket")
statuses = f3.multiselect("Status", sorted(frame["status"].unique()), key="pri_status")
text = f4.text_input("Search", key="pri_search", placeholder="name or slug").strip().lower()
shown = panels.filter_frame(frame, categories, buckets, statuses, text)

top_left, top_right = st.columns([4, 1], vertical_alignment="bottom")
top_left.caption(f"{len(shown)} of {len(frame)} integrations · select rows to see who asked, chart them or plan them")
top_right.download_button("Download CSV", frame_to_csv(shown.drop(columns=["slug"])).encode(),
                          file_name=f"priorities-v{settings.version}.csv", mime="text/csv", key="pri_csv",
                          icon=":material/download:", width="stretch")
event = st.dataframe(shown, key="priorities_table", hide_index=True, on_select="rerun",
                     selection_mode="multi-row", width="stretch", column_order=panels.TABLE_ORDER,
                     column_config=panels.COLUMN_CONFIG, height=420)
selected = shown.iloc[event.selection.rows]["slug"].tolist() if event.selection.rows else []

if selected:
    if can_edit:
        panels.plan_panel(me, selected, frame)
    panels.who_asked(selected[0], frame, version)

st.subheader("Charts")
c1, c2 = st.columns([3, 2])
with c1:
    top_n = st.slider("Top N by score", 3, max(3, min(30, len(frame))), min(10, max(3, len(frame))), key="pri_top_n")
    order = frame.head(top_n)
    tier_rows = cached_read(version, ranking.score_by_tier, order["slug"].tolist(), settings)
    st.plotly_chart(charts.score_by_tier(tier_rows, order["integration"].tolist()), width="stretch", key="tier_chart")
with c2:
    st.plotly_chart(charts.bucket_counts(shown["bucket"].tolist()), width="stretch", key="bucket_chart")
weekly_slugs = selected or frame.head(5)["slug"].tolist()
weekly = cached_read(version, requesters.weekly_upvotes, weekly_slugs)
st.caption("Upvotes per week for the selected integrations" if selected else
           "Upvotes per week for the top 5 (select rows to choose others)")
st.plotly_chart(charts.weekly_upvotes(weekly), width="stretch", key="weekly_chart")

st.divider()
left, right = st.columns(2)
with left:
    edited = panels.settings_panel(me, settings, demand.tiers, can_edit)
with right:
    panels.import_panel(me, can_edit)
if edited is not None:
    panels.settings_preview(ranking.preview(demand, settings, edited, include_built=include_built), settings)
