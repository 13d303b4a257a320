"""Build tracker · Announcements: the outbox of notifications to upvoters, sending and export."""

from __future__ import annotations

import streamlit as st

from pages.ui import flash, unit_of_work
from services.build import notifications
from services.core.config import load_settings
from services.core.csv_export import frame_to_csv
from services.core.errors import HubError
from services.core.mail import parse_smtp_url
from services.people.staff import Staff


def show(me: Staff, can_edit: bool) -> None:
    smtp_url = load_settings().smtp_url
    with unit_of_work() as session:
        counts = notifications.status_counts(session)
        outbox = notifications.outbox(session)
    st.caption("When an integration becomes Available, every upvoter gets one notification here. Sending is a "
               "separate step that can be retried; a notification is never sent twice.")
    cols = st.columns(4)
    for col, status in zip(cols, ("pending", "sending", "sent", "failed"), strict=True):
        col.metric(status.capitalize(), counts.get(status, 0))

    due = counts.get("pending", 0) + counts.get("failed", 0)
    if smtp_url is None:
        st.info("SMTP_URL is not set, so notifications stay in the outbox: download them below to send from "
                "another tool or show them in the app.", icon=":material/mail_off:")
    elif can_edit and due:
        where = parse_smtp_url(smtp_url).where
        confirmed = st.checkbox(f"Send up to {due} pending or failed notification(s) by email through {where}",
                                key="confirm_send")
        if st.button("Send notifications", type="primary", disabled=not confirmed, key="send_notifications",
                     icon=":material/send:"):
            try:
                with st.spinner("Sending…"):
                    report = notifications.send_pending(smtp_url=smtp_url, actor=me.email)
            except HubError as exc:
                st.error(str(exc))
            else:
                flash.set("error" if report.failed else "success",
                          f"Sent {report.sent}, failed {report.failed}, skipped {report.skipped}"
                          + ("".join(f"\n- {e}" for e in report.errors[:5])))
                st.session_state.pop("confirm_send", None)
                st.rerun()
    if counts.get("sending"):
        st.warning(f"{counts['sending']} notification(s) were being sent when a sender stopped. They are not "
                   "retried automatically (the email may have left); check the mail server's log.",
                   icon=":material/help:")

    if outbox.empty:
        st.caption("The outbox is empty: no integration has become Available through the tracker yet.")
        return
    integrations = st.multiselect("Integration", sorted(outbox["integration"].unique()), key="outbox_filter")
    shown = outbox[outbox["integration"].isin(integrations)] if integrations else outbox
    st.dataframe(shown, hide_index=True, width="stretch", key="outbox_table")
    st.download_button("Download CSV", frame_to_csv(shown), file_name="layers-outbox.csv", mime="text/csv",
                       icon=":material/download:", on_click="ignore")
