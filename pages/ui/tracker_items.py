"""Build tracker · the checklist steps: each item's checkbox with its note and link (or not-applicable reason) beside
it, the evidence the Hub holds, and review findings."""

from __future__ import annotations

import streamlit as st

from pages.ui import flash, unit_of_work
from pages.ui.tracker_widgets import SEVERITY_COLORS, when
from services.build import tracker
from services.build.evidence import NO_EVIDENCE
from services.build.tracker import ItemView, StepView
from services.core.errors import HubError
from services.people.staff import Staff

OPEN_FORM = "tracker_item_form"     # "slug:key" of the item whose note form is open


def _toggle(actor: str, slug: str, key: str, widget: str) -> None:
    """Checkbox callback: tick or untick at once; on refusal the box goes back to what is stored."""
    done = st.session_state[widget]
    try:
        with unit_of_work() as session:
            tracker.tick(session, actor=actor, slug=slug, key=key, done=done)
    except HubError as exc:
        st.session_state[widget] = not done
        flash.set("error", str(exc), where=widget)


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
    ids = f"{slug}:{item.key}"
    widget = f"item:{ids}"
    box, more = st.columns([12, 2], vertical_alignment="center") if can_edit else (st.container(), None)
    if item.state == "not_applicable":
        st.session_state[widget] = False
        box.checkbox(f"~~{item.title}~~", key=widget, disabled=True)
        if more is not None:
            more.button("Reopen", key=f"reopen:{ids}", icon=":material/undo:", type="tertiary", on_click=_save,
                        args=(me.email, slug, item.key, "open"), help="It counts again for the steps' gates")
        flash.show(widget)
        st.caption(f"Not applicable: {item.na_reason or 'no reason given'}")
        return
    st.session_state[widget] = item.state == "done"   # always what is stored (another person may have ticked)
    box.checkbox(item.title, key=widget, disabled=not can_edit, on_change=_toggle,
                 args=(me.email, slug, item.key, widget))
    if more is not None:
        # one button per row; the form opens under the row it belongs to (67 forms would slow every rerun)
        more.button("Edit note" if item.note or item.link else "Note", key=f"evidence:{ids}",
                    icon=":material/edit_note:", type="tertiary", on_click=_open_form, args=(ids,),
                    help="Tick with a note or a link (pull request, document), or mark it not applicable")
    flash.show(widget)
    if more is not None and st.session_state.get(OPEN_FORM) == ids:
        with st.container(border=True):
            evidence_form(me, slug, item)
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


def _open_form(ids: str) -> None:
    """Note button callback: open this item's form (the one open form), or close it when it is open."""
    st.session_state[OPEN_FORM] = None if st.session_state.get(OPEN_FORM) == ids else ids


def evidence_form(me: Staff, slug: str, item: ItemView) -> None:
    """The item's own note and link, saved with its tick; or a reason to mark it not applicable."""
    ids = f"{slug}:{item.key}"
    with st.form(f"evidence_form:{ids}", border=False):
        st.text_input("Note", value=item.note or "", key=f"note:{ids}")
        st.text_input("Link (pull request, document)", value=item.link or "", key=f"link:{ids}")
        st.form_submit_button("Save note and link" if item.state == "done" else "Tick with note and link",
                              type="primary", key=f"tick_with:{ids}", on_click=_save,
                              args=(me.email, slug, item.key, "done"))
        st.text_input("Or: reason it does not apply", key=f"reason:{ids}")
        st.form_submit_button("Mark not applicable", key=f"na:{ids}", on_click=_save,
                              args=(me.email, slug, item.key, "not_applicable"))


def _save(actor: str, slug: str, key: str, state: str) -> None:
    """Form callback (before the page is drawn, so the whole checklist shows the change): the item's state with
    the note and link typed beside it; a refusal is shown under the item's row."""
    ids = f"{slug}:{key}"
    try:
        with unit_of_work() as session:
            if state == "done":
                tracker.set_item(session, actor=actor, slug=slug, key=key, state="done",
                                 note=st.session_state.get(f"note:{ids}", ""),
                                 link=st.session_state.get(f"link:{ids}", ""))
            else:
                tracker.set_item(session, actor=actor, slug=slug, key=key, state=state,
                                 reason=st.session_state.get(f"reason:{ids}"))
    except HubError as exc:
        flash.set("error", str(exc), where=f"item:{ids}")        # the form stays open to correct it
    else:
        st.session_state.pop(OPEN_FORM, None)


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
