"""Build tracker · Integration: status, owner and target date, the steps with checkboxes, history."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.ui import flash, tracker_items, tracker_status, unit_of_work
from pages.ui.tracker_widgets import status_badge, target_text, when
from services.build import board, pipeline, tracker
from services.core.errors import HubError
from services.core.integrations import get_integration
from services.people import staff as staff_service
from services.people.staff import Staff


def show(me: Staff, can_edit: bool) -> None:
    with unit_of_work() as session:
        frame = board.board_frame(session)
    # The browser holds a selectbox's choice as its label, so a label must not change while the integration is
    # chosen: a status in it went stale after a move and the next rerun fell back to another integration.
    names = dict(zip(frame["slug"], frame["name"], strict=True))
    in_flight = frame[frame["status"].isin(["planned", "building", "testing"])]["slug"].tolist()
    if st.session_state.get("tracker_slug") not in names:
        st.session_state["tracker_slug"] = in_flight[0] if in_flight else frame["slug"].iloc[0]
    slug = st.selectbox("Integration", list(names), key="tracker_slug", format_func=names.__getitem__)

    with unit_of_work() as session:
        integration = get_integration(session, slug)
        steps = tracker.checklist(session, slug)
        override = pipeline.last_override(session, slug)
        history = board.history_frame(session, slug)
        people = staff_service.list_staff(session, active_only=True)
    staff_names = {p.email: p.name for p in people}
    builders = [p for p in people if p.role in tracker.BUILDERS]
    row = frame[frame["slug"] == slug].iloc[0]

    st.subheader(integration.name)
    kind = "review of an integration built before the Hub" if integration.existing else "build checklist"
    st.markdown(f"{status_badge(integration.status)} · {row['category']} · auth `{integration.auth_method}` · "
                f"upvoting {'open' if integration.upvoting_open else 'closed'} · {kind}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Progress", f"{row['done']} / {row['applicable']}", help="Items done / items that apply")
    m2.metric("Status", integration.status.capitalize(), help=f"since {when(integration.status_changed_at)}")
    m3.metric("Owner", staff_names.get(integration.owner or "", integration.owner or "unassigned"),
              help=integration.owner)
    m4.metric("Target date", when(integration.target_date))
    if "overdue" in target_text(integration.target_date, integration.status):
        st.caption(target_text(integration.target_date, integration.status))
    if override is not None:
        st.warning(f"Moved {override.from_status} → {override.to_status} by {override.actor} on "
                   f"{when(override.created_at)} with an admin override: “{override.override_reason}”"
                   + (f" ({len(override.skipped)} open items skipped)" if override.skipped else ""),
                   icon=":material/gpp_maybe:")

    if can_edit:
        with st.popover("Owner and target date", icon=":material/event:"):
            plan_form(me, slug, integration.owner, integration.target_date, builders)
        with st.container(border=True):
            tracker_status.actions(me, integration)

    st.markdown("#### Review list" if integration.existing else "#### Checklist")
    for step in steps:
        tracker_items.step_section(me, slug, step, can_edit, staff_names)
    if integration.existing:
        tracker_items.findings(me, slug, can_edit)
    with st.expander(f"History ({len(history)})", icon=":material/history:"):
        st.dataframe(history, hide_index=True, width="stretch", key="tracker_history",
                     column_config={"link": st.column_config.LinkColumn("link")})


def plan_form(me: Staff, slug: str, owner: str | None, target: date | None, builders: list[Staff]) -> None:
    emails = ["", *[s.email for s in builders]]
    with st.form(f"plan_{slug}", border=False):
        chosen = st.selectbox("Owner", emails, index=emails.index(owner) if owner in emails else 0,
                              format_func=lambda e: e or "unassigned")
        date = st.date_input("Target date", value=target, key=f"target_{slug}")
        if st.form_submit_button("Save owner and date"):
            try:
                with unit_of_work() as session:
                    tracker.set_plan(session, actor=me.email, slug=slug, owner=chosen or None, target_date=date)
            except HubError as exc:
                st.error(str(exc))
            else:
                flash.set("success", "Owner and target date saved")
                st.rerun()
