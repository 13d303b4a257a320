"""Streamlit pages. `hub.py` is the UI entry (sign-in, role navigation); the other modules here are the screens,
one per page key in services/people/roles.py; their helpers live in the `ui` package."""
