"""Pure DataFrame -> plotly figure functions (no streamlit; unit-testable)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


TIER_ORDER = ["free", "starter", "pro", "agency", "enterprise"]
BUCKET_COLORS = {"Top": "#1f6feb", "Medium": "#f0a202", "Low": "#9aa4b2"}


def score_by_tier(rows: list[dict], order: list[str]) -> go.Figure:
    """Stacked bars: each integration's score split by the upvoters' tier, in ranking order."""
    frame = pd.DataFrame(rows, columns=["slug", "name", "tier", "upvotes", "score"])
    fig = px.bar(frame, x="name", y="score", color="tier", category_orders={"name": order, "tier": TIER_ORDER},
                 hover_data=["upvotes"], title="Score by customer tier")
    fig.update_layout(height=380, margin={"t": 50, "b": 10, "l": 10, "r": 10}, xaxis_title=None,
                      legend_title_text="tier")
    return fig


def weekly_upvotes(frame: pd.DataFrame, *, today: date | None = None) -> go.Figure:
    """Upvotes per week (weeks start Monday). The week ``today`` is in has only some of its days, so its point is
    drawn apart: reached by a dotted line, in a shaded band named "this week so far", not as a collapse."""
    today = today or datetime.now(UTC).date()
    current = pd.Timestamp(today - timedelta(days=today.weekday()))
    weeks = pd.to_datetime(frame["week"])
    complete, partial = frame[weeks < current], frame[weeks >= current]
    names = list(dict.fromkeys(frame["integration"]))
    colors = {n: px.colors.qualitative.Plotly[i % len(px.colors.qualitative.Plotly)] for i, n in enumerate(names)}
    fig = px.line(complete, x="week", y="upvotes", color="integration", markers=True, title="Upvotes per week",
                  color_discrete_map=colors, category_orders={"integration": names})
    for name, rows in partial.groupby("integration", sort=False):
        before = complete[complete["integration"] == name].tail(1)
        steps = pd.concat([before, rows])
        fig.add_trace(go.Scatter(x=steps["week"], y=steps["upvotes"], mode="lines+markers", name=str(name),
                                 legendgroup=str(name), showlegend=False,
                                 line={"color": colors[str(name)], "dash": "dot"},
                                 marker={"symbol": "circle-open", "size": 9},
                                 hovertemplate="%{y} upvotes so far this week<extra>" + str(name) + "</extra>"))
    if not partial.empty:
        days = today.weekday() + 1
        fig.add_vrect(x0=current - pd.Timedelta(days=3), x1=current + pd.Timedelta(days=3), fillcolor="#9aa4b2",
                      opacity=0.15, line_width=0)
        fig.add_annotation(x=current, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"this week so far ({days} of 7 days)", font={"size": 11, "color": "#57606a"})
    fig.update_layout(height=340, margin={"t": 50, "b": 10, "l": 10, "r": 10}, xaxis_title=None)
    return fig


def bucket_counts(buckets: list[str]) -> go.Figure:
    counts = pd.Series(buckets, dtype="object").value_counts().reindex(list(BUCKET_COLORS), fill_value=0)
    frame = counts.rename_axis("bucket").reset_index(name="integrations")
    fig = px.bar(frame, x="bucket", y="integrations", color="bucket", text="integrations",
                 color_discrete_map=BUCKET_COLORS, title="Integrations per priority bucket")
    fig.update_layout(height=340, margin={"t": 50, "b": 10, "l": 10, "r": 10}, showlegend=False)
    return fig
