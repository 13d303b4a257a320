"""The Hub's server: `streamlit run app.py` serves the UI (pages/hub.py) and the HTTP routes
(health; later webhooks and the OAuth callback) in one process."""

from pathlib import Path

import streamlit as st

from services.connect.vault import VaultError, check_production_keys
from services.core.config import load_settings
from services.server.routes import ROUTES

try:
    check_production_keys(load_settings())   # fail fast: HUB_ENV=production needs HUB_ENCRYPTION_KEYS
except VaultError as exc:
    raise SystemExit(f"layers-hub: {exc}") from None

app = st.App(str(Path(__file__).resolve().parent / "pages" / "hub.py"), routes=ROUTES)

if __name__ == "__main__":
    app.run()
