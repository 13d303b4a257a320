"""Build tracker · status actions: what a move needs, admin override, confirmation before Available."""

from __future__ import annotations

from itertools import groupby

import streamlit as st

from db.models import Integration
from pages.ui import flash, unit_of_work
from services.build import notifications, pipeline
from services.core.errors import HubError
from services.demand.planning import move_status
from services.people.staff import Staff


def actions(me: Staff, integration: Integration) -> None:
    slug, name = integration.slug, integration.name
    targets = pipeline.allowed_targets(integration)
    forward = [t for t in targets if pipeline.is_forward(integration.status, t)]
    left, right = st.columns([1, 2])
    target = left.selectbox("Change status: move to", targets, index=targets.index(forward[0]) if forward else 0,
                            key=f"move_to_{slug}")
    with unit_of_work() as session:
        missing = (pipeline.missing_items(session, slug, target)
                   if pipeline.is_forward(integration.status, target) else [])
        upvoters = notifications.recipients(session, slug) if target == "available" else None

    reason = None
    with right:
        if missing:
            by_step = [f"- **{f'Step {step}' if step <= 7 else title}**: " + "; ".join(m.title for m in items)
                       for (step, title), items in groupby(missing, key=lambda m: (m.step, m.step_title))]
            st.error(f"Moving to **{target}** needs {len(missing)} more item(s) done or not applicable:\n\n"
                     + "\n".join(by_step), icon=":material/block:")
        elif pipeline.is_forward(integration.status, target):
            st.success(f"Every item {target} needs is done or not applicable.", icon=":material/task_alt:")
        else:
            st.info(f"Moving back to {target} needs no checklist items.", icon=":material/undo:")
    if missing and me.role == "admin":
        reason = left.text_input("Admin override: why move anyway? (audited, shown on the integration)",
                                 key=f"override_{slug}_{target}").strip() or None

    confirmed = True
    if target == "available" and upvoters is not None:
        st.markdown(f"Marking **{name}** Available sets its registry status, closes upvoting (the Upvote "
                    f"button disappears) and writes **{len(upvoters)}** notifications to the outbox, one per "
                    "upvoter:")
        st.dataframe(upvoters, hide_index=True, height=180, width="stretch", key=f"recipients_{slug}")
        confirmed = st.checkbox(f"I checked the {len(upvoters)} recipients: make {name} Available and announce it",
                                key=f"confirm_{slug}_available")
    elif target == "deprecated":
        confirmed = st.checkbox(f"Deprecate {name} (it leaves the registry of available integrations)",
                                key=f"confirm_{slug}_deprecated")

    blocked = bool(missing) and reason is None
    if st.button(f"Move to {target}", type="primary", disabled=blocked or not confirmed, key=f"move_{slug}"):
        try:
            with unit_of_work() as session:
                move_status(session, actor=me.email, slug=slug, to_status=target, override_reason=reason)
        except HubError as exc:
            st.error(str(exc))
        else:
            flash.set("success", f"{name} is now {target}"
                      + (f"; {len(upvoters)} notifications are in the outbox" if upvoters is not None else ""))
            st.rerun()
