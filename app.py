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

from starlette.middleware import Middleware  # noqa: E402

from pages.ui.outage import on_script_error  # noqa: E402
from services.server.background import lifespan  # noqa: E402
from services.server.routes import EXCEPTION_HANDLERS, ROUTES  # noqa: E402  (building the routes reads the settings)
from services.server.sign_in import DeepLinkMiddleware, auth_secrets  # noqa: E402

if load_settings().is_production:   # tracebacks stay in the server log; pages show them in full in development
    st.set_option("client.showErrorDetails", "none")

# Sign-in is st.login (OIDC). With the sandbox on, [auth] points at the sandbox identity provider on this server
# (programmatic secrets; docs/sign-in.md); otherwise it comes from .streamlit/secrets.toml.
# A database outage (issue 17): 503 + Retry-After on every route (EXCEPTION_HANDLERS), a plain message that retries
# by itself on every page (on_script_error); the lifespan runs the webhook recovery pass.
app = st.App(str(Path(__file__).resolve().parent / "pages" / "hub.py"), routes=ROUTES,
             middleware=[Middleware(DeepLinkMiddleware)], secrets=auth_secrets(load_settings()),
             exception_handlers=EXCEPTION_HANDLERS, on_script_error=on_script_error, lifespan=lifespan)

if __name__ == "__main__":
    app.run()
