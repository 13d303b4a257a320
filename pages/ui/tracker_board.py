"""Build tracker · Board: integrations as cards in status columns, with filters."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pages.ui import unit_of_work
from pages.ui.tracker_widgets import SEVERITY_COLORS, open_integration, target_text
from services.build import board
from services.build.pipeline import STATUSES
from services.demand import ranking
from services.people import staff as staff_service

DEFAULT_COLUMNS = ["planned", "building", "testing", "available"]
BUCKETS = ["Top", "Medium", "Low"]
BUCKET_COLORS = {"Top": "red", "Medium": "orange", "Low": "gray"}


def priority_buckets() -> dict[str, str]:
    """slug -> Top/Medium/Low from the demand ranking."""
    with unit_of_work() as session:
        return {r.slug: r.bucket for r in ranking.rank(session, include_built=True)}


def show() -> None:
    with unit_of_work() as session:
        frame = board.board_frame(session)
        names = {p.email: p.name for p in staff_service.list_staff(session)}
    buckets = priority_buckets()
    # Demand buckets mean something only for integrations not built yet.
    built = frame["existing"] | frame["status"].isin(["available", "deprecated"])
    frame["bucket"] = frame["slug"].map(buckets).where(~built, None)

    f1, f2, f3 = st.columns(3)
    categories = f1.multiselect("Category", sorted(frame["category"].unique()), key="board_category")
    owners = f2.multiselect("Owner", sorted(frame["owner"].dropna().unique()) + ["Unassigned"], key="board_owner")
    chosen = f3.multiselect("Priority bucket", BUCKETS, key="board_bucket", help="From the demand ranking (Priorities)")
    columns = st.pills("Status columns", STATUSES, selection_mode="multi", default=DEFAULT_COLUMNS,
                       key="board_columns")

    shown = frame
    if categories:
        shown = shown[shown["category"].isin(categories)]
    if owners:
        shown = shown[shown["owner"].isin(owners) | (shown["owner"].isna() & ("Unassigned" in owners))]
    if chosen:
        shown = shown[shown["bucket"].isin(chosen)]
    hidden = {s: int((shown["status"] == s).sum()) for s in STATUSES if s not in columns}
    st.caption(f"{len(shown)} of {len(frame)} integrations · progress = items done / items that apply"
               + "".join(f" · {s} ({n}) hidden" for s, n in hidden.items() if n))
    if not columns:
        st.info("Pick at least one status under Columns.")
        return

    for column, status in zip(st.columns(len(columns)), columns, strict=True):
        cards = shown[shown["status"] == status].sort_values(["target_date", "name"], na_position="last")
        with column:
            st.markdown(f"**{status.capitalize()}** · {len(cards)}")
            for row in cards.itertuples():
                card(row, names)
            if cards.empty:
                st.caption("—")


def card(row: Any, names: dict[str, str]) -> None:   # row: a board_frame row from DataFrame.itertuples()
    with st.container(border=True):
        label = getattr(row, "bucket", None)
        bucket = f" · :{BUCKET_COLORS[label]}-badge[{label}]" if isinstance(label, str) else ""
        st.markdown(f"**{row.name}**{bucket}  \n:gray[{row.category}]")
        if row.existing:
            st.progress(row.progress, text=f"Review {row.done}/{row.applicable}")
            if row.open_findings:
                color = SEVERITY_COLORS[row.worst_finding]
                st.caption(f":{color}[{row.open_findings} open finding(s), worst {row.worst_finding}]")
        else:
            st.progress(row.progress, text=f"{row.done}/{row.applicable} items")
            owner = names.get(row.owner, row.owner) if isinstance(row.owner, str) else "unassigned"
            target = row.target_date if not pd.isna(row.target_date) else None
            st.caption(f":material/person: {owner}  \n:material/event: {target_text(target, row.status)}")
        st.button("Open", key=f"open_{row.slug}", on_click=open_integration, args=(row.slug,), type="tertiary",
                  icon=":material/arrow_forward:")
