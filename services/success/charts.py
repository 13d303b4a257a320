"""Pure plotly figures for the Success criteria page (no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from services.success.forecast import Forecast

STAGE_COLORS = {"requested": "#9aa4b2", "planned": "#7c8cf8", "building": "#f0a202", "testing": "#e86f51",
                "available": "#2da44e", "deprecated": "#6e7781"}
LAYOUT = {"height": 360, "margin": {"t": 50, "b": 10, "l": 10, "r": 10},
          "legend": {"orientation": "h", "y": -0.18}}


def status_bar(counts: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(y=counts["status"], x=counts["integrations"], text=counts["integrations"],
                           orientation="h", textposition="outside", cliponaxis=False,
                           marker_color=[STAGE_COLORS.get(s, "#999") for s in counts["status"]]))
    fig.update_layout(title="Integrations per pipeline stage", xaxis_title="integrations", **LAYOUT)
    fig.update_yaxes(autorange="reversed")       # the pipeline reads top to bottom
    return fig


def burnup(frame: pd.DataFrame, fc: Forecast) -> go.Figure:
    """Available integrations per day (built before the Hub + in Phase 4), the target and the forecast."""
    fig = go.Figure()
    if frame.empty:
        fig.add_annotation(text="No integration is Available yet", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5)
        fig.update_layout(title="Available integrations", **LAYOUT)
        return fig
    fig.add_trace(go.Scatter(x=frame["day"], y=frame["existing"], name="built before the Hub", stackgroup="a",
                             mode="lines+markers", line={"shape": "hv", "color": "#9aa4b2"}))
    fig.add_trace(go.Scatter(x=frame["day"], y=frame["new"], name="built in Phase 4", stackgroup="a",
                             mode="lines+markers", line={"shape": "hv", "color": "#2da44e"}))
    target = fc.outlooks[0]
    end = target.dates.get("late") or fc.now
    fig.add_trace(go.Scatter(x=[frame["day"].iloc[0], end], y=[fc.target, fc.target], mode="lines",
                             name=f"target ({fc.target})", line={"dash": "dash", "color": "#6e7781"}))
    if target.dates:
        exp, early, late = target.dates["expected"], target.dates["early"], target.dates["late"]
        fig.add_trace(go.Scatter(x=[fc.now, early, late, fc.now], y=[fc.available_now, fc.target, fc.target,
                                                                     fc.available_now],
                                 fill="toself", fillcolor="rgba(31,111,235,0.12)", line={"width": 0},
                                 mode="lines", name="forecast range (25th-75th percentile pace)", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[fc.now, exp], y=[fc.available_now, fc.target], mode="lines+markers",
                                 name=f"expected: {exp:%d %b %Y}", line={"dash": "dot", "color": "#1f6feb"},
                                 marker={"size": [0, 10]}))
    fig.update_layout(title="Available integrations over time, with the forecast to the target",
                      yaxis_title="integrations", **LAYOUT)
    return fig


def pace_samples(fc: Forecast) -> go.Figure:
    """Days each completed step took, with the median and the 25th-75th percentile band."""
    samples = fc.pace.samples
    fig = go.Figure(go.Scatter(x=[s.completed for s in samples], y=[s.days for s in samples], mode="markers",
                               text=[f"{s.name} · step {s.step}" for s in samples], name="completed steps",
                               hovertemplate="%{text}<br>%{y:.1f} days<extra></extra>"))
    if fc.pace.median is not None and samples:
        x = [samples[0].completed, samples[-1].completed]
        fig.add_trace(go.Scatter(x=x + x[::-1], y=[fc.pace.high] * 2 + [fc.pace.low] * 2, fill="toself",
                                 fillcolor="rgba(31,111,235,0.12)", line={"width": 0}, name="25th-75th percentile",
                                 mode="lines", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=[fc.pace.median] * 2, mode="lines", name="median",
                                 line={"color": "#1f6feb"}))
    fig.update_layout(title="Observed pace: days per checklist step", yaxis_title="days", **LAYOUT)
    return fig
