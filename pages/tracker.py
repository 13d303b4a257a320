import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("Build tracker")
coming_soon(4, "Engineers take each integration from Planned to Available here.", [
    "The seven-step build checklist (research → documentation) and the testing checklist per integration",
    "Tick items with a note and link; evidence the Hub holds (executors, OAuth connections, test runs, guides)",
    "Status pipeline requested → planned → building → testing → available, with gates naming missing items",
    "Marking Available closes upvoting and notifies every upvoter",
])
