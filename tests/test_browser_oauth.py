"""The OAuth Connect flow in headless Chromium against the real server with the sandbox (HUB_SANDBOX=1):
Connections page -> Connect -> new tab on the sandbox consent page -> Approve -> the Hub's callback
stores the tokens -> back on the page the connection is listed as an active sandbox connection.

Screenshots: tests/output/screenshots/oauth-*.png.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.models import Connection, Integration, Organization
from db.session import session_scope
from services.connect.store import read_secrets
from services.connect.vault import Vault, parse_keys
from tests.credentials_support import KEY_A
from tests.live_server import SHOTS, chromium, sandbox_hub, sign_in_on, wait_for_home

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sandbox_server(databases, migrated_template):
    with sandbox_hub(databases, migrated_template, orgs=12, upvotes=500, key=KEY_A) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def pick(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=False).first.click()


def test_connect_with_oauth_in_the_browser(sandbox_server, browser):
    from playwright.sync_api import expect

    base, db_url = sandbox_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with session_scope(db_url) as s:
        busy = set(s.scalars(select(Connection.organization_id)))
        org = s.scalars(select(Organization).where(Organization.id.not_in(busy)).order_by(Organization.name)).first()
        org_name = org.name
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(base)
        sign_in_on(page, "support@layers.example")   # st.login against the sandbox identity provider
        wait_for_home(page)
        expect(page.get_by_text("Development encryption key")).to_have_count(0, timeout=30_000)   # keys are set
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Connections", exact=True).click()
        expect(page.get_by_role("heading", name="Connections").first).to_be_visible(timeout=30_000)
        pick(page, "Organization", org_name)
        expect(page.get_by_text(f"{org_name} has no connections yet")).to_be_visible(timeout=30_000)
        pick(page, "Integration", "HubSpot")
        page.get_by_role("button", name="Connect HubSpot with OAuth").click()
        link = page.get_by_role("link", name="Continue to HubSpot")
        expect(link).to_be_visible(timeout=30_000)
        page.screenshot(path=str(SHOTS / "oauth-1-connect.png"), full_page=True)

        with ctx.expect_page() as new_tab:              # st.link_button opens a new tab
            link.click()
        consent = new_tab.value
        expect(consent.get_by_text("SANDBOX — HubSpot")).to_be_visible(timeout=30_000)
        consent.screenshot(path=str(SHOTS / "oauth-2-consent.png"), full_page=True)
        consent.locator("#approve").click()
        expect(consent.get_by_role("heading", name="Connected HubSpot (sandbox)")).to_be_visible(timeout=30_000)
        assert f"is connected for {org_name}" in consent.locator("#message").inner_text()
        consent.screenshot(path=str(SHOTS / "oauth-3-callback.png"), full_page=True)
        consent.close()

        page.bring_to_front()
        page.keyboard.press("r")                        # Streamlit's rerun shortcut refreshes the table
        expect(page.get_by_text("HubSpot: authorization completed")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("combobox", name="Connection")).to_have_value(
            re.compile(r"HubSpot \(sandbox\) — OAuth 2\.0$"), timeout=30_000)
        expect(page.get_by_text("Status: Active")).to_be_visible()   # the status is beside the picker, not in it
        expect(page.get_by_role("link", name="Continue to HubSpot")).to_have_count(0)
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
        page.get_by_test_id("stDataFrame").first.locator("canvas").first.wait_for(timeout=15_000)
        page.wait_for_timeout(700)
        page.screenshot(path=str(SHOTS / "oauth-4-listed.png"), full_page=True)
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text("HubSpot accepted the credentials")).to_be_visible(timeout=30_000)
        assert page.get_by_test_id("stException").count() == 0
    finally:
        ctx.close()

    with session_scope(db_url) as s:
        hubspot = s.scalar(select(Integration).where(Integration.slug == "hubspot"))
        conn = s.scalar(select(Connection).where(Connection.organization_id == org.id,
                                                 Connection.integration_id == hubspot.id))
        assert conn.status == "active" and conn.sandbox and conn.created_by == "support@layers.example"
        assert read_secrets(conn, vault=Vault(parse_keys(KEY_A)))["access_token"].startswith("sbx_demo.")
