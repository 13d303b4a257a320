import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("API health")
coming_soon(7, "Success and failure of every provider call, and alerts on repeated failures.", [
    "Success/failure rates and latency p50/p95 per integration and connection (24 h / 7 d / 30 d)",
    "Alerts raised on consecutive failures or failure rate, cleared on recovery",
    "Health sweep: check all connections with bounded concurrency and a progress bar",
])
