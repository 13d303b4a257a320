"""Small widgets shared by the build tracker's views (not a page: hub.py registers pages by key)."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

STATUS_COLORS = {"requested": "gray", "planned": "blue", "building": "orange", "testing": "violet",
                 "available": "green", "deprecated": "red"}
SEVERITY_COLORS = {"low": "gray", "medium": "orange", "high": "red", "critical": "red"}


def open_integration(slug: str) -> None:
    """Button callback: show this integration's checklist."""
    st.session_state["tracker_view"] = "Integration"
    st.session_state["tracker_slug"] = slug


def status_badge(status: str) -> str:
    return f":{STATUS_COLORS.get(status, 'gray')}-badge[{status}]"


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def target_text(target: date | None, status: str) -> str:
    if target is None:
        return "no target date"
    overdue = target < date.today() and status not in ("available", "deprecated")
    return f":red[target {target:%Y-%m-%d} · overdue]" if overdue else f"target {target:%Y-%m-%d}"
