"""Issue 14 as a person hits it, in headless Chromium: Staff & roles shows a save at once and after a reload (bug
3), a role is changed by picking the person in the table; the Build tracker takes a note with a tick, and the note
is there after a reload. Screenshots: tests/output/screenshots/issue14-*.png (look at them)."""

from __future__ import annotations

import pytest

from tests.live_server import idle as wait_idle
from tests.live_server import sign_in
from tests.test_browser import SHOTS, browser, server  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.browser


def idle(page, wait: int = 500) -> None:  # type: ignore[no-untyped-def]
    wait_idle(page, wait)
    assert page.get_by_test_id("stException").count() == 0


def cell(grid, text: str):  # type: ignore[no-untyped-def]
    """A data-grid cell by its text (the grid draws on a canvas; its cells are mirrored in an ARIA table)."""
    return grid.locator("td[role=gridcell]", has_text=text)


def row_of(grid, text: str):  # type: ignore[no-untyped-def]
    return grid.locator("tr", has_text=text)


def pick_row(page, grid, email: str) -> None:  # type: ignore[no-untyped-def]
    """Click the row marker (the grid's first column) of the row holding ``email``, as a person does."""
    index = int(row_of(grid, email).first.get_attribute("aria-rowindex"))    # 1 = the header row
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 * (index - 1) + 17)


def staff_role(grid, email: str) -> str:  # type: ignore[no-untyped-def]
    return row_of(grid, email).first.locator("td[aria-colindex='4']").inner_text().strip()


def test_staff_and_roles_shows_an_addition_and_a_role_change_at_once_and_after_reload(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, server, "admin@layers.example", height=1200)
    try:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Staff & roles", exact=True).click()
        expect(page.get_by_role("heading", name="Staff & roles")).to_be_visible()
        idle(page)
        page.get_by_label("Email").fill("dana.new@layers.example")
        page.get_by_label("Name").fill("Dana New")
        page.get_by_role("button", name="Add staff member").click()
        expect(page.get_by_text("Saved dana.new@layers.example as pm")).to_be_visible()
        idle(page, 800)
        grid = page.get_by_test_id("stDataFrame").first
        expect(cell(grid, "dana.new@layers.example").first).to_be_attached()            # at once
        assert staff_role(grid, "dana.new@layers.example") == "pm"
        page.screenshot(path=str(SHOTS / "issue14-staff-added.png"), full_page=True)

        page.reload()
        expect(page.get_by_role("heading", name="Staff & roles")).to_be_visible()
        idle(page, 800)
        grid = page.get_by_test_id("stDataFrame").first
        expect(cell(grid, "dana.new@layers.example").first).to_be_attached()            # and after a reload

        pick_row(page, grid, "dana.new@layers.example")
        expect(page.get_by_role("heading", name="Dana New · dana.new@layers.example")).to_be_visible()
        idle(page)
        page.screenshot(path=str(SHOTS / "issue14-staff-picked.png"), full_page=True)
        form = page.get_by_test_id("stForm").first
        form.get_by_role("combobox", name="Role").click()
        page.get_by_role("option", name="engineer", exact=True).click()
        form.get_by_role("button", name="Save role").click()
        expect(page.get_by_text("Saved dana.new@layers.example as engineer")).to_be_visible()
        idle(page, 800)
        grid = page.get_by_test_id("stDataFrame").first
        expect(row_of(grid, "dana.new@layers.example").first).to_contain_text("engineer")   # at once
        expect(page.get_by_role("heading", name="Dana New · dana.new@layers.example")).to_be_visible()
        page.screenshot(path=str(SHOTS / "issue14-staff-role-changed.png"), full_page=True)

        page.reload()
        expect(page.get_by_role("heading", name="Staff & roles")).to_be_visible()
        idle(page, 800)
        grid = page.get_by_test_id("stDataFrame").first
        expect(row_of(grid, "dana.new@layers.example").first).to_contain_text("engineer")   # after a reload

        # an address outside the staff domain waits for a confirmation
        page.get_by_label("Email").fill("casey@agency.example")
        page.get_by_label("Name").fill("Casey Contractor")
        page.get_by_role("button", name="Add staff member").click()
        expect(page.get_by_text("casey@agency.example is outside the staff domain")).to_be_visible()
        idle(page)
        page.screenshot(path=str(SHOTS / "issue14-staff-outside-domain.png"), full_page=True)
        page.get_by_role("button", name="Give casey@agency.example the pm role").click()
        expect(page.get_by_text("Saved casey@agency.example as pm")).to_be_visible()
        idle(page, 800)
        expect(cell(page.get_by_test_id("stDataFrame").first, "casey@agency.example").first).to_be_attached()

        # the Audit log holds both changes: filtered by the entity and a part of the actor
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Audit log", exact=True).click()
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        idle(page)
        page.get_by_role("combobox", name="Entity").click()
        page.get_by_role("option", name="staff_user", exact=True).click()
        idle(page)
        page.get_by_role("textbox", name="Actor contains").fill("ADMIN@")
        page.get_by_role("textbox", name="Actor contains").press("Enter")
        idle(page, 800)
        grid = page.get_by_test_id("stDataFrame").first
        expect(cell(grid, "role: pm → engineer").first).to_be_attached()
        expect(cell(grid, "casey@agency.example").first).to_be_attached()
        expect(page.get_by_text("3 entries, newest first")).to_be_visible()
        page.screenshot(path=str(SHOTS / "issue14-audit-filtered.png"), full_page=True)
    finally:
        ctx.close()


