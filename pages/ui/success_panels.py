"""Success criteria page panels: the score cards, pipeline charts, forecast and the rows behind numbers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from services.build.checklist import template
from services.success import charts
from services.success.criterion import Criterion
from services.success.report import Report

SHORT = {1: "Top 10 implemented and tested", 2: "OAuth / API-key flows working", 3: "Node executors",
         4: "Upvotes inform build priority", 5: "Guides published", 6: "30+ integrations available"}
# The metric's label: what the number counts (share criteria say "x of n <noun>").
NOUN = {2: "Available integrations", 3: "Available integrations whose actions all run",
        4: "integrations planned", 5: "Available integrations with a published guide",
        6: "Available integrations (target 30)"}
COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", format="#%d"), "slug": None,
    "name": "Integration", "status": "Status", "checklist": "Checked against",
    "done": st.column_config.NumberColumn("Items done"),
    "applicable": st.column_config.NumberColumn("Items that apply"),
    "implemented_and_tested": st.column_config.CheckboxColumn("Counted"),
    "in_other_list": st.column_config.CheckboxColumn("In the other list"),
    "last_success": st.column_config.DatetimeColumn("Last success", format="YYYY-MM-DD HH:mm"),
    "sandbox_only": st.column_config.CheckboxColumn("Sandbox only"),
    "counted": st.column_config.CheckboxColumn("Counted"),
    "with_executor": st.column_config.NumberColumn("With executor"),
    "runs": st.column_config.CheckboxColumn("Counted"),
    "top_when_planned": st.column_config.CheckboxColumn("Top when planned"),
    "planned_at": st.column_config.DatetimeColumn("Planned", format="YYYY-MM-DD"),
    "published_at": st.column_config.DatetimeColumn("Published", format="YYYY-MM-DD"),
    "available_since": st.column_config.DatetimeColumn("Available since", format="YYYY-MM-DD"),
}


def _progress(c: Criterion) -> None:
    st.progress(min(c.share or 0.0, 1.0), text=":green[**met**]" if c.met else None)


def _label(c: Criterion) -> str:
    if not c.as_share:
        return NOUN[c.number]
    return f"{c.numerator} of {c.denominator} {NOUN[c.number]}" if c.denominator else "nothing to measure yet"


def _note(c: Criterion) -> None:
    if c.note:
        st.caption(f":orange[{c.note}]" if c.caveat else c.note)


def scorecards(report: Report) -> None:
    by_key = {c.key: c for c in report.criteria}
    for row in (("1", "2", "3"), ("4", "5", "6")):
        for col, key in zip(st.columns(3), row, strict=True):
            with col.container(border=True, height="stretch"):
                if key == "1":
                    c = by_key["1-seed"]
                    st.markdown(f"**1 · {SHORT[1]}**")
                    left, right = st.columns(2)
                    left.metric("The seed's list", c.value, help=c.measure)
                    right.metric("Demand top 10", by_key["1-demand"].value, help=by_key["1-demand"].measure)
                else:
                    c = by_key[key]
                    st.markdown(f"**{c.number} · {SHORT[c.number]}**")
                    st.metric(_label(c), c.value, help=c.measure)
                _progress(c)
                if c.note:
                    _note(c)
                else:
                    st.caption(c.measure)


def pipeline(report: Report) -> None:
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.status_bar(report.status_counts), width="stretch", key="success_status_chart")
    right.plotly_chart(charts.burnup(report.burnup, report.forecast), width="stretch", key="success_burnup_chart")


def _day(value: date | None) -> str:
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
    if not pace.samples:
        st.caption("No checklist step has been completed yet, so there is no pace to forecast from.")
        return
    chart, table = st.columns(2)
    chart.plotly_chart(charts.pace_samples(fc), width="stretch", key="success_pace_chart")
    table.markdown("**The completed steps the pace comes from**")
    samples = [{"integration": s.name, "step": f"{s.step} · {STEP_TITLES[s.step]}", "completed": s.completed,
                "days": round(s.days, 1)} for s in reversed(pace.samples)]
    table.dataframe(pd.DataFrame(samples),
                    hide_index=True, width="stretch", height=280, key="success_pace_table",
                    column_config={"completed": st.column_config.DatetimeColumn("Completed", format="YYYY-MM-DD")})
    table.caption("Built in parallel now: " + (", ".join(pace.active) or "none"))
    if fc.builds and not fc.reason:
        with st.expander("Build order and dates per integration (the model behind the dates)"):
            st.dataframe(pd.DataFrame([{"integration": b.name, "status": b.status, "steps left": b.remaining_steps,
                                        "early": b.finish["early"], "expected": b.finish["expected"],
                                        "late": b.finish["late"]} for b in fc.builds]),
                         hide_index=True, width="stretch", key="success_builds_table",
                         column_config={k: st.column_config.DateColumn(k.capitalize())
                                        for k in ("early", "expected", "late")})


STEP_TITLES = {t.step: t.step_title for t in template()}
TAB = {"1-seed": "1 · Seed's top 10", "1-demand": "1 · Demand top 10", "2": "2 · Credential flows",
       "3": "3 · Executors", "4": "4 · Upvotes → priority", "5": "5 · Guides", "6": "6 · 30+ integrations"}


def details(report: Report) -> None:
    tabs = st.tabs([TAB[c.key] for c in report.criteria])
    for tab, c in zip(tabs, report.criteria, strict=True):
        with tab:
            st.markdown(f"**{c.number} · {c.title}: {c.value}**" + (f" ({c.detail})" if c.detail else ""))
            st.caption(f"How it is computed: {c.measure}")
            _note(c)
            if c.rows.empty:
                st.caption("Nothing to list yet.")
            else:
                st.dataframe(c.rows, hide_index=True, width="stretch", key=f"success_rows_{c.key}",
                             column_config={k: v for k, v in COLUMNS.items() if k in c.rows.columns})
