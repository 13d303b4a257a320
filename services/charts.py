"""Pure DataFrame -> plotly figure functions (no streamlit; unit-testable)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

STATUS_ORDER = ["requested", "planned", "building", "testing", "available", "deprecated"]


def status_counts(frame: pd.DataFrame) -> go.Figure:
    counts = (frame.groupby("status").size().reindex(STATUS_ORDER, fill_value=0)
              .rename("integrations").reset_index())
    fig = px.bar(counts, x="status", y="integrations", text="integrations",
                 title="Integrations per pipeline stage")
    fig.update_layout(height=320, margin={"t": 50, "b": 10, "l": 10, "r": 10})
    return fig
