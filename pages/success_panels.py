"""Success criteria page panels: the score cards, pipeline charts, forecast and the rows behind numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.success import charts
from services.success.criterion import Criterion
from services.success.report import Report

SHORT = {1: "Top 10 implemented and tested", 2: "OAuth / API-key flows working", 3: "Node executors",
         4: "Upvotes inform build priority", 5: "Guides published", 6: "30+ integrations available"}
COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", format="#%d"), "slug": None,
    "name": "Integration", "status": "Status", "checklist": "Checklist",
    "implemented_and_tested": st.column_config.CheckboxColumn("Counted"),
    "in_other_list": st.column_config.CheckboxColumn("In the other list"),
    "last_success": st.column_config.DatetimeColumn("Last success", format="YYYY-MM-DD HH:mm"),
    "sandbox_only": st.column_config.CheckboxColumn("Sandbox only"),
    "counted": st.column_config.CheckboxColumn("Counted"),
    "with_executor": st.column_config.NumberColumn("With executor"),
    "top_when_planned": st.column_config.CheckboxColumn("Top when planned"),
    "planned_at": st.column_config.DatetimeColumn("Planned", format="YYYY-MM-DD"),
    "published_at": st.column_config.DatetimeColumn("Published", format="YYYY-MM-DD"),
    "available_since": st.column_config.DatetimeColumn("Available since", format="YYYY-MM-DD"),
}


def _progress(c: Criterion) -> None:
    st.progress(min(c.share or 0.0, 1.0), text=":green[met]" if c.met else None)


def scorecards(report: Report) -> None:
    by_key = {c.key: c for c in report.criteria}
    cards = st.columns(3)
    with cards[0].container(border=True, height="stretch"):
        st.markdown(f"**1 · {SHORT[1]}**")
        left, right = st.columns(2)
        for col, key, label in ((left, "1-seed", "Seed's list"), (right, "1-demand", "Demand top 10")):
            c = by_key[key]
            col.metric(label, c.value, help=c.measure)
        _progress(by_key["1-seed"])
        st.caption(by_key["1-seed"].note)
    for n, key in enumerate(("2", "3", "4", "5", "6"), start=1):
        c = by_key[key]
        with cards[n % 3].container(border=True, height="stretch"):
            st.markdown(f"**{c.number} · {SHORT[c.number]}**")
            st.metric(c.detail or SHORT[c.number], c.value, help=c.measure)
            _progress(c)
            st.caption(c.note or c.measure)


def pipeline(report: Report) -> None:
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.status_bar(report.status_counts), width="stretch", key="success_status_chart")
    right.plotly_chart(charts.burnup(report.burnup, report.forecast), width="stretch", key="success_burnup_chart")


def _day(value) -> str:  # type: ignore[no-untyped-def]
    return f"{value:%d %b %Y}" if value is not None else ""


def forecast(report: Report) -> None:
    fc = report.forecast
    if fc.reason:
        st.info(fc.reason, icon=":material/hourglass_empty:")
    cols = st.columns(len(fc.outlooks))
    for col, o in zip(cols, fc.outlooks, strict=True):
        value = "Reached" if o.reached else _day(o.expected) or "—"
        col.metric(o.label, value)
        col.caption(f"Range {_day(o.dates['early'])} – {_day(o.dates['late'])} · {o.note}" if o.dates else o.note)
    pace = fc.pace
    if pace.median is not None:
        st.caption(f"From the observed pace: a checklist step takes **{pace.median:.1f} days** (median; half of "
                   f"the {len(pace.samples)} completed steps took {pace.low:.1f}–{pace.high:.1f} days, which gives "
                   f"the range). {pace.lanes} integration(s) are built at a time: those with checklist changes in "
                   "the last 30 days. Work in flight finishes first, then the demand ranking in order.")
    with st.expander("The data the forecast used"):
        if pace.samples:
            st.plotly_chart(charts.pace_samples(fc), width="stretch", key="success_pace_chart")
            st.dataframe(pd.DataFrame([{"integration": s.name, "step": s.step, "from": s.started,
                                        "completed": s.completed, "days": round(s.days, 1)} for s in pace.samples]),
                         hide_index=True, width="stretch", key="success_pace_table")
        else:
            st.caption("No checklist step has been completed yet.")
        st.caption("Integrations being built now: " + (", ".join(pace.active) or "none"))
        if fc.builds and not fc.reason:
            st.dataframe(pd.DataFrame([{"integration": b.name, "status": b.status, "steps left": b.remaining_steps,
                                        "early": b.finish["early"], "expected": b.finish["expected"],
                                        "late": b.finish["late"]} for b in fc.builds]),
                         hide_index=True, width="stretch", key="success_builds_table",
                         column_config={k: st.column_config.DateColumn(k.capitalize())
                                        for k in ("early", "expected", "late")})


def details(report: Report) -> None:
    for c in report.criteria:
        label = f"{c.number} · {c.title}: {c.value}" + (f" ({c.detail})" if c.detail else "")
        with st.expander(label):
            st.markdown(f"**How it is computed:** {c.measure}")
            if c.note:
                st.markdown(c.note)
            if c.rows.empty:
                st.caption("Nothing to list yet.")
            else:
                st.dataframe(c.rows, hide_index=True, width="stretch", key=f"success_rows_{c.key}",
                             column_config={k: v for k, v in COLUMNS.items() if k in c.rows.columns})
