"""Credential-test page helper (not a registered page): pick an action, fill the form drawn from its
input JSON Schema (pre-filled with sample values), run it in test mode, or live behind a confirmation."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.credential_test_panels import exchanges, outcome
from services.core.errors import HubError
from services.jobs.tasks import alert_sender
from services.monitoring import forms, runs
from services.monitoring.finder import Match
from services.people.staff import Staff


def _widget(field: forms.FormField, key: str) -> Any:
    label = field.title + (" *" if field.required else "")
    hint = " · ".join(x for x in (field.description, field.format and f"format: {field.format}") if x) or None
    if field.kind == "boolean":
        if field.required:
            return st.checkbox(label, value=bool(field.default), key=key, help=hint)
        options = ["", "true", "false"]
        default = "" if field.default is None else str(bool(field.default)).lower()
        return st.selectbox(label, options, index=options.index(default), key=key, help=hint,
                            format_func=lambda o: o or "(not set)")
    if field.kind == "choice":
        options = ([] if field.required else [""]) + list(field.options)
        default = str(field.default) if field.default is not None else options[0]
        return st.selectbox(label, options, index=options.index(default) if default in options else 0, key=key,
                            help=hint, format_func=lambda o: o or "(not set)")
    if field.kind == "json":
        return st.text_area(label, value=forms.as_text(field, field.default), key=key, help=hint, height=80)
    return st.text_input(label, value=forms.as_text(field, field.default), key=key, help=hint)


def run_panel(pick: Match, me: Staff, ticket: str) -> None:
    choices = forms.actions(pick.integration_slug)
    if not choices:
        st.info(f"{pick.integration} has no actions in the catalog yet.")
        return
    by_key = {a.key: a for a in choices}
    action = by_key[st.selectbox("Action", list(by_key), format_func=lambda k: by_key[k].label,
                                 key=f"ct_action_{pick.id}")]
    if runs.may_run_live(me.role):
        mode = st.radio("Mode", ["test", "live"], horizontal=True, key="ct_mode",
                        format_func=lambda m: "Test (sends no writes)" if m == "test"
                        else "Live (changes the customer's account)")
    else:
        mode = "test"
        st.caption("Test mode: reads run for real; writes are built and shown but **not sent**. Live mode, which "
                   "changes the customer's account, is for engineers and admins.")
    confirmed = True
    confirm = None
    if mode == "live":
        st.warning(f"Live mode sends this request to **{pick.organization}**'s {pick.integration} account "
                   f"(connection #{pick.id}) and changes their data. A ticket reference is required.",
                   icon=":material/warning:")
        confirm = st.text_input(f"Type the customer account name to confirm: {pick.organization}", key="ct_confirm")
        confirmed = confirm.strip().casefold() == pick.organization.casefold()
    fields = forms.form_fields(pick.integration_slug, action.key)
    prefix = f"ct_in_{pick.id}_{action.key}_"
    with st.form(f"ct_form_{pick.id}_{action.key}"):
        st.caption("Pre-filled with the catalog's sample values; edit them to match the customer's account. "
                   "\\* required.")
        raw = {f.name: _widget(f, prefix + f.name) for f in fields}
        label = "Run in test mode" if mode == "test" else f"Run live on {pick.organization}"
        submitted = st.form_submit_button(label, type="primary", key="ct_run", disabled=not confirmed,
                                          icon=":material/play_arrow:")
    if submitted:
        try:
            inputs = forms.coerce(fields, raw)
            with st.spinner(f"Running {action.title} in {mode} mode…"):
                done = runs.run_test(pick.id, action.key, inputs, staff=me, mode=mode, ticket=ticket,
                                     confirm_account=confirm, send=alert_sender())
            st.session_state.ct_run_result = (pick.id, action.key, done)
            st.rerun()   # redraw the facts above with this run
        except HubError as exc:
            st.error(str(exc))
    last = st.session_state.get("ct_run_result")
    if last and last[:2] == (pick.id, action.key):
        show(last[2])


def show(done: runs.Outcome) -> None:
    result = done.result
    outcome(result.ok, _summary(done), result.error, done.diagnosis.advice if done.diagnosis else None)
    st.caption(f"{result.mode.title()} mode · stored as test run #{done.test_run_id}.")
    if result.output is not None:
        st.markdown("**Mapped output**" + (" (what the action would return; nothing was sent)" if result.preview
                                           else ""))
        st.json(result.output, expanded=True)
    exchanges(result.requests, result.duration_ms, result.retries)


def _summary(done: runs.Outcome) -> str:
    if done.diagnosis is not None:
        return done.diagnosis.headline
    if done.result.preview:
        return "Passed: the input is valid and the request was built; nothing was sent (test mode)."
    return "Passed" + (": the customer's account was changed (live mode)." if done.result.mode == "live" else ".")
