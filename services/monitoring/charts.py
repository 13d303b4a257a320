"""Pure DataFrame -> plotly figures for the API health page (no streamlit; unit-testable)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

OK_COLOR, FAIL_COLOR = "#2da44e", "#cf222e"
MARGIN = {"t": 50, "b": 10, "l": 10, "r": 10}


def _empty(fig: go.Figure, text: str) -> go.Figure:
    if not fig.data:
        fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def calls_over_time(timeline: pd.DataFrame) -> go.Figure:
    """Stacked bars of succeeded and failed calls per time bucket."""
    fig = go.Figure()
    if not timeline.empty:
        fig.add_bar(x=timeline["bucket"], y=timeline["succeeded"], name="succeeded", marker_color=OK_COLOR)
        fig.add_bar(x=timeline["bucket"], y=timeline["failed"], name="failed", marker_color=FAIL_COLOR)
    fig.update_layout(barmode="stack", title="API calls over time", height=320, margin=MARGIN, yaxis_title="calls",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return _empty(fig, "No API calls in this window")


def latency_over_time(timeline: pd.DataFrame) -> go.Figure:
    """p50 and p95 latency per time bucket."""
    fig = go.Figure()
    if not timeline.empty:
        fig.add_scatter(x=timeline["bucket"], y=timeline["p50_ms"], name="p50", mode="lines+markers")
        fig.add_scatter(x=timeline["bucket"], y=timeline["p95_ms"], name="p95", mode="lines+markers")
    fig.update_layout(title="Latency (ms)", height=320, margin=MARGIN, yaxis_title="ms",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return _empty(fig, "No API calls in this window")


def error_categories(categories: pd.DataFrame) -> go.Figure:
    """Failed calls per error category."""
    fig = go.Figure()
    if not categories.empty:
        fig.add_bar(x=categories["calls"], y=categories["category"], orientation="h", marker_color=FAIL_COLOR,
                    text=categories["calls"])
    fig.update_layout(title="Failed calls by error category", height=320, margin=MARGIN,
                      yaxis={"autorange": "reversed"}, xaxis_title="calls")
    return _empty(fig, "No failed calls in this window")


def failure_rate_by_integration(summary: pd.DataFrame) -> go.Figure:
    """Failure rate per integration (bars), worst first."""
    fig = go.Figure()
    if not summary.empty:
        fig.add_bar(x=summary["integration"], y=summary["failure_rate"], marker_color=FAIL_COLOR,
                    text=[f"{r:.0%}" for r in summary["failure_rate"]], customdata=summary["calls"],
                    hovertemplate="%{x}: %{y:.1%} of %{customdata} calls failed<extra></extra>")
    fig.update_layout(title="Failure rate per integration", height=320, margin=MARGIN,
                      yaxis={"tickformat": ".0%", "rangemode": "tozero"})
    return _empty(fig, "No API calls in this window")
