"""API health: success and failure rates, latency and error categories from the API call log; alerts; the
health sweep. Leadership sees it read-only."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from pages.ui import api_health_alerts, api_health_sweep, current_staff, unit_of_work
from services.jobs.status import job_status
from services.monitoring import charts, metrics
from services.people import roles

me = current_staff()
read_only = roles.read_only(me.role, "api_health")
st.title("API health")
st.caption("Every call the Hub makes to a provider is logged (URL redacted, status, duration, attempt, error "
           "category). A call failed when it has an error category; each retry attempt counts as its own call.")
if read_only:
    st.caption(":material/visibility: Read-only view: checks, sweeps and thresholds are run by support and "
               "engineering.")

def age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return (f"{seconds} s" if seconds < 120 else f"{seconds // 60} min" if seconds < 7200
            else f"{seconds // 3600} h" if seconds < 172800 else f"{seconds // 86400} days")


with unit_of_work() as session:
    logged = metrics.logged_integrations(session)
c1, c2 = st.columns([2, 3])
window = c1.segmented_control("Window", list(metrics.WINDOWS), default="24h", required=True, key="ah_window",
                              format_func=lambda w: metrics.WINDOW_LABELS.get(w, w))
names = dict(logged)
slug = c2.selectbox("Integration", [None, *names], key="ah_integration",
                    format_func=lambda s: "All integrations" if s is None else names[s])
with unit_of_work() as session:
    frame = metrics.calls_frame(session, window=window, integration=slug)
    open_alerts = metrics.alerts_frame(session)
    unprocessed, oldest = metrics.unprocessed_events(session)

totals = metrics.totals(frame)
k1, k2, k3, k4, k5, k6 = st.columns(6)
k1.metric("API calls", f"{totals['calls']:,}")
k2.metric("Success rate", f"{totals['success_rate']:.1%}" if totals["calls"] else "—")
k3.metric("Latency p50", f"{totals['p50_ms']:.0f} ms" if totals["calls"] else "—")
k4.metric("Latency p95", f"{totals['p95_ms']:.0f} ms" if totals["calls"] else "—")
k5.metric("Open alerts", len(open_alerts))
k6.metric("Unprocessed inbound events", unprocessed,
          delta=f"oldest: {age(oldest)}" if oldest is not None else None, delta_color="inverse",
          help="Webhook events answered 2xx but still not handled a minute after they arrived (their handling was "
               "lost: the process stopped or the database went away). The pending pass handles them: a job every "
               "minute on the queue (PostgreSQL workers), every 30 s inside the server with SQLite.")

jobs = job_status()
st.subheader("Background jobs", help="Inbound webhook handling, outbound deliveries, announcements, sweeps and "
             "retention run as jobs: on PostgreSQL through procrastinate's queue (`layers-hub worker` processes), "
             "with SQLite inside the server (docs/deployment.md).")
if jobs["backend"] == "embedded":
    st.caption(f"Jobs run inside the server process (embedded runner): {jobs['queued']} waiting in this process.")
else:
    j1, j2, j3, j4, j5 = st.columns(5)
    j1.metric("Queued jobs", f"{jobs['queued']:,}", help="Jobs due now, not started (queue depth)")
    j2.metric("Oldest queued job", age(timedelta(seconds=jobs["oldest_s"])) if jobs["oldest_s"] is not None else "—")
    j3.metric("Running", jobs["running"])
    j4.metric("Workers alive", f"{jobs['workers_alive']} of {len(jobs['workers'])}",
              help="Workers whose heartbeat is recent; a worker silent for longer is dead and its running jobs are "
                   "retried by another")
    j5.metric("Failed jobs", jobs["failed"], help="Jobs that ended with an error (their rows say what is left)")
    if jobs["workers"]:
        st.dataframe(pd.DataFrame(jobs["workers"]).rename(columns={"id": "worker", "heartbeat_age_s":
                                                                   "last heartbeat (s ago)"}),
                     hide_index=True, key="ah_workers")
    else:
        st.warning("No worker is running: start `layers-hub worker` (docs/deployment.md).")

timeline = metrics.timeline(frame, window)
left, right = st.columns(2)
left.plotly_chart(charts.calls_over_time(timeline), width="stretch", key="ah_calls_chart")
right.plotly_chart(charts.latency_over_time(timeline), width="stretch", key="ah_latency_chart")
per_integration = metrics.summary(frame, ["integration"])
left.plotly_chart(charts.error_categories(metrics.categories(frame)), width="stretch", key="ah_categories_chart")
right.plotly_chart(charts.failure_rate_by_integration(per_integration), width="stretch", key="ah_rate_chart")


def rates(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    for column in ("success_rate", "failure_rate"):
        shown[column] = shown[column].map(lambda v: f"{v:.1%}")
    for column in ("p50_ms", "p95_ms"):
        shown[column] = shown[column].map(lambda v: round(v, 1))
    return shown.rename(columns={"connection_id": "connection", "success_rate": "success rate",
                                 "failure_rate": "failure rate", "p50_ms": "p50 (ms)", "p95_ms": "p95 (ms)"})


st.subheader("Per integration")
if per_integration.empty:
    st.info(f"No API calls in the {metrics.WINDOW_LABELS[window].lower()}. Checks, test runs and sweeps are logged "
            "here as they happen.")
else:
    st.dataframe(rates(per_integration), hide_index=True, width="stretch", key="ah_per_integration")
    st.subheader("Per connection", help="Worst failure rate first")
    per_connection = metrics.summary(frame.dropna(subset=["connection_id"]),
                                     ["connection_id", "organization", "integration"])
    per_connection["connection_id"] = per_connection["connection_id"].astype(int)
    st.dataframe(rates(per_connection.head(100)), hide_index=True, width="stretch", key="ah_per_connection")

api_health_alerts.render(me, read_only, open_alerts)
api_health_sweep.render(me, read_only)
