"""One-shot messages across a rerun: the one way a page reports an outcome and then calls st.rerun().

st.rerun(), and the run after a widget callback, start the page over and drop what this run drew. So the page
stores the message with ``flash.set(kind, text)`` before ``st.rerun()``, and ``flash.show()`` draws it on the next
run, once. ``where`` names the spot when a page shows messages in more than one place (the Webhooks page has one
per tab); a page with one spot leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

Kind = Literal["success", "info", "warning", "error"]
ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
         "error": ":material/error:"}
KIND_ICON = "kind"   # set()'s default icon: the kind's from ICONS; icon=None shows none


@dataclass(frozen=True)
class Message:
    kind: Kind
    text: str
    icon: str | None
    code: str | None


def _key(where: str) -> str:
    return f"flash:{where}"


def set(kind: Kind, text: str, *, where: str = "page", icon: str | None = KIND_ICON,
        code: str | None = None) -> None:
    """Show ``text`` once where ``show(where)`` is next called; messages set before one rerun are shown in order.
    ``code`` is a value to copy (a new secret), shown once under the message and then forgotten."""
    if kind not in ICONS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {', '.join(ICONS)}")
    message = Message(kind, text, ICONS[kind] if icon == KIND_ICON else icon, code)
    st.session_state[_key(where)] = [*st.session_state.get(_key(where), []), message]


def show(where: str = "page") -> None:
    """Draw the messages set for ``where`` since the last run, and forget them."""
    for message in st.session_state.pop(_key(where), []):
        getattr(st, message.kind)(message.text, icon=message.icon)   # st.success, st.info, st.warning, st.error
        if message.code is not None:
            st.code(message.code, language=None)
