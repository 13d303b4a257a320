"""The Build tracker in headless Chromium: every view, a real tick, screenshots to look at.

Screenshots land in tests/output/screenshots/tracker-*.png. The server and browser fixtures are
the ones of tests/test_browser.py (demo data, development sign-in).
"""

from __future__ import annotations

import pytest

from tests.live_server import sign_in as live_sign_in
from tests.test_browser import SHOTS, browser, server  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.browser


def sign_in(browser, server, email: str):  # noqa: F811
    from playwright.sync_api import expect

    ctx, page = live_sign_in(browser, server, email, height=1100)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Build tracker", exact=True).click()
    expect(page.get_by_role("heading", name="Build tracker")).to_be_visible(timeout=30_000)
    return ctx, page


def idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.get_by_test_id("stException").count() == 0


def test_engineer_opens_an_integration_from_the_board_and_ticks_an_item(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, server, "engineer@layers.example")
    try:
        idle(page)
        page.screenshot(path=str(SHOTS / "tracker-board.png"))
        page.locator(".st-key-open_hubspot").get_by_role("button").click()
        expect(page.get_by_role("heading", name="HubSpot")).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_role("heading", name="HubSpot").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "tracker-integration.png"), full_page=True)

        page.get_by_text("Step 4 · API Client Implementation — 3/9 done").click()
        # tick only once the expander has opened and the app is idle: a click during a rerun can be lost
        expect(page.get_by_text("Alert on repeated failures", exact=True)).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_text("Alert on repeated failures", exact=True).click()
        # the page re-reads the stored checklist after the tick: the step's count went up
        expect(page.get_by_text("Step 4 · API Client Implementation — 4/9 done")).to_be_visible(timeout=30_000)
        idle(page)
        # the section stays open after the tick (stable expander key)
        expect(page.get_by_text("Alert on repeated failures", exact=True)).to_be_visible()
        page.get_by_text("Step 4 · API Client Implementation — 4/9 done").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "tracker-integration-step4.png"))
    finally:
        ctx.close()


def test_leadership_reads_progress_and_announcements(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    ctx, page = sign_in(browser, server, "leadership@layers.example")
    try:
        idle(page)
        page.get_by_test_id("stButtonGroup").get_by_text("Progress", exact=True).click()
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
        idle(page)
        page.screenshot(path=str(SHOTS / "tracker-progress.png"), full_page=True)
        page.get_by_test_id("stButtonGroup").get_by_text("Announcements", exact=True).click()
        expect(page.get_by_text("SMTP_URL is not set")).to_be_visible(timeout=30_000)
        idle(page)
        page.screenshot(path=str(SHOTS / "tracker-announcements.png"))
        page.get_by_test_id("stButtonGroup").get_by_text("Integration", exact=True).click()
        idle(page)
        page.get_by_text("Step 1 · Research & Documentation").click()
        box = page.get_by_role("checkbox", name="Review integration's API documentation")
        expect(box).to_be_visible(timeout=30_000)
        assert box.is_disabled()
        page.screenshot(path=str(SHOTS / "tracker-integration-readonly.png"))
    finally:
        ctx.close()


def test_admin_sees_the_gate_override_and_recipients_before_available(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    ctx, page = sign_in(browser, server, "admin@layers.example")
    try:
        idle(page)
        page.get_by_test_id("stButtonGroup").get_by_text("Integration", exact=True).click()
        expect(page.get_by_role("heading", name="Calendly")).to_be_visible(timeout=30_000)
        idle(page)
        expect(page.get_by_text("Moving to available needs")).to_be_visible()
        expect(page.get_by_text("I checked the")).to_be_visible()
        override = page.get_by_label("Admin override: why move anyway? (audited, shown on the integration)")
        override.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "tracker-admin-available.png"))
        assert page.get_by_role("button", name="Move to available").is_disabled()
    finally:
        ctx.close()


def test_the_selection_follows_the_integration_after_a_status_move(server, browser):  # noqa: F811
    """Issue 14, pages 1: Board → Open a planned integration → tick Step 1 → Move to building. The selector
    must still hold that integration (its label refreshed), and the next widget change must act on it too."""
    from playwright.sync_api import expect

    from services.catalog import load_catalog
    from services.demo.plan import plans

    slug = next(s for s, p in plans().items() if p.pipeline is not None and p.pipeline.status == "planned"
                and p.pipeline.steps_done == 0)
    name = load_catalog().get(slug).name
    ctx, page = sign_in(browser, server, "engineer@layers.example")
    try:
        idle(page)
        page.locator(f".st-key-open_{slug}").get_by_role("button").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=30_000)
        idle(page)
        # "—": the checklist's section, not a blocked move's list of open items (issue 14)
        page.get_by_text("Step 1 · Research & Documentation —").click()
        step = page.get_by_test_id("stExpander").filter(has_text="Step 1 · Research & Documentation —")
        boxes = step.get_by_test_id("stCheckbox")
        expect(boxes.first).to_be_visible(timeout=30_000)
        for n in range(boxes.count()):
            box = boxes.nth(n).get_by_role("checkbox")
            if not box.is_checked() and box.is_enabled():
                boxes.nth(n).locator("label").click()
                idle(page)
                expect(box).to_be_checked()
        move = page.get_by_role("button", name="Move to building")
        expect(move).to_be_enabled(timeout=30_000)
        move.click()
        expect(page.get_by_text(f"{name} is now building")).to_be_visible(timeout=30_000)
        idle(page)
        chooser = page.get_by_role("combobox", name="Integration", exact=True)
        expect(chooser).to_have_value(name)      # the label refreshed; it names no stale status
        page.screenshot(path=str(SHOTS / "tracker-after-move.png"))

        # the next change on the page acts on the same integration
        move_to = page.get_by_role("combobox", name="Change status: move to")
        move_to.scroll_into_view_if_needed()         # (a click that has to scroll first lands before it settles)
        page.wait_for_timeout(300)
        move_to.click()
        page.get_by_role("option", name="planned", exact=True).click()
        idle(page)
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        expect(page.get_by_role("button", name="Move to planned")).to_be_visible()
        expect(chooser).to_have_value(name)
    finally:
        ctx.close()
