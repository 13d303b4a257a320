"""Webhooks & bridge page: "Subscribe at the provider" and its inverse "Unsubscribe" for one connection
(engineers and admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages.ui import unit_of_work
from pages.ui.credential_test_panels import exchanges
from services.catalog import load_catalog
from services.core.errors import HubError
from services.people.staff import Staff
from services.webhooks import subscribe


def subscribe_panel(me: Staff, connection_id: int, service: str, label: str) -> None:
    """Pick a trigger, fill its parameters (drawn from the catalog), create the subscription (audited), or remove
    the Hub's subscriptions for it once the confirmation naming ``label`` (connection and customer) is ticked."""
    triggers = subscribe.subscribable(service)
    if not triggers or me.role not in ("engineer", "admin"):
        return
    titles = {k: t.title for k, t in load_catalog().get(service).triggers.items()}
    trigger = st.selectbox("Trigger to subscribe", triggers, key="wh_sub_trigger", format_func=lambda k: titles[k])
    params: dict[str, str] = {}
    for name, field in subscribe.parameters(service, trigger).items():
        default = ", ".join(field.default) if isinstance(field.default, list) else (field.default or "")
        value = st.text_input(field.title or name.replace("_", " ").capitalize(), value=str(default),
                              key=f"wh_sub_{trigger}_{name}", help=field.description,
                              placeholder=str(field.example or ""))
        if value.strip():
            params[name] = value.strip()
    note = subscribe.subscribe_note(service)   # the provider's own (services/providers/<slug>/webhooks.py)
    if note:
        st.caption(note)
    with unit_of_work() as s:
        shared = subscribe.shared_by(s, connection_id, service)
    what = f"{trigger} ({titles[trigger]})"
    confirmed = st.checkbox(f"Yes, delete the Hub's {what} subscriptions at {load_catalog().get(service).name} for "
                            f"{label}" + (f", and so for **{shared}**" if shared else ""), key="wh_unsub_confirm")
    left, right = st.columns(2)
    subscribing = left.button("Subscribe at the provider", key="wh_subscribe")
    right.button("Unsubscribe", key="wh_unsubscribe", disabled=not confirmed, on_click=_confirmed_once,
                 help="Deletes at the provider what Subscribe created; tick the box above first")
    # The click is taken only with the box ticked at that moment, and the box is cleared: each unsubscribe asks again.
    unsubscribing = st.session_state.pop("wh_unsub_go", False)
    call: dict[str, Any] = {"actor": me.email, "connection_id": connection_id, "service": service, "trigger": trigger,
            "params": params}
    if subscribing:
        _run("Subscribing…", lambda s, requests: f"Subscribed {what}: " + subscribe.summary(
            service, subscribe.subscribe(s, **call, requests=requests)))
    if unsubscribing:
        _run("Unsubscribing…", lambda s, requests: f"Unsubscribed {what}: " + subscribe.unsubscribe_summary(
            service, subscribe.unsubscribe(s, **call, requests=requests)))


def _confirmed_once() -> None:
    """The Unsubscribe click, before the rerun: kept only when the confirmation is ticked (the disabled state is
    enforced by the browser alone), which is then cleared."""
    st.session_state["wh_unsub_go"] = bool(st.session_state.get("wh_unsub_confirm"))
    st.session_state["wh_unsub_confirm"] = False


def _run(spinner: str, action: Callable[[Any, list[dict[str, Any]]], str]) -> None:
    """Run one service call in its own unit of work (the action's first argument); show its line, or the refusal,
    then the redacted exchanges."""
    requests: list[dict[str, Any]] = []
    try:
        with st.spinner(spinner), unit_of_work() as s:
            line = action(s, requests)
        st.success(line)
    except HubError as exc:
        st.error(str(exc))
    exchanges(requests)
