"""API health page helper (not a registered page): the health sweep ("Check all connections"), its progress
and results, stored sweeps, and the sandbox fault switches for demos."""

from __future__ import annotations

import streamlit as st

from pages.ui import api_health_faults, unit_of_work
from services.connect.connections import list_connections
from services.core.errors import HubError
from services.jobs.tasks import alert_sender
from services.monitoring import sweep
from services.people.staff import Staff


def _run(me: Staff, service: str | None, concurrency: int) -> None:
    bar = st.progress(0.0, text="Starting…")
    failed = 0

    def progress(done: int, total: int, result: object) -> None:
        nonlocal failed
        failed += not getattr(result, "ok", True)
        bar.progress(done / total, text=f"{done} of {total} connections checked · {failed} failed")

    try:
        report = sweep.run_sweep(actor=me.email, role=me.role, service=service, concurrency=concurrency,
                                 progress=progress, send=alert_sender())
    except HubError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.progress(1.0, text=f"Done: {report.passed} of {report.total} passed in {report.duration_s:.1f} s")
    st.session_state.ah_sweep = report


def render(me: Staff, read_only: bool) -> None:
    st.subheader("Health sweep", help="Runs every connection's credential check concurrently (bounded), with the "
                 "providers' pacing; the same sweep runs from cron as `layers-hub sweep`.")
    with unit_of_work() as session:
        views = {c.id: c for c in list_connections(session)}
    if not read_only:
        services = sorted({(c.integration_slug, c.integration) for c in views.values() if c.status != "revoked"},
                          key=lambda s: s[1].lower())
        c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
        service = c1.selectbox("Connections to check", [None, *(s for s, _ in services)], key="ah_sweep_service",
                               format_func=lambda s: "All integrations" if s is None else dict(services)[s])
        concurrency = c2.slider("Checks at once", 1, 32, sweep.DEFAULT_CONCURRENCY, key="ah_sweep_concurrency")
        if c3.button("Check all connections", key="ah_sweep_run", type="primary", icon=":material/fact_check:"):
            _run(me, service, concurrency)
        report = st.session_state.get("ah_sweep")
        if report is not None:
            st.markdown(f"**Sweep #{report.sweep_id}:** {report.passed} of {report.total} connections passed, "
                        f"{report.failed} failed, in {report.duration_s:.1f} s (concurrency {report.concurrency})."
                        + (f" {len(report.alerts)} alert event(s)." if report.alerts else ""))
            st.dataframe(sweep.results_frame(report.results, views), hide_index=True, width="stretch",
                         key="ah_sweep_results")
    with unit_of_work() as session:
        history = sweep.recent_sweeps(session)
    if history.empty:
        st.caption("No sweep has run yet.")
    else:
        st.markdown("**Recent sweeps**")
        st.dataframe(history.assign(started=history["started"].map(lambda t: t.strftime("%Y-%m-%d %H:%M UTC")),
                                    integration=history["integration"].fillna("all")),
                     hide_index=True, width="stretch", key="ah_sweeps")
        chosen = st.selectbox("Results of sweep", history["sweep"].tolist(), key="ah_sweep_pick",
                              format_func=lambda i: f"#{i}")
        with unit_of_work() as session:
            st.dataframe(sweep.sweep_results(session, int(chosen)), hide_index=True, width="stretch",
                         key="ah_sweep_stored")
    if not read_only:
        api_health_faults.render(me)
