"""Pure DataFrame -> plotly figures for the build tracker (no streamlit; unit-testable)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def burnup(frame: pd.DataFrame, title: str = "Checklist items completed (burn-up)") -> go.Figure:
    """Cumulative done items per day against the scope (applicable items today)."""
    fig = go.Figure()
    if not frame.empty:
        fig.add_trace(go.Scatter(x=frame["day"], y=frame["done"], mode="lines+markers", name="done",
                                 line={"shape": "hv"}))
        fig.add_trace(go.Scatter(x=[frame["day"].iloc[0], frame["day"].iloc[-1]],
                                 y=[frame["scope"].iloc[0]] * 2, mode="lines", name="scope (applicable items)",
                                 line={"dash": "dash", "color": "gray"}))
    else:
        fig.add_annotation(text="No checklist item has been completed yet", showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_layout(title=title, height=380, margin={"t": 50, "b": 10, "l": 10, "r": 10},
                      yaxis_title="items", xaxis_title=None, legend={"orientation": "h", "y": -0.15})
    return fig
