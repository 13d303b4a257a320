"""Success criteria: where Phase 4 stands, from live data, with the list behind every number."""

import streamlit as st

from pages import success_panels as panels
from pages.ui import current_staff, unit_of_work
from services.success.report import build_report, figures_csv

current_staff()
st.title("Success criteria")
PERIODS = {"Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365, "All time": None}

head, pick = st.columns([3, 1], vertical_alignment="bottom")
period = pick.selectbox("Planning period (criterion 4)", list(PERIODS), index=1, key="success_period")
with unit_of_work() as session:
    report = build_report(session, period_days=PERIODS[period])
head.caption(f"Phase 4 — integration expansion, computed from live data on {report.as_of:%d %b %Y, %H:%M} UTC. "
             "Each number opens onto the list behind it further down.")

panels.scorecards(report)
st.subheader("Where the pipeline stands")
panels.pipeline(report)
st.subheader("Forecast")
panels.forecast(report)
st.subheader("The lists behind the numbers")
panels.details(report)

st.download_button("Download the page's figures (CSV)", figures_csv(report), icon=":material/download:",
                   file_name=f"phase4-success-criteria-{report.as_of:%Y-%m-%d}.csv", mime="text/csv",
                   key="success_csv")
