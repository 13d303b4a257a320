"""Credential test: find the customer, check a connection, run an action in test mode, see the history."""

import pandas as pd
import streamlit as st

from pages.ui import current_staff, unit_of_work
from pages.ui.credential_test_panels import at_a_glance, check, history, when
from pages.ui.credential_test_run import run_panel
from services.connect.fields import AUTH_LABELS
from services.connect.status import status_label
from services.core.errors import InvalidInput
from services.monitoring import finder
from services.monitoring.runs import clean_ticket

me = current_staff()
st.title("Credential test")
st.caption("Test a customer's connection: check the stored credential, run an action in test mode (writes are "
           "built but not sent) and read the redacted HTTP exchange. Every check and run is stored with its ticket "
           "and written to the audit log.")

query = st.text_input("Find the customer", key="ct_query", icon=":material/search:",
                      placeholder="Organization name, a customer user's email, or a connection id such as #12")
with unit_of_work() as session:
    matches = finder.search(session, query)
if not matches:
    st.info("No connection matches. Search by organization name, a customer user's email or a connection id; "
            "connections are added on the Connections page.")
    st.stop()

st.dataframe(pd.DataFrame([{
    "id": m.id, "organization": m.organization, "tier": m.tier,
    "integration": m.integration + (" · SANDBOX" if m.sandbox else ""),
    "auth": AUTH_LABELS.get(m.auth_type, m.auth_type), "status": status_label(m.status),
    "expires": when(m.expires_at) if m.auth_type == "oauth2" else "—", "last check": when(m.last_checked_at),
    "last tests": " ".join("pass" if t.ok else "FAIL" for t in m.last_tests) or "—", "matched by": m.matched_by,
} for m in matches]), hide_index=True, width="stretch", key="ct_matches")
if len(matches) == 100:
    st.caption("Showing the first 100 connections; narrow the search to see others.")

by_id = {m.id: m for m in matches}   # widgets hold ids: a stored object would go stale across reruns
pick = by_id[st.selectbox("Connection", list(by_id), key="ct_pick", format_func=lambda i: by_id[i].label)]
at_a_glance(pick)
ticket_text = st.text_input("Ticket reference", key="ct_ticket", placeholder="e.g. SUP-1234",
                            help="Stored with every check and run (required for live mode).")
try:
    ticket = clean_ticket(ticket_text)
except InvalidInput as exc:
    st.error(str(exc))
    st.stop()

tab_check, tab_run, tab_history = st.tabs(["Check connection", "Run an action", "Test history"])
with tab_check:
    check(pick, me, ticket or "")
with tab_run:
    run_panel(pick, me, ticket or "")
with tab_history:
    history(pick)
