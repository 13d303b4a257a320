"""The pages while the database is unreachable (issue 17): a plain message instead of a traceback, the sign-in
kept, the page back once the database answers. AppTest on both backends (the runner given app.py's
on_script_error, as st.App gives it); in Chromium against the real server on PostgreSQL (its database refuses
connections for a while: ALLOW_CONNECTIONS false, backends terminated)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from db.outage import MESSAGE
from db.session import make_engine
from pages.ui.outage import on_script_error
from services import demo
from tests.credentials_support import free_port

HUB = "../pages/hub.py"
SUPPORT = "support@layers.example"


@pytest.fixture
def staffed(session, db_url):  # type: ignore[no-untyped-def]
    demo.ensure_demo_staff(session)
    session.commit()
    return db_url


@pytest.fixture
def with_app_error_handler(monkeypatch):  # type: ignore[no-untyped-def]
    """AppTest runs hub.py without st.App: give its script runner app.py's on_script_error."""
    from streamlit.testing.v1 import local_script_runner

    runner = local_script_runner.LocalScriptRunner
    original = runner.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        self._on_script_error = on_script_error

    monkeypatch.setattr(runner, "__init__", init)


def unreachable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """DATABASE_URL is read when the engine is made (one per URL, cached): point it elsewhere, drop the cache."""
    monkeypatch.setenv("DATABASE_URL", url)
    make_engine.cache_clear()


def signed_in(email: str) -> AppTest:
    at = AppTest.from_file(HUB, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x" * 32}
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    return at


def test_an_outage_shows_a_plain_message_and_the_page_comes_back(staffed, with_app_error_handler, monkeypatch):
    at = signed_in(SUPPORT).run()
    assert not at.exception, at.exception
    title = at.title[0].value
    assert at.session_state.staff.email == SUPPORT

    unreachable(monkeypatch, f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone")
    at.run()
    assert not at.exception                                   # no red box, no frames
    assert [w.value for w in at.warning] == [MESSAGE + " …"]
    assert "comes back by itself" in at.caption[-1].value
    assert not at.title                                       # nothing half-drawn from the failed run

    unreachable(monkeypatch, staffed)   # back
    at.run()
    assert not at.exception and not at.warning
    assert at.title[0].value == title and at.session_state.staff.email == SUPPORT   # still signed in


def test_a_bug_is_not_dressed_up_as_an_outage(staffed, with_app_error_handler, monkeypatch):
    from services.people import access

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(access, "check", broken)
    at = signed_in(SUPPORT).run()
    assert at.exception and "a bug" in at.exception[0].message
    assert not at.warning


def _allow_connections(url: str, allow: bool) -> None:
    name = make_url(url).database
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}'))
            if not allow:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                             {"db": name})
    finally:
        engine.dispose()


@pytest.mark.browser
@pytest.mark.postgresql_only
def test_in_the_browser_the_outage_message_shows_and_the_page_recovers_by_itself(staffed):
    from playwright.sync_api import expect

    from tests.live_server import SHOTS, chromium, idle, running_hub

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_hub(staffed, HUB_SANDBOX="1") as base, chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(30_000)
        page = ctx.new_page()
        page.goto(base + "/api_health")
        page.get_by_role("button", name="Sign in").click()          # the sandbox identity provider
        page.locator(f"button[data-email='{SUPPORT}']").click()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        idle(page)
        page.get_by_role("link", name="API health").click()
        expect(page.get_by_text("Unprocessed inbound events")).to_be_visible()
        try:
            _allow_connections(staffed, False)
            page.get_by_role("link", name="Connections").click()     # the next action meets the outage
            expect(page.get_by_text(MESSAGE)).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.get_by_text("OperationalError")).to_have_count(0)
            page.reload()                                  # a new session: the cookie still signs it in
            expect(page.get_by_text(MESSAGE)).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
            page.screenshot(path=str(SHOTS / "outage-message.png"))
        finally:
            _allow_connections(staffed, True)
        expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)   # by itself, still signed in
        expect(page.get_by_text(MESSAGE)).to_have_count(0)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=str(SHOTS / "outage-recovered.png"))
        ctx.close()
