"""Success criteria: where Phase 4 stands, from live data, with the list behind every number."""

import streamlit as st

from pages.ui import current_staff, unit_of_work
from pages.ui import success_panels as panels
from services.success.report import build_report, figures_csv

current_staff()
st.title("Success criteria")
PERIODS = {"Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365, "All time": None}

head, pick, download = st.columns([4, 2, 2], vertical_alignment="bottom")
period = pick.selectbox("Planning period (criterion 4)", list(PERIODS), index=1, key="success_period")
with unit_of_work() as session:
    report = build_report(session, period_days=PERIODS[period])
head.caption(f"Phase 4 — integration expansion, computed from live data on {report.as_of:%d %b %Y, %H:%M} UTC. "
             "The lists behind every number are at the bottom of the page.")
download.download_button("Download figures (CSV)", figures_csv(report), icon=":material/download:",
                         file_name=f"phase4-success-criteria-{report.as_of:%Y-%m-%d}.csv", mime="text/csv",
                         key="success_csv", width="stretch")

panels.scorecards(report)
st.subheader("Where the pipeline stands")
panels.pipeline(report)
st.subheader("Forecast")
panels.forecast(report)
st.subheader("The lists behind the numbers")
panels.details(report)
