"""Build tracker · the checklist steps (checkboxes, evidence, notes) and review findings."""

from __future__ import annotations

import streamlit as st

from pages.ui import flash, unit_of_work
from pages.ui.tracker_widgets import SEVERITY_COLORS, when
from services.build import tracker
from services.build.evidence import NO_EVIDENCE
from services.build.tracker import ItemView, StepView
from services.core.errors import HubError
from services.people.staff import Staff

STATE_LABELS = {"done": "Done", "open": "Open", "not_applicable": "Not applicable"}


def _toggle(actor: str, slug: str, key: str, widget: str) -> None:
    """Checkbox callback: tick or untick at once; on refusal the box goes back to what is stored."""
    done = st.session_state[widget]
    try:
        with unit_of_work() as session:
            tracker.tick(session, actor=actor, slug=slug, key=key, done=done)
    except HubError as exc:
        st.session_state[widget] = not done
        flash.set("error", str(exc))


def step_section(me: Staff, slug: str, step: StepView, can_edit: bool, names: dict[str, str]) -> None:
    title = f"Step {step.number} · {step.title}" if step.kind == "build" else step.title
    icon = ":material/check_circle:" if step.complete else ":material/pending:"
    # a stable key keeps the section open while its label's count changes with each tick
    with st.expander(f"{title} — {step.done}/{step.applicable} done", icon=icon, key=f"step_{slug}_{step.number}"):
        for item in step.items:
            if item.depth:
                _, body = st.columns([1, 28])
                with body:
                    item_row(me, slug, item, can_edit, names)
            else:
                item_row(me, slug, item, can_edit, names)


def item_row(me: Staff, slug: str, item: ItemView, can_edit: bool, names: dict[str, str]) -> None:
    widget = f"item:{slug}:{item.key}"
    if item.state == "not_applicable":
        st.session_state[widget] = False
        st.checkbox(f"~~{item.title}~~", key=widget, disabled=True)
        st.caption(f"Not applicable: {item.na_reason or 'no reason given'}")
        return
    st.session_state[widget] = item.state == "done"   # always what is stored (another person may have ticked)
    st.checkbox(item.title, key=widget, disabled=not can_edit, on_change=_toggle,
                args=(me.email, slug, item.key, widget))
    meta = []
    if item.state == "done":
        meta.append(f":material/check: {names.get(item.by or '', item.by or '?')} · {when(item.at)}")
    if item.note:
        meta.append(f"“{item.note}”")
    if item.link:
        meta.append(f"[link]({item.link})")
    if item.has_evidence:
        if item.evidence is None:
            meta.append(f":gray[:material/fact_check: {NO_EVIDENCE}]")
        else:
            color = "green" if item.evidence.ok else "orange"
            meta.append(f":{color}[:material/fact_check: {item.evidence.summary}]")
    if meta:
        st.caption(" · ".join(meta))


def item_form(me: Staff, slug: str, steps: list[StepView]) -> None:
    items = {i.key: i for s in steps for i in s.items}
    with st.expander("Add a note or link, or mark an item not applicable", icon=":material/edit_note:"), \
            st.form(f"item_form_{slug}", border=False):
        key = st.selectbox("Item", list(items), format_func=lambda k: f"Step {items[k].step} · {items[k].title}",
                           key=f"form_item_{slug}")
        state = st.radio("State", list(STATE_LABELS), format_func=STATE_LABELS.get, horizontal=True,
                         key=f"form_state_{slug}")
        note = st.text_input("Note", key=f"form_note_{slug}")
        link = st.text_input("Link (pull request, document)", key=f"form_link_{slug}")
        reason = st.text_input("Reason (required for not applicable)", key=f"form_reason_{slug}")
        if st.form_submit_button("Save item", type="primary"):
            try:
                with unit_of_work() as session:
                    tracker.set_item(session, actor=me.email, slug=slug, key=key, state=state,
                                     note=note or None, link=link or None, reason=reason or None)
            except HubError as exc:
                st.error(str(exc))
            else:
                flash.set("success", f"Saved “{items[key].title}”: {STATE_LABELS[state].lower()}")
                st.rerun()


def findings(me: Staff, slug: str, can_edit: bool) -> None:
    st.markdown("#### Findings: missing features and edge cases")
    with unit_of_work() as session:
        rows = tracker.findings(session, slug)
    if not rows:
        st.caption("No findings recorded.")
    for f in rows:
        text, action = st.columns([8, 1])
        color = "gray" if f.resolved_at else SEVERITY_COLORS[f.severity]
        resolved = f" · resolved by {f.resolved_by} {when(f.resolved_at)}" if f.resolved_at else ""
        text.markdown(f":{color}-badge[{f.severity}] {f.finding}" + (f" [link]({f.link})" if f.link else "")
                      + f"  \n:gray[{f.created_by} · {when(f.created_at)}{resolved}]")
        if can_edit and f.resolved_at is None and action.button("Resolve", key=f"resolve_{f.id}", type="tertiary"):
            with unit_of_work() as session:
                tracker.resolve_finding(session, actor=me.email, finding_id=f.id)
            st.rerun()
    if can_edit:
        with st.form(f"finding_{slug}"):
            severity = st.selectbox("Severity", ["low", "medium", "high", "critical"], index=1)
            finding = st.text_area("Finding", placeholder="What is missing, or which edge case fails?")
            link = st.text_input("Link (issue, document)")
            if st.form_submit_button("Add finding"):
                try:
                    with unit_of_work() as session:
                        tracker.add_finding(session, actor=me.email, slug=slug, severity=severity, finding=finding,
                                            link=link or None)
                except HubError as exc:
                    st.error(str(exc))
                else:
                    flash.set("success", "Finding recorded")
                    st.rerun()
