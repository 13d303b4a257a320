"""What the pages use besides Streamlit and the services: here the unit of work, the signed-in staff member and
common widgets; `flash` for messages across a rerun; and one module per page part, named after its page
(`tracker_board`, `api_health_alerts`, …). Nothing in this package is a registered page."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from db.session import database_url, session_scope
from services.people.staff import Staff

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One service call's session: committed on success, rolled back on error."""
    with session_scope() as session:
        yield session


def cached_read(version: Hashable, read: Callable[Concatenate[Session, P], T], *args: P.args,
                **kwargs: P.kwargs) -> T:
    """``read(session, *args, **kwargs)``, from the cache while ``version`` is the same.

    For the reads a page runs on every rerun. ``version`` is a cheap fingerprint of the data ``read`` returns
    (e.g. ``ranking.data_version``, one statement), read on each rerun: when anyone changes that data, here, on
    another page or from the CLI, the fingerprint changes and the next rerun reads afresh; nothing is cleared by
    hand. The key also holds the database URL (tests switch databases in one process) and the arguments, which
    must be hashable by st.cache_data; the result must pickle (dataclasses, DataFrames). The entries of old
    versions expire after 10 minutes."""
    return _cached(read, f"{read.__module__}.{read.__qualname__}", database_url(), version, args,
                   tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, ttl=600, max_entries=500)
def _cached(_read: Callable[..., Any], name: str, url: str, version: Hashable, args: tuple[Any, ...],
            kwargs: tuple[tuple[str, Any], ...]) -> Any:
    with session_scope() as session:
        return _read(session, *args, **dict(kwargs))


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
