"""The Hub's server: `streamlit run app.py` serves the UI (pages/hub.py) and the HTTP routes
(health; later webhooks and the OAuth callback) in one process."""

from pathlib import Path

import streamlit as st

from services.connect.vault import VaultError, check_production_keys
from services.core.config import ConfigError, load_settings

try:
    check_production_keys(load_settings())   # fail fast: a bad HUB_ENV, the sandbox or no keys in production
except (ConfigError, VaultError) as exc:
    raise SystemExit(f"layers-hub: {exc}") from None

from services.server.routes import ROUTES  # noqa: E402  (after the check: building the routes reads the settings)

app = st.App(str(Path(__file__).resolve().parent / "pages" / "hub.py"), routes=ROUTES)

if __name__ == "__main__":
    app.run()