def test_engineer_ticks_an_item_with_a_note_and_finds_it_after_reload(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, server, "engineer@layers.example", height=1300)
    try:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Build tracker", exact=True).click()
        expect(page.get_by_role("heading", name="Build tracker")).to_be_visible()
        idle(page)
        page.locator(".st-key-open_hubspot").get_by_role("button").click()
        expect(page.get_by_role("heading", name="HubSpot")).to_be_visible()
        idle(page)
        # only reachable moves are offered; a blocked one says what blocks it, per step
        expect(page.get_by_text("is blocked:").first).to_be_visible()
        page.get_by_role("heading", name="HubSpot").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "issue14-tracker-status.png"))
        page.get_by_text("Step 4 · API Client Implementation —").click()
        item = "Alert on repeated failures"
        expect(page.get_by_text(item, exact=True)).to_be_visible()
        idle(page)
        row = page.get_by_test_id("stHorizontalBlock").filter(has=page.get_by_text(item, exact=True)).last
        row.get_by_role("button", name="Note").click()                  # the form opens under this row
        dialog = page.get_by_test_id("stForm").filter(has=page.get_by_role("textbox", name="Note"))
        expect(dialog).to_be_visible()
        idle(page)
        dialog.get_by_role("textbox", name="Note").fill("Alerts go to #integrations-alerts")
        dialog.get_by_role("textbox", name="Link (pull request, document)").fill(
            "https://github.com/layers/hub/pull/412")
        page.screenshot(path=str(SHOTS / "issue14-tracker-note-typed.png"))
        dialog.get_by_role("button", name="Tick with note and link").click()
        note = page.get_by_text("“Alerts go to #integrations-alerts”")
        expect(note).to_be_visible()
        idle(page, 800)
        expect(page.get_by_role("checkbox", name=item)).to_be_checked()
        note.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "issue14-tracker-ticked-with-note.png"))

        page.reload()
        expect(page.get_by_role("heading", name="Build tracker")).to_be_visible()
        idle(page)
        page.get_by_test_id("stButtonGroup").get_by_text("Integration", exact=True).click()
        idle(page)
        page.get_by_role("combobox", name="Integration", exact=True).click()
        page.keyboard.type("HubSpot")                    # a searchable list of every integration
        page.get_by_role("option", name="HubSpot", exact=True).click()
        expect(page.get_by_role("heading", name="HubSpot")).to_be_visible()
        idle(page)
        page.get_by_text("Step 4 · API Client Implementation —").click()
        note = page.get_by_text("“Alerts go to #integrations-alerts”")
        expect(note).to_be_visible()                                                       # after a reload
        expect(page.get_by_role("checkbox", name=item)).to_be_checked()
        note.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "issue14-tracker-note-after-reload.png"))
    finally:
        ctx.close()
