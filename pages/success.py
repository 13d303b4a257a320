import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("Success criteria")
coming_soon(8, "Where Phase 4 stands, computed from live data, with the list behind every number.", [
    "Top 10 priority integrations implemented and tested (x / 10)",
    "OAuth / API-key flows working; node executors registered; upvotes informing priority",
    "Documentation published; 30+ integrations available; burn-up chart and forecast dates",
])
