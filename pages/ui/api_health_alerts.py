"""API health page helper (not a registered page): open and recent alerts, thresholds per tier, delivery."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from db.base import utcnow
from pages.ui import flash, unit_of_work
from services.connect.status import status_label
from services.core.errors import HubError
from services.jobs.tasks import alert_sender
from services.monitoring import alerts, delivery, metrics
from services.people.staff import Staff

KIND_LABELS = {"consecutive_failures": "Consecutive failures", "failure_rate": "Failure rate",
               "needs_reauth": status_label("needs_reauth")}


def _table(frame: pd.DataFrame, *, cleared: bool) -> pd.DataFrame:
    shown = frame.assign(kind=frame["kind"].map(lambda k: KIND_LABELS.get(k, k)),
                         raised=frame["raised_at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M UTC")),
                         cleared=frame["cleared_at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M UTC")
                                                         if t is not None and not pd.isna(t) else "open"))
    columns = ["raised", *(["cleared"] if cleared else []), "kind", "integration", "connection_id", "organization",
               "tier", "message"]
    return shown[columns].rename(columns={"connection_id": "connection"})


def render(me: Staff, read_only: bool, open_alerts: pd.DataFrame) -> None:
    flash.show()
    st.subheader("Alerts", help="Raised when a connection's latest calls all failed, or its failure rate over a "
                 "window reaches the threshold of the customer's tier; cleared automatically on recovery.")
    if open_alerts.empty:
        st.success("No open alerts.", icon=":material/check_circle:")
    else:
        st.dataframe(_table(open_alerts, cleared=False), hide_index=True, width="stretch", key="ah_open_alerts")
    with unit_of_work() as session:
        recent = metrics.alerts_frame(session, open_only=False, since=utcnow() - timedelta(days=7))
        tiers = list(alerts.thresholds(session).values())
    with st.expander(f"Alert history, last 7 days ({len(recent)})"):
        if recent.empty:
            st.caption("No alerts raised in the last 7 days.")
        else:
            st.dataframe(_table(recent, cleared=True), hide_index=True, width="stretch", key="ah_alert_history")

    st.markdown("**Thresholds per customer tier** (enterprise customers alert sooner)")
    st.dataframe(pd.DataFrame([{"tier": t.tier_name, "consecutive failures": t.consecutive_failures,
                                "failure rate": f"{t.failure_rate:.0%}", "window": f"{t.window_minutes} min",
                                "minimum calls": t.min_calls, "source": "changed" if t.custom else "default"}
                               for t in tiers]), hide_index=True, width="stretch", key="ah_thresholds")
    where = delivery.targets()
    sent_to = [x for x in (where.webhook_host and f"webhook {where.webhook_host}",
                           where.emails and f"email {', '.join(where.emails)}") if x]
    st.caption("Alert delivery: " + ("; ".join(sent_to) if sent_to else
                                     "in the Hub only (set HUB_ALERT_WEBHOOK_URL and/or HUB_ALERT_EMAIL to deliver)"))
    if read_only:
        return
    if st.button("Evaluate alerts now", key="ah_evaluate", icon=":material/notifications_active:",
                 help="Alerts are evaluated after every check, run and sweep; this also covers calls made elsewhere."):
        events = alerts.evaluate_and_deliver(actor=me.email, send=alert_sender())
        st.toast(f"{sum(e.event == 'raised' for e in events)} raised, {sum(e.event == 'cleared' for e in events)} "
                 "cleared")
        st.rerun()
    if me.role not in alerts.THRESHOLD_ROLES:
        return
    with st.expander("Change a tier's thresholds"):
        by_slug = {t.tier: t for t in tiers}
        tier = by_slug[st.selectbox("Tier", list(by_slug), format_func=lambda s: by_slug[s].tier_name,
                                    key="ah_th_tier")]
        with st.form("ah_threshold_form"):
            c1, c2, c3, c4 = st.columns(4)
            key = f"ah_th_{tier.tier}"
            consecutive = c1.number_input("Consecutive failures", 1, 100, tier.consecutive_failures, key=key + "_n")
            rate = c2.number_input("Failure rate (%)", 1, 100, round(tier.failure_rate * 100), key=key + "_rate")
            window = c3.number_input("Window (minutes)", 1, 10_080, tier.window_minutes, key=key + "_window")
            minimum = c4.number_input("Minimum calls", 1, 100_000, tier.min_calls, key=key + "_min")
            saved = st.form_submit_button("Save thresholds", key="ah_th_save")
        if saved:
            try:
                with unit_of_work() as session:
                    alerts.set_threshold(session, tier.tier, actor=me.email, role=me.role,
                                         consecutive_failures=int(consecutive), failure_rate=rate / 100,
                                         window_minutes=int(window), min_calls=int(minimum))
                flash.set("success", f"Saved the {tier.tier_name} thresholds (audited).")
                st.rerun()
            except HubError as exc:
                st.error(str(exc))
