"""Webhooks & bridge page: "Subscribe at the provider" for one connection (engineers and admins)."""

from __future__ import annotations

import streamlit as st

from pages.ui import unit_of_work
from services.catalog import load_catalog
from services.errors import HubError
from services.staff import Staff
from services.webhooks import subscribe

NOTES = {
    "hubspot": "HubSpot webhooks belong to the Hub's HubSpot app: this points the app's one target URL at the Hub "
               "and subscribes **every portal that installed the app**; each event is stored on the connection of "
               "its portal.",
    "webflow": "Webflow signs webhooks created by an OAuth app only: site-token connections cannot subscribe.",
}


def subscribe_panel(me: Staff, connection_id: int, service: str) -> None:
    """Pick a trigger, fill its parameters (drawn from the catalog), create the subscription (audited)."""
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
    if service in NOTES:
        st.caption(NOTES[service])
    if st.button("Subscribe at the provider", key="wh_subscribe"):
        try:
            with st.spinner("Subscribing…"), unit_of_work() as s:
                resource = subscribe.subscribe(s, actor=me.email, connection_id=connection_id, service=service,
                                               trigger=trigger, params=params)
            st.success(f"Subscribed {trigger} ({titles[trigger]}): {subscribe.summary(service, resource)}")
        except HubError as exc:
            st.error(str(exc))
