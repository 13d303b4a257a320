"""API health page helper (not a registered page): sandbox fault switches, for demos and training."""

from __future__ import annotations

import streamlit as st

from pages.ui import unit_of_work
from services.core.config import load_settings
from services.core.errors import HubError
from services.demo import faults as demo_faults
from services.people.staff import Staff


def render(me: Staff) -> None:
    if not load_settings().sandbox_enabled or me.role not in demo_faults.FAULT_ROLES:
        return
    with st.expander(":material/science: Sandbox fault switches (demo)"):
        st.caption("Make a sandbox provider fail its next requests, then check a sandbox connection or run a sweep "
                   "to see the diagnosis, the retries and the alerts. Real providers are never affected.")
        c1, c2, c3, c4 = st.columns(4)
        names = dict(demo_faults.providers())
        provider = c1.selectbox("Provider", list(names), format_func=lambda s: names.get(s, s), key="ah_fault_provider")
        kind = c2.selectbox("Answer", list(demo_faults.KIND_LABELS), key="ah_fault_kind",
                            format_func=lambda k: demo_faults.KIND_LABELS.get(k, k))
        times = c3.number_input("For the next N requests", 1, 1000, 3, key="ah_fault_times")
        retry_after = c4.number_input("Retry-After / delay", 1, 600, 40, key="ah_fault_wait",
                                      help="Seconds for 429/503; milliseconds for slow answers")
        b1, b2 = st.columns(2)
        try:
            if b1.button("Arm", key="ah_fault_arm", icon=":material/bolt:"):
                with unit_of_work() as session:
                    demo_faults.arm(session, actor=me.email, role=me.role, provider=provider, kind=kind,
                                    times=int(times), retry_after=float(retry_after) if kind != "slow" else None,
                                    delay_ms=int(retry_after) if kind == "slow" else 0)
            if b2.button("Clear all", key="ah_fault_clear"):
                with unit_of_work() as session:
                    demo_faults.clear(session, actor=me.email, role=me.role)
        except HubError as exc:
            st.error(str(exc))
        armed = demo_faults.armed()
        st.caption("Armed: " + ("; ".join(f"{names.get(f.provider, f.provider)} → {demo_faults.KIND_LABELS[f.kind]} "
                                          f"× {f.times} (account {f.account})" for f in armed) or "none"))
