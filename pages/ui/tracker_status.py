"""Build tracker · status actions: only the moves that can be made are offered; a move whose checklist steps are
not complete is shown as blocked with its open items per step (admins may still choose it and override with a
reason); confirmation before Available and Deprecated."""

from __future__ import annotations

import streamlit as st

from db.models import Integration
from pages.ui import flash, unit_of_work
from services.build import notifications, pipeline
from services.build.pipeline import Target
from services.core.errors import HubError
from services.demand.planning import move_status
from services.people.staff import Staff


def actions(me: Staff, integration: Integration) -> None:
    slug = integration.slug
    with unit_of_work() as session:
        targets = {t.status: t for t in pipeline.targets(session, integration)}
    admin = me.role == "admin"
    # Options are plain status names (a selectbox's label must not change while it is chosen).
    offered = [s for s, t in targets.items() if t.reachable or admin]
    forward = [s for s in offered if targets[s].forward]
    default = next((s for s in forward if targets[s].reachable), forward[0] if forward and admin else None)
    # A tick or a move changes what can be reached: then the choice starts again from the nearest move.
    chooser, seen = f"move_to_{slug}", f"move_default_{slug}"
    if (chooser not in st.session_state or st.session_state.get(seen, default) != default
            or st.session_state[chooser] not in [None, *offered]):
        st.session_state[chooser] = default
    st.session_state[seen] = default
    left, right = st.columns([1, 2])
    target = left.selectbox("Change status: move to", offered, placeholder="Choose a status", key=chooser)
    blocked = [t for t in targets.values() if not t.reachable and t.status != target]

    with right:
        if target is None and blocked:
            st.info("No forward move can be made yet: below is what each one still needs.", icon=":material/info:")
        elif target is None:
            st.caption("Choose the status to move to.")
        elif not targets[target].reachable:
            missing = targets[target].missing
            st.error(f"Moving to **{target}** needs {len(missing)} more item(s) done or not applicable:\n\n"
                     + "\n".join(f"- {line}" for line in pipeline.missing_by_step(missing)), icon=":material/block:")
        elif targets[target].forward:
            st.success(f"Every item {target} needs is done or not applicable.", icon=":material/task_alt:")
        else:
            st.info(f"Moving back to {target} needs no checklist items.", icon=":material/undo:")
    for n, t in enumerate(blocked):
        blocked_target(slug, t, nearest=n == 0)
    if target is None:
        return
    move(me, integration, targets[target])


def blocked_target(slug: str, target: Target, *, nearest: bool) -> None:
    """A move that cannot be made, with its open items per step; the nearest one opens (a stable key keeps a
    section as the person left it while its count changes, until it becomes or stops being the nearest)."""
    count = f"{len(target.missing)} item{'s' if len(target.missing) != 1 else ''}"
    with st.expander(f"{target.status} is blocked: {count} open", icon=":material/block:", expanded=nearest,
                     key=f"blocked_{slug}_{target.status}_{'nearest' if nearest else 'later'}"):
        st.markdown("\n".join(f"- {line}" for line in pipeline.missing_by_step(target.missing)))


def move(me: Staff, integration: Integration, target: Target) -> None:
    slug, name, status = integration.slug, integration.name, target.status
    reason = None
    if not target.reachable:          # only admins are offered a blocked move
        reason = st.text_input("Admin override: why move anyway? (audited, shown on the integration)",
                               key=f"override_{slug}_{status}").strip() or None

    upvoters = None
    confirmed = True
    if status == "available":
        with unit_of_work() as session:
            upvoters = notifications.recipients(session, slug)
        st.markdown(f"Marking **{name}** Available sets its registry status, closes upvoting (the Upvote "
                    f"button disappears) and writes **{len(upvoters)}** notifications to the outbox, one per "
                    "upvoter:")
        st.dataframe(upvoters, hide_index=True, height=180, width="stretch", key=f"recipients_{slug}")
        confirmed = st.checkbox(f"I checked the {len(upvoters)} recipients: make {name} Available and announce it",
                                key=f"confirm_{slug}_available")
    elif status == "deprecated":
        confirmed = st.checkbox(f"Deprecate {name} (it leaves the registry of available integrations)",
                                key=f"confirm_{slug}_deprecated")

    refused = not target.reachable and reason is None
    if st.button(f"Move to {status}", type="primary", disabled=refused or not confirmed, key=f"move_{slug}"):
        try:
            with unit_of_work() as session:
                move_status(session, actor=me.email, slug=slug, to_status=status, override_reason=reason)
        except HubError as exc:
            st.error(str(exc))
        else:
            flash.set("success", f"{name} is now {status}"
                      + (f"; {len(upvoters)} notifications are in the outbox" if upvoters is not None else ""))
            st.rerun()
