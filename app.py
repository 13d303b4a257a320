"""The Hub's server: `streamlit run app.py` serves the UI (pages/hub.py) and the HTTP routes
(health; later webhooks and the OAuth callback) in one process."""

from pathlib import Path

import streamlit as st

from services.routes import ROUTES

app = st.App(str(Path(__file__).resolve().parent / "pages" / "hub.py"), routes=ROUTES)

if __name__ == "__main__":
    app.run()
