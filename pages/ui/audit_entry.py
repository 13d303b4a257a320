"""Audit log · one entry opened: its before and after in full."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from services.core.text import BLANK


def entry_details(row: pd.Series) -> None:
    st.markdown(f"**{row['action']}** · {row['entity']} {row['entity_id']} · {row['actor']} · "
                f"{row['when']:%Y-%m-%d %H:%M:%S UTC}")
    before, after = st.columns(2)
    for column, side in ((before, "before"), (after, "after")):
        with column:
            st.caption(side.capitalize())
            text = row[side]
            if isinstance(text, str):
                st.json(json.loads(text), expanded=True)
            else:
                st.caption(BLANK)
