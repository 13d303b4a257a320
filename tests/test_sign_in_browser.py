"""Real sign-in in headless Chromium: st.login against the sandbox identity provider (/sandbox/oidc/), the path
production takes with a real provider (issue 19).

Screenshots: tests/output/screenshots/sign-in-*.png.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from db.session import session_scope
from services import demo
from services.people import roles
from services.people.staff import save_staff
from tests.live_server import SHOTS, chromium, running_hub, sign_in, sign_in_on

pytestmark = pytest.mark.browser
STAFF = {role: email for email, _, role in demo.DEMO_STAFF}
PAGES = {p.key: p for p in roles.PAGES}


@pytest.fixture(scope="module")
def server(databases, migrated_template):
    url = databases.copy(migrated_template)
    with session_scope(url) as s:
        demo.seed_demo(s, orgs=12, upvotes=400, seed=7, as_of=date(2026, 11, 1))
    try:
        with running_hub(url) as base:
            yield base, url
    finally:
        databases.drop(url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def heading(key: str) -> str:
    return "Layers Integration Hub" if key == "overview" else PAGES[key].title


def expect_page(page, key: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=heading(key)).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)


def session_cookies(ctx) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in ctx.cookies() if c["name"].startswith("_streamlit_user")}


@pytest.mark.parametrize("role", list(roles.HOME))
def test_each_role_signs_in_with_st_login_and_a_reload_keeps_it_signed_in(server, browser, role):
    from playwright.sync_api import expect

    base, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, base, STAFF[role])
    try:
        expect_page(page, roles.HOME[role])
        # no deep link: the callback lands on the home page, at its own (bookmarkable) address
        expect(page).to_have_url(f"{base}/{roles.HOME[role]}", timeout=30_000)
        assert session_cookies(ctx) >= {"_streamlit_user", "_streamlit_user_tokens"}
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link").count() == len(roles.pages_for(role))
        page.reload()                                   # a new Streamlit session: the signed cookie signs it in
        expect_page(page, roles.HOME[role])
        assert page.get_by_text(STAFF[role]).count() >= 1
        assert page.get_by_text("Page not found").count() == 0   # the home page's address is a real one
        page.screenshot(path=str(SHOTS / f"sign-in-{role}-reloaded.png"))
        other = ctx.new_page()                          # and so does a new tab
        other.goto(base)
        expect_page(other, roles.HOME[role])
        other.close()
    finally:
        ctx.close()


def test_a_deep_link_opened_signed_out_lands_on_that_page_after_sign_in(server, browser):
    from playwright.sync_api import expect

    base, _ = server
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{base}/tracker")                    # pm's home is Priorities; the link asks for the tracker
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        assert page.url == f"{base}/tracker"            # the sign-in screen keeps the address asked for
        assert page.get_by_test_id("stSidebarNav").count() == 0
        page.screenshot(path=str(SHOTS / "sign-in-deep-link-signed-out.png"))
        sign_in_on(page, STAFF["pm"])
        expect_page(page, "tracker")
        assert page.url == f"{base}/tracker"
        assert "hub_next" not in {c["name"] for c in ctx.cookies()}
    finally:
        ctx.close()


def test_a_link_to_a_page_the_role_may_not_open_says_why_instead_of_page_not_found(server, browser):
    from playwright.sync_api import expect

    base, _ = server
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{base}/connections")               # support's page, bookmarked by a product manager
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        sign_in_on(page, STAFF["pm"])
        expect(page.get_by_text("is not open to your role").first).to_be_visible(timeout=30_000)
        assert page.url == f"{base}/connections"
        assert page.get_by_text("Page not found").count() == 0
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link").count() == len(roles.pages_for("pm"))   # still not in the menu
        page.screenshot(path=str(SHOTS / "sign-in-deep-link-forbidden.png"))
        page.get_by_role("link", name="Go to your home page").click()
        expect_page(page, "priorities")
    finally:
        ctx.close()


def test_sign_out_clears_the_session_and_the_cookie(server, browser):
    from playwright.sync_api import expect

    base, _ = server
    ctx, page = sign_in(browser, base, STAFF["engineer"])
    try:
        expect_page(page, "tracker")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        # The sign-in screen can show before the browser has followed st.logout to /auth/logout, which clears the
        # cookies: give that navigation time, then the cookies must be gone.
        deadline = time.monotonic() + 30
        while session_cookies(ctx) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert session_cookies(ctx) == set()
        page.reload()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        assert page.get_by_text("Signed in as").count() == 0
    finally:
        ctx.close()


@pytest.mark.parametrize(("email", "says"), [
    ("new.hire@layers.example", "has no Hub access yet"),
    ("someone@elsewhere.example", "is not a Layers staff account"),
])
def test_an_identity_without_a_staff_row_sees_only_ask_an_admin(server, browser, email, says):
    from playwright.sync_api import expect

    base, db_url = server
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{base}/staff")
        sign_in_on(page, email, name="Not Staff")
        expect(page.get_by_role("heading", name="Ask an admin for access")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(says)).to_be_visible()
        assert page.get_by_test_id("stSidebarNav").count() == 0
        assert page.get_by_text("Signed in as").count() == 0
        page.screenshot(path=str(SHOTS / f"sign-in-refused-{email.split('@')[1].split('.')[0]}.png"))
        page.goto(f"{base}/priorities")                 # no page opens, whatever the address
        expect(page.get_by_role("heading", name="Ask an admin for access")).to_be_visible(timeout=30_000)
        assert page.get_by_role("heading", name="Priorities").count() == 0
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    finally:
        ctx.close()
    with session_scope(db_url) as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in.refused",
                                                     AuditEntry.actor == email)).all()
        assert refused, "the refusal is audited"


def test_a_member_deactivated_mid_session_is_refused_at_the_next_action(server, browser):
    from playwright.sync_api import expect

    base, db_url = server
    email = "temp.support@layers.example"
    with session_scope(db_url) as s:
        save_staff(s, actor=STAFF["admin"], email=email, name="Tem Porary", role="support")
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(base)
        sign_in_on(page, email, name="Tem Porary")
        expect_page(page, "credential_test")
        with session_scope(db_url) as s:
            save_staff(s, actor=STAFF["admin"], email=email, name="Tem Porary", role="support", active=False)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Integration catalog", exact=True).click()
        expect(page.get_by_role("heading", name="Ask an admin for access")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("no longer has access")).to_be_visible()
        assert page.get_by_role("heading", name="Integration catalog").count() == 0
        assert page.get_by_test_id("stSidebarNav").count() == 0
        page.screenshot(path=str(SHOTS / "sign-in-deactivated.png"))
    finally:
        ctx.close()


def test_an_unverified_email_is_refused(server, browser):
    from playwright.sync_api import expect

    base, _ = server
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(base)
        sign_in_on(page, STAFF["admin"], unverified=True)
        expect(page.get_by_role("heading", name="Ask an admin for access")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("is not verified")).to_be_visible()
    finally:
        ctx.close()
