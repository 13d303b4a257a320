"""Issue 14 (pages 2 and the PM's next steps) as a person hits it, in headless Chromium: on Priorities, edit a
weight and a threshold, preview what moves, save; the table, its caption and the form show the new version at once
and after a reload; import a small CSV of upvotes and the table shows them at once and after a reload.

The server holds the default demo (its realistic customer mix: about a quarter of the unbuilt integrations in
Top). Screenshots: tests/output/screenshots/priorities-*.png (look at them)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from db.session import session_scope
from services import demo
from tests.live_server import SHOTS, chromium, running_hub, sign_in
from tests.live_server import idle as wait_idle

pytestmark = pytest.mark.browser
PM = "pm@layers.example"


@pytest.fixture(scope="module")
def server(databases, migrated_template):
    url = databases.copy(migrated_template)
    with session_scope(url) as s:
        demo.seed_demo(s, seed=7, as_of=date(2026, 11, 1))           # the defaults `make run` loads
    try:
        with running_hub(url) as base:
            yield base
    finally:
        databases.drop(url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def idle(page, wait: int = 500) -> None:  # type: ignore[no-untyped-def]
    wait_idle(page, wait)
    assert page.get_by_test_id("stException").count() == 0


def ranking_grid(page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stDataFrame").first


def why(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """The Why cell of ``name``'s row (the grid draws on a canvas; its cells are mirrored in an ARIA table)."""
    row = ranking_grid(page).locator("tr", has_text=name).first
    row.wait_for(state="attached")
    return next(t for t in row.locator("td[role=gridcell]").all_inner_texts() if " upvote" in t)


def upvotes(page, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(re.match(r"([\d,]+) upvote", why(page, name)).group(1).replace(",", ""))


def search(page, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_role("textbox", name="Search")
    box.fill(text)
    box.press("Enter")
    idle(page, 800)


def caption(page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stCaptionContainer").filter(has_text=text)


def open_priorities(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Priorities", exact=True).click()
    expect(page.get_by_role("heading", name="Priorities")).to_be_visible()
    idle(page, 800)


def test_pm_previews_saves_and_imports_and_the_page_shows_it_at_once_and_after_reload(server, browser):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, server, PM, height=1300)
    try:
        open_priorities(page)
        expect(caption(page, "ranking settings version 1")).to_be_visible()
        ranking_grid(page).locator("canvas").first.wait_for()
        page.screenshot(path=str(SHOTS / "priorities-demo-mix.png"), full_page=True)
        # ConvertKit: 40-49 upvotes in the default demo, Medium under version 1
        search(page, "convertkit")
        before = upvotes(page, "ConvertKit")
        assert 40 <= before < 50 and why(page, "ConvertKit") == f"{before} upvotes (20–49)"

        # edit: Pro weighs 6, Enterprise 40 and Top starts at 40 upvotes; preview first
        page.get_by_role("spinbutton", name="pro", exact=True).fill("6")
        page.get_by_role("spinbutton", name="enterprise", exact=True).fill("40")
        page.get_by_role("spinbutton", name="Top from upvotes").fill("40")
        page.get_by_role("button", name="Preview changes").click()
        expect(page.get_by_role("heading", name="Preview: your edit against version 1")).to_be_visible()
        idle(page, 800)
        preview = page.get_by_test_id("stDataFrame").last
        expect(preview.locator("td[role=gridcell]", has_text="Medium → Top").first).to_be_attached()
        expect(caption(page, "Not saved yet.")).to_be_visible()
        expect(caption(page, "ranking settings version 1")).to_be_visible()      # nothing saved by a preview
        preview.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "priorities-preview.png"))

        page.get_by_role("button", name="Save as new version").click()
        expect(page.get_by_text("Ranking settings version 2 saved")).to_be_visible()
        idle(page, 800)
        # at once: the table's caption, the table (ConvertKit is Top from 40) and the form say version 2
        expect(caption(page, "ranking settings version 2")).to_be_visible()
        expect(caption(page, "Version 2, set by pm@layers.example")).to_be_visible()
        assert why(page, "ConvertKit") == f"{before} upvotes (40+)"
        expect(page.get_by_role("spinbutton", name="enterprise", exact=True)).to_have_value("40.00")
        expect(page.get_by_role("heading", name="Preview: your edit against version 1")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "priorities-saved-form.png"))
        page.get_by_role("heading", name="Priorities").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "priorities-saved-table.png"))

        page.reload()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        if not page.get_by_role("heading", name="Priorities").count():
            open_priorities(page)
        idle(page, 800)
        expect(caption(page, "ranking settings version 2")).to_be_visible()
        expect(caption(page, "Version 2, set by pm@layers.example")).to_be_visible()
        expect(page.get_by_role("spinbutton", name="Top from upvotes")).to_have_value("40")
        search(page, "convertkit")
        assert why(page, "ConvertKit") == f"{before} upvotes (40+)"

        # import two upvotes for ConvertKit: the table shows them as soon as the import reports them
        csv = (b"integration,user_email,user_name,organization,tier,created_at\n"
               b"convertkit,ana.new@fresh.example,Ana New,Fresh Studio,free,2026-10-30T10:00:00Z\n"
               b"convertkit,ben.new@fresh.example,Ben New,Fresh Studio,free,2026-10-30T11:00:00Z\n")
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "upvotes.csv", "mimeType": "text/csv", "buffer": csv}])
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("2 upvotes imported, 0 already present")).to_be_visible()
        idle(page, 800)
        assert upvotes(page, "ConvertKit") == before + 2
        page.get_by_text("2 upvotes imported, 0 already present").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "priorities-imported.png"), full_page=True)

        page.reload()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        if not page.get_by_role("heading", name="Priorities").count():
            open_priorities(page)
        idle(page, 800)
        search(page, "convertkit")
        assert upvotes(page, "ConvertKit") == before + 2
    finally:
        ctx.close()
