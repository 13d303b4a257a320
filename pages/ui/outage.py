"""What every page shows while the database is unreachable (issue 17): a plain message that retries by itself.

``on_script_error`` is st.App's handler for an exception no page caught (app.py). For a database outage
(db/outage.py) it shows ``MESSAGE`` instead of the exception and a fragment that checks the database every
``RETRY_AFTER_S`` seconds and reruns the app once it answers; the session (the sign-in) is kept. Streamlit has
already logged the traceback to the server log. Any other exception gets Streamlit's own display
(``client.showErrorDetails``: full in development, none in production).
"""

from __future__ import annotations

import logging

import streamlit as st

from db.outage import MESSAGE, RETRY_AFTER_S, is_outage
from db.session import reachable

log = logging.getLogger(__name__)

_JUST_FAILED = "_outage_just_failed"


@st.fragment(run_every=RETRY_AFTER_S)
def _retry() -> None:
    # Its first run is inside the error handler, where a rerun is not allowed (and the database just failed).
    if not st.session_state.pop(_JUST_FAILED, False) and reachable():
        st.rerun(scope="app")
    st.caption(f"Checking again every {RETRY_AFTER_S} seconds; the page comes back by itself and you stay "
               "signed in.")


def on_script_error(exc: Exception) -> bool:
    """Show the outage message for a database outage (True: Streamlit shows nothing else); False otherwise."""
    if not is_outage(exc):
        return False
    log.warning("page run stopped: the database is unreachable (%s); showing the outage message",
                type(exc).__name__)
    st.warning(MESSAGE + " …", icon=":material/cloud_off:")
    st.session_state[_JUST_FAILED] = True
    _retry()
    return True
