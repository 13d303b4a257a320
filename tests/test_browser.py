"""The real server in headless Chromium: sign in as every role, open every page, save screenshots.

Screenshots land in tests/output/screenshots/<role>-<page>.png (look at them).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from db.session import session_scope
from services import demo
from services.people import roles
from tests.live_server import SHOTS, chromium, get, running_hub, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(databases, migrated_template):
    url = databases.copy(migrated_template)
    with session_scope(url) as s:
        demo.seed_demo(s, orgs=40, upvotes=3000, seed=7, as_of=date(2026, 11, 1))
    try:
        with running_hub(url) as base:
            yield base
    finally:
        databases.drop(url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_sign_in_page(server, browser):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(server)
    expect(page.get_by_text("SANDBOX SIGN-IN")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.screenshot(path=str(SHOTS / "sign-in.png"))
    page.close()


def test_health_route_is_served_by_the_same_server(server):
    status, raw = get(f"{server}/api/health")
    body = json.loads(raw)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["integrations"] == 58


@pytest.mark.parametrize("role", [r for r in roles.HOME])
def test_every_page_for_every_role_in_chromium(server, browser, role):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    email = next(e for e, _, r in demo.DEMO_STAFF if r == role)
    ctx, page = sign_in(browser, server, email)
    try:
        nav = page.get_by_test_id("stSidebarNav")
        allowed = roles.pages_for(role)
        links = nav.get_by_role("link")
        expect(links).to_have_count(len(allowed), timeout=10_000)
        for p in allowed:
            nav.get_by_role("link", name=p.title, exact=True).click()
            expect(page.get_by_role("heading", name=p.title if p.key != "overview"
                                    else "Layers Integration Hub").first).to_be_visible(timeout=30_000)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
            assert page.get_by_test_id("stException").count() == 0, f"{role}/{p.key} raised"
            if page.get_by_test_id("stDataFrame").count():
                # the grid draws on a canvas after the script finishes
                page.get_by_test_id("stDataFrame").first.locator("canvas").first.wait_for(timeout=15_000)
                page.wait_for_timeout(700)
            page.screenshot(path=str(SHOTS / f"{role}-{p.key}.png"), full_page=True)
        for p in roles.PAGES:
            if p not in allowed:
                assert nav.get_by_role("link", name=p.title, exact=True).count() == 0
    finally:
        ctx.close()
