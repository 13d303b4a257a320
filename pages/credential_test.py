import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("Credential test")
coming_soon(7, "Support tests a customer's connection here.", [
    "Find the customer by organization, user email or connection id; pick a connection",
    "Check connection: plain-words diagnosis with the provider's own message",
    "Run an action in test mode with a form drawn from its input schema; see the redacted HTTP exchange",
    "Test history per connection, with ticket references",
])
