"""Signing in inside AppTest: st.login needs a browser, so AppTest mocks its result (``at.user``) under an
``[auth]`` block like the one app.py gives the sandbox. The real flow runs in Chromium
(tests/test_sign_in_browser.py, tests/live_server.sign_in)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.sandbox import oidc

HUB = "../pages/hub.py"
AUTH = oidc.auth_section("http://127.0.0.1:8501", "test-cookie-secret-not-a-real-one")


def hub_app(email: str | None = None, *, verified: bool | None = True, name: str = "") -> AppTest:
    """pages/hub.py with [auth] configured; signed in as ``email`` (None: signed out). Not yet run."""
    at = AppTest.from_file(HUB, default_timeout=60)
    at.secrets["auth"] = dict(AUTH)
    user: dict[str, object] = {"is_logged_in": email is not None}
    if email is not None:
        user.update(email=email, name=name or email.split("@")[0])
        if verified is not None:
            user["email_verified"] = verified
    at.user = user
    return at


def signed_in_app(email: str) -> AppTest:
    """pages/hub.py run once, signed in as ``email`` (via the mocked st.login identity)."""
    at = hub_app(email)
    at.run()
    assert not at.exception, at.exception
    return at
