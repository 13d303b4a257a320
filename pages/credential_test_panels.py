"""Credential-test page helpers (not a registered page): the connection at a glance, the check, the
outcome of a check or run in plain words, the redacted HTTP exchanges and the test history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from pages.ui import unit_of_work
from services.credentials.fields import AUTH_LABELS
from services.errors import HubError
from services.monitoring import checks, runs
from services.monitoring.diagnosis import CATEGORY_LABELS
from services.monitoring.finder import Match
from services.staff import Staff

STATUS = {"active": "Active", "needs_reauth": "Needs reconnect", "error": "Error", "revoked": "Revoked"}


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def at_a_glance(pick: Match) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Status", STATUS.get(pick.status, pick.status))
    c2.metric("Authentication", AUTH_LABELS.get(pick.auth_type, pick.auth_type))
    c3.metric("Token expires", when(pick.expires_at) if pick.auth_type == "oauth2" else "never (not OAuth)")
    last = pick.last_tests[0] if pick.last_tests else None
    c4.metric("Last test", f"{'passed' if last.ok else 'FAILED'} · {last.what}" if last else "never",
              help=f"{when(last.at)} ({last.mode} mode)" if last else None)
    st.caption(f"{pick.organization} · {pick.tier} tier · {pick.integration}"
               + (" · SANDBOX (offline stand-in)" if pick.sandbox else "") + f" · connection #{pick.id}")
    if pick.status == "needs_reauth":
        st.warning("The provider refused the stored refresh token: the customer must reconnect (Connections page).",
                   icon=":material/sync_problem:")
    elif pick.last_error:
        st.caption(f":red[Last error: {pick.last_error}]")


def outcome(ok: bool, summary: str, error: dict[str, Any] | None, advice: str | None) -> None:
    """A check's or run's result: plain words first, then the category and the provider's own message."""
    if ok:
        st.success(summary, icon=":material/check_circle:")
        return
    st.error(f"**{summary}**", icon=":material/error:")
    if advice:
        st.markdown(f"**What to do:** {advice}")
    error = error or {}
    facts = {"Error category": CATEGORY_LABELS.get(error.get("category"), error.get("category")),
             "HTTP status": error.get("status"), "Provider's message": error.get("provider_message"),
             "Request id": error.get("request_id")}
    st.markdown("  \n".join(f"**{k}:** `{v}`" for k, v in facts.items() if v not in (None, "")))


def exchanges(requests: list[dict[str, Any]], duration_ms: float | None = None, retries: int | None = None) -> None:
    """The HTTP exchanges (headers redacted, secrets scrubbed by the HTTP layer)."""
    if duration_ms is not None:
        st.caption(f"{len(requests)} HTTP exchange(s) · {duration_ms:.0f} ms in total"
                   + (f" · {retries} retr{'y' if retries == 1 else 'ies'}" if retries is not None else ""))
    if not requests:
        st.caption("No HTTP request was made.")
        return
    st.dataframe(pd.DataFrame([{"attempt": r["attempt"], "method": r["method"], "url": r["url"],
                                "answer": r["status"] if r["sent"] else "not sent (test mode)",
                                "ms": r["duration_ms"], "category": r["error_category"] or ""} for r in requests]),
                 hide_index=True, width="stretch")
    for n, r in enumerate(requests, start=1):
        with st.expander(f"Exchange {n}: {r['method']} {r['url'].split('?')[0]}"):
            st.markdown("**Request headers** (credentials redacted)")
            st.json(r["request_headers"], expanded=False)
            if r["request_body"] is not None:
                st.markdown("**Request body**")
                st.json(r["request_body"], expanded=True)
            if r["sent"]:
                st.markdown(f"**Response** (HTTP {r['status']})")
                st.json(r["response_body"] if isinstance(r["response_body"], dict | list) else
                        {"body": r["response_body"]}, expanded=False)


def check(pick: Match, me: Staff, ticket: str) -> None:
    st.write(f"Calls {pick.integration}'s cheap who-am-I endpoint with the stored credential (read-only).")
    if st.button("Check connection", key="ct_check", type="primary", icon=":material/network_check:"):
        try:
            with st.spinner(f"Calling {pick.integration}…"):
                result, run_id = checks.check_connection(pick.id, actor=me.email, ticket=ticket, role=me.role)
            st.session_state.ct_check_result = (pick.id, result, run_id)
        except HubError as exc:
            st.error(str(exc))
    last = st.session_state.get("ct_check_result")
    if last and last[0] == pick.id:
        _, result, run_id = last
        outcome(result.ok, result.summary, result.error, result.diagnosis.advice if result.diagnosis else None)
        st.caption(f"Stored as test run #{run_id}.")
        exchanges(result.requests, result.duration_ms)


def history(pick: Match) -> None:
    with unit_of_work() as session:
        rows = runs.history(session, pick.id)
    if not rows:
        st.info("No checks or runs yet for this connection.")
        return
    st.dataframe(pd.DataFrame([{"when": when(r.created_at), "who": r.staff_email, "what": r.what, "mode": r.mode,
                                "result": "passed" if r.ok else "FAILED", "details": r.summary,
                                "category": CATEGORY_LABELS.get(r.category, r.category or ""),
                                "ticket": r.ticket or "", "ms": r.duration_ms} for r in rows]),
                 hide_index=True, width="stretch", key="ct_history")
    chosen = st.selectbox("Details of a run", rows, key="ct_history_pick",
                          format_func=lambda r: f"#{r.id} · {when(r.created_at)} · {r.what} · {r.staff_email}")
    if chosen is not None:
        outcome(chosen.ok, chosen.summary, chosen.result.get("error"), chosen.result.get("advice"))
        if chosen.input:
            st.markdown("**Input**")
            st.json(chosen.input, expanded=False)
        if chosen.result.get("output") is not None:
            st.markdown("**Mapped output**")
            st.json(chosen.result["output"], expanded=False)
        exchanges(chosen.result.get("requests") or [], chosen.duration_ms, chosen.result.get("retries"))
