"""What the pages use besides Streamlit and the services: here the unit of work, the signed-in staff member and
common widgets; `flash` for messages across a rerun; and one module per page part, named after its page
(`tracker_board`, `api_health_alerts`, …). Nothing in this package is a registered page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from db.session import session_scope
from services.people.staff import Staff


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One service call's session: committed on success, rolled back on error."""
    with session_scope() as session:
        yield session


def current_staff() -> Staff:
    """The signed-in staff member (hub.py guarantees one before any page runs)."""
    staff = st.session_state.get("staff")
    if staff is None:
        st.error("You are not signed in.")
        st.stop()
    return staff


def coming_soon(issue: int, summary: str, bullets: list[str]) -> None:
    """A placeholder that says exactly what the page will hold."""
    st.info(f"This page is being built (issue #{issue}). {summary}", icon=":material/construction:")
    st.markdown("\n".join(f"- {b}" for b in bullets))
