import streamlit as st

from pages.ui import coming_soon, current_staff

current_staff()
st.title("Webhooks & bridge")
coming_soon(9, "Inbound triggers and the n8n / Make / Zapier webhook bridge.", [
    "Inbound webhook endpoints per connection with signature verification and replay protection",
    "Received events and their mapping to trigger outputs",
    "Outbound bridge deliveries (signed, retried) and Zapier REST-hook subscriptions",
])
