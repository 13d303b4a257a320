"""Build tracker · Progress: burn-up of checklist items for all or selected integrations."""

from __future__ import annotations

import streamlit as st

from pages.ui import unit_of_work
from services.build import board
from services.build import charts as build_charts
from services.core.text import date_text


def show() -> None:
    with unit_of_work() as session:
        frame = board.board_frame(session)
    names = dict(zip(frame["slug"], frame["name"], strict=True))
    in_flight = frame[frame["status"].isin(["planned", "building", "testing"])]["slug"].tolist()
    chosen = st.multiselect("Integrations (empty = all)", list(names), default=in_flight,
                            format_func=lambda s: names[s], key="progress_integrations")
    with unit_of_work() as session:
        burnup = board.burnup_frame(session, chosen or None)
    title = f"Checklist items completed — {len(chosen) or 'all'} integration(s)"
    st.plotly_chart(build_charts.burnup(burnup, title), width="stretch", key="burnup_chart")
    shown = (frame[frame["slug"].isin(chosen)] if chosen else frame).assign(
        owner=lambda f: f["owner"].fillna("unassigned"), progress=lambda f: (f["progress"] * 100).round(),
        target_date=lambda f: f["target_date"].map(date_text))
    st.dataframe(
        shown[["name", "status", "owner", "target_date", "done", "applicable", "progress"]],
        hide_index=True, width="stretch", key="progress_table",
        column_config={"name": "Integration", "status": "Status", "owner": "Owner",
                       "target_date": st.column_config.TextColumn("Target date"),
                       "done": st.column_config.NumberColumn("Done", help="Items done"),
                       "applicable": st.column_config.NumberColumn("Apply", help="Items that apply"),
                       "progress": st.column_config.ProgressColumn("Progress", min_value=0, max_value=100,
                                                                   format="%d%%")})
