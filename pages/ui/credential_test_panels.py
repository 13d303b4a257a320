"""Credential-test page helpers (not a registered page): the connection at a glance, the check, the
outcome of a check or run in plain words, the redacted HTTP exchanges and the test history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from pages.ui import unit_of_work
from services.connect.fields import AUTH_LABELS
from services.connect.status import status_label
from services.core.errors import HubError
from services.core.text import plural
from services.jobs.tasks import alert_sender
from services.monitoring import checks, runs, wire
from services.monitoring.diagnosis import CATEGORY_LABELS
from services.monitoring.finder import Match
from services.people.staff import Staff

BADGE = {"active": "green", "needs_reauth": "orange", "error": "red", "revoked": "gray"}


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def ago(value: datetime | None) -> str:
    """How long ago, or until: "5 min ago", "in 2 h" (for at-a-glance facts)."""
    if value is None:
        return "—"
    seconds = (value - datetime.now(UTC)).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now"
    text = (f"{size / 86400:.0f} d" if size >= 86400 else f"{size / 3600:.0f} h" if size >= 3600
            else f"{size // 60:.0f} min")
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _fact(column: Any, label: str, value: str) -> None:
    column.caption(label)
    column.markdown(value)


def at_a_glance(pick: Match) -> None:
    c1, c2, c3, c4 = st.columns(4)
    colour = BADGE.get(pick.status, "gray")
    _fact(c1, "Status", f":{colour}-badge[{status_label(pick.status)}]")
    _fact(c2, "Authentication", AUTH_LABELS.get(pick.auth_type, pick.auth_type))
    if pick.auth_type != "oauth2":
        expiry = "no expiry (not OAuth)"
    elif pick.expires_at is None:
        expiry = "never expires"
    else:
        expiry = f"{'expired ' if pick.expires_at < datetime.now(UTC) else ''}{ago(pick.expires_at)}"
        expiry += " (refreshed on next use)" if pick.expires_at < datetime.now(UTC) and pick.status == "active" else ""
    _fact(c3, "Access token", expiry)
    tests = [f"{':green[:material/check_circle:]' if t.ok else ':red[:material/cancel:]'} "
             f"{'check' if t.what == 'check' else t.what} · {ago(t.at)}" for t in pick.last_tests]
    _fact(c4, "Last tests", "  \n".join(tests) or "never tested")
    st.caption(f"{pick.organization} · {pick.tier} tier · {pick.integration}"
               + (" · SANDBOX (offline stand-in)" if pick.sandbox else "") + f" · connection #{pick.id}"
               + f" · last check {when(pick.last_checked_at)}")
    if pick.status == "needs_reauth":
        why = f" (last error: {pick.last_error})" if pick.last_error else ""
        st.warning(f"{status_label(pick.status)}: {pick.integration} refused this connection's refresh token "
                   f"earlier{why}. Checks and runs send nothing with it until the customer reconnects "
                   "(Connections page → Reconnect).", icon=":material/sync_problem:")
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
    facts = {"Error category": CATEGORY_LABELS.get(error.get("category", ""), error.get("category")),
             "HTTP status": error.get("status"), "Provider's message": error.get("provider_message"),
             "Request id": error.get("request_id")}
    st.markdown("  \n".join(f"**{k}:** `{v}`" for k, v in facts.items() if v not in (None, "")))


def timing(requests: list[dict[str, Any]], duration_ms: float) -> str:
    """"2 HTTP exchanges · 178 ms in total: 60 ms API calls + 70 ms token refresh + 48 ms the Hub's own work"."""
    parts = " + ".join(f"{ms:.0f} ms {label}" for label, ms in wire.breakdown(requests, duration_ms))
    return (f"{plural(len(requests), 'HTTP exchange')} · {duration_ms:.0f} ms in total: {parts} (reading and "
            "decrypting the connection, pacing and retry waits, the call log)")


def exchanges(requests: list[dict[str, Any]], duration_ms: float | None = None, retries: int | None = None) -> None:
    """The HTTP exchanges, the token refresh included (headers redacted, secrets scrubbed)."""
    if not requests:
        st.caption("No HTTP request was sent.")
        return
    if duration_ms is not None:
        st.caption(timing(requests, duration_ms)
                   + (f" · {plural(retries, 'retry', 'retries')}" if retries is not None else ""))
    st.dataframe(pd.DataFrame([{"attempt": r["attempt"], "what": r.get("purpose", wire.API_CALL),
                                "method": r["method"], "url": r["url"],
                                "answer": r["status"] if r["sent"] else "not sent (test mode)",
                                "ms": r["duration_ms"], "category": r["error_category"] or ""} for r in requests]),
                 hide_index=True, width="stretch")
    for n, r in enumerate(requests, start=1):
        purpose = r.get("purpose", wire.API_CALL)
        with st.expander(f"Exchange {n}" + (f" ({purpose})" if purpose != wire.API_CALL else "")
                         + f": {r['method']} {r['url'].split('?')[0]}"
                         + ("" if r["sent"] else " (built, not sent)"), expanded=not r["sent"]):
            st.markdown("**Request headers** (credentials redacted)")
            st.json(r["request_headers"], expanded=False)
            if r["request_body"] is not None:
                st.markdown("**Request body**")
                st.json(r["request_body"], expanded=True)
            if r["sent"] and purpose == wire.TOKEN_REFRESH and r["response_body"] is None:
                st.markdown(f"**Response** (HTTP {r['status']}): new tokens, not shown")
            elif r["sent"]:
                st.markdown(f"**Response** (HTTP {r['status']})")
                st.json(r["response_body"] if isinstance(r["response_body"], dict | list) else
                        {"body": r["response_body"]}, expanded=False)


def check(pick: Match, me: Staff, ticket: str) -> None:
    st.write(f"Calls {pick.integration}'s cheap who-am-I endpoint with the stored credential (read-only).")
    if st.button("Check connection", key="ct_check", type="primary", icon=":material/network_check:"):
        try:
            with st.spinner(f"Calling {pick.integration}…"):
                result, run_id = checks.check_connection(pick.id, actor=me.email, ticket=ticket, role=me.role,
                                                         send=alert_sender())
            st.session_state.ct_check_result = (pick.id, result, run_id)
            st.rerun()   # redraw the facts above (last tests, status) with this check
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
                                "result": "passed" if r.ok else "FAILED", "ticket": r.ticket or "",
                                "category": CATEGORY_LABELS.get(r.category or "", r.category or ""),
                                "details": r.summary, "ms": r.duration_ms} for r in rows]),
                 hide_index=True, width="stretch", key="ct_history")
    by_id = {r.id: r for r in rows}
    chosen = by_id.get(st.selectbox("Details of a run", list(by_id), key="ct_history_pick",
                                    format_func=lambda i: f"#{i} · {when(by_id[i].created_at)} · {by_id[i].what} · "
                                    f"{by_id[i].staff_email}"))
    if chosen is not None:
        outcome(chosen.ok, chosen.summary, chosen.result.get("error"), chosen.result.get("advice"))
        if chosen.input:
            st.markdown("**Input**")
            st.json(chosen.input, expanded=True)
        if chosen.result.get("output") is not None:
            st.markdown("**Mapped output**")
            st.json(chosen.result["output"], expanded=False)
        exchanges(chosen.result.get("requests") or [], chosen.duration_ms, chosen.result.get("retries"))
