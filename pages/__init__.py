"""Streamlit pages. `hub.py` is the UI entry (sign-in, role navigation); the others are screens."""
