import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("Priorities")
coming_soon(3, "Product managers rank unbuilt integrations by weighted demand here.", [
    "Ranked table: rank, integration, category, status, Top/Medium/Low bucket, score (upvotes × tier "
    "weight), upvotes, users, organizations, high-tier users; filters and CSV download",
    "Who asked: requesting users and organizations for a selected integration",
    "Charts: top N by score stacked by tier, upvotes per week, bucket counts",
    "Plan these: move selected integrations to Planned",
    "Import upvotes from CSV; edit tier weights and bucket thresholds (versioned, audited)",
])
