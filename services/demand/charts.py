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


def weekly_upvotes(frame: pd.DataFrame) -> go.Figure:
    fig = px.line(frame, x="week", y="upvotes", color="integration", markers=True, title="Upvotes per week")
    fig.update_layout(height=340, margin={"t": 50, "b": 10, "l": 10, "r": 10}, xaxis_title=None)
    return fig


def bucket_counts(buckets: list[str]) -> go.Figure:
    counts = pd.Series(buckets, dtype="object").value_counts().reindex(list(BUCKET_COLORS), fill_value=0)
    frame = counts.rename_axis("bucket").reset_index(name="integrations")
    fig = px.bar(frame, x="bucket", y="integrations", color="bucket", text="integrations",
                 color_discrete_map=BUCKET_COLORS, title="Integrations per priority bucket")
    fig.update_layout(height=340, margin={"t": 50, "b": 10, "l": 10, "r": 10}, showlegend=False)
    return fig
