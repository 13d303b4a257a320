"""Integration guides in headless Chromium (issue 14, the tracker's stale-label bug on this page): publish a
guide, and the page stays on that guide; unpublish it, and it still does. Before, the chooser's label held the
guide's state ("Calendly — ready to publish"), publishing changed it, and the browser's remembered label no
longer matched: the page jumped to the first guide, with a Publish button for HubSpot.

Screenshots: tests/output/screenshots/guides-*.png. Server and browser fixtures: tests/test_browser.py.
"""

from __future__ import annotations

import re

import pytest

from tests.live_server import idle
from tests.live_server import sign_in as live_sign_in
from tests.test_browser import SHOTS, browser, server  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.browser


def test_publishing_keeps_the_page_on_the_same_guide(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = live_sign_in(browser, server, "engineer@layers.example", height=1100)
    try:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Integration guides", exact=True).click()
        expect(page.get_by_role("heading", name="Integration guides")).to_be_visible(timeout=30_000)
        idle(page)
        chooser = page.get_by_role("combobox", name="Read a guide")
        chooser.click()
        page.get_by_role("option", name=re.compile(r"^Calendly\b")).click()
        idle(page)
        expect(page.get_by_role("heading", name="Calendly", exact=True)).to_be_visible()
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.get_by_text("Calendly's guide published.")).to_be_visible(timeout=30_000)
        idle(page)
        expect(chooser).to_have_value(re.compile(r"^Calendly\b"))
        expect(page.get_by_role("heading", name="Calendly", exact=True)).to_be_visible()
        expect(page.get_by_text("Published by engineer@layers.example")).to_be_visible()
        page.screenshot(path=str(SHOTS / "guides-after-publish.png"))

        # the next click acts on the same guide (before: the stale label fell back to HubSpot and published it)
        unpublish = page.get_by_role("button", name="Unpublish", exact=True)
        expect(unpublish).to_be_visible()
        unpublish.click()
        expect(page.get_by_text("Calendly's guide unpublished.")).to_be_visible(timeout=30_000)
        idle(page)
        expect(chooser).to_have_value(re.compile(r"^Calendly\b"))
        expect(page.get_by_role("button", name="Publish", exact=True)).to_be_visible()
        page.screenshot(path=str(SHOTS / "guides-after-unpublish.png"))

        page.reload()      # a new visit starts on the first guide; choose Calendly and publish it again
        expect(page.get_by_role("heading", name="Integration guides")).to_be_visible(timeout=30_000)
        idle(page)
        chooser.click()
        page.get_by_role("option", name=re.compile(r"^Calendly\b")).click()
        idle(page)
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.get_by_text("Calendly's guide published.")).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_role("textbox", name="Search").fill("cal")     # another widget: the choice still holds
        page.get_by_role("textbox", name="Search").press("Enter")
        idle(page)
        expect(chooser).to_have_value(re.compile(r"^Calendly\b"))
        expect(page.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
        page.screenshot(path=str(SHOTS / "guides-after-reload-publish-search.png"), full_page=True)
    finally:
        ctx.close()
