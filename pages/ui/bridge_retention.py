"""Webhooks & bridge page helper: the retention panel (engineers, admins)."""

from __future__ import annotations

import streamlit as st

from pages.ui import flash, unit_of_work
from services.core.errors import HubError
from services.people.staff import Staff
from services.webhooks import retention

WHAT = dict(retention.TABLES)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _lines(report: retention.PruneReport) -> str:
    days = {"webhook_rejections": report.rejection_days}
    return "\n".join(f"- **{report.counts()[table]}** {what}, older than {days.get(table, report.event_days)} days"
                     for table, what in retention.TABLES)


def retention_panel(me: Staff) -> None:
    """Preview what is past retention, then delete it behind a confirmation (audited)."""
    flash.show("retention")
    st.caption("Deletes old webhook history of **all connections** (the connection filter above does not apply; "
               "the same as `layers-hub webhooks prune`). Events not handled yet or failed, and deliveries not sent "
               "yet, are always kept.")
    left, right = st.columns(2)
    event_days = int(left.number_input("Handled events and finished deliveries older than (days)", min_value=0,
                                       value=retention.EVENT_DAYS, step=1, key="wh_prune_event_days"))
    rejection_days = int(right.number_input("Failed verifications older than (days)", min_value=0,
                                            value=retention.REJECTION_DAYS, step=1, key="wh_prune_rejection_days"))
    with unit_of_work() as s:
        preview = retention.prune(s, actor=me.email, event_days=event_days, rejection_days=rejection_days,
                                  dry_run=True)
    if not preview.total:
        st.info("Nothing is older than these limits.", icon=":material/inventory_2:")
        return
    st.markdown("Past retention:\n" + _lines(preview))
    confirmed = st.checkbox(f"Permanently delete {_rows(preview.total)}", key="wh_prune_confirm")
    if not st.button("Delete old webhook data", type="primary", disabled=not confirmed, key="wh_prune",
                     icon=":material/delete:"):
        return
    try:
        with st.status("Deleting old webhook data…", expanded=True) as status:
            with unit_of_work() as s:
                report = retention.prune(s, actor=me.email, event_days=event_days, rejection_days=rejection_days,
                                         progress=lambda table, rows: st.write(f"{WHAT[table]}: {rows}"))
            status.update(label="Deleted", state="complete")
    except HubError as exc:
        st.error(str(exc))
        return
    flash.set("success", f"Deleted {_rows(report.total)} (recorded in the audit log):\n" + _lines(report),
              where="retention")
    st.session_state.pop("wh_prune_confirm", None)
    st.rerun()
