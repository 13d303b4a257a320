"""End to end in headless Chromium against the real server with the sandbox (HUB_SANDBOX=1): a signed Calendly
webhook and one signed with the wrong secret are posted to ``/hooks/calendly/<id>``; support opens the Webhooks
& bridge page, sees the received event and the rejection with its reason, and replays the event; a PM does not
get the page in the navigation.

Screenshots: tests/output/screenshots/webhooks-*.png.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Connection, Integration
from db.models.webhooks import WebhookEvent, WebhookRejection
from db.session import session_scope
from services.connect.webhook_secrets import rotate_webhook_secret
from services.webhooks.inbound import inbound_url
from tests.credentials_support import KEY_A
from tests.live_server import SHOTS, chromium, idle, sandbox_hub, sign_in
from tests.webhooks_support import OTHER, SECRET, calendly, dumps, post

pytestmark = pytest.mark.browser

BOOKING = {"event": "invitee.created", "created_at": "2026-01-01T10:00:00.000000Z",
           "payload": {"email": "jane.doe@example.com", "name": "Jane Doe", "status": "active",
                       "event": "https://api.calendly.com/scheduled_events/AAA", "rescheduled": False,
                       "old_invitee": None}}


@pytest.fixture(scope="module")
def sandbox_server(databases, migrated_template):
    with sandbox_hub(databases, migrated_template, orgs=3, upvotes=50, key=KEY_A) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def cell(grid, text: str):  # type: ignore[no-untyped-def]
    """A data-grid cell by its text (the grid draws on a canvas; its cells are mirrored in an ARIA table)."""
    return grid.locator("td[role=gridcell]", has_text=text)


def _calendly_with_secret(url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", KEY_A)          # sealed with the server's key
    with session_scope(url) as s:
        cid = s.scalar(select(Connection.id).join(Integration, Integration.id == Connection.integration_id)
                       .where(Integration.slug == "calendly").order_by(Connection.id))
        rotate_webhook_secret(s, actor="test", connection_id=cid, secret=SECRET)
    return cid


def _handled(url: str, cid: int) -> WebhookEvent:
    deadline = time.monotonic() + 20
    while True:
        with session_scope(url) as s:
            event = s.scalar(select(WebhookEvent).where(WebhookEvent.connection_id == cid))
            if event is not None and (event.status != "received" or time.monotonic() > deadline):
                s.expunge(event)
                return event
        time.sleep(0.1)


def test_support_sees_received_and_rejected_webhooks_and_replays_one(sandbox_server, browser, monkeypatch):
    from playwright.sync_api import expect

    base, url = sandbox_server
    cid = _calendly_with_secret(url, monkeypatch)
    body, hook = dumps(BOOKING), inbound_url(base, "calendly", cid)
    accepted = post(hook, body, calendly(SECRET, body))
    assert accepted.status_code == 200 and accepted.json()["events"] == 1, accepted.text
    refused = post(hook, body.replace(b"Jane", b"Eve"), calendly(OTHER, body))
    assert refused.status_code == 401 and "signature does not match" in refused.json()["message"], refused.text
    event = _handled(url, cid)
    assert (event.status, event.trigger) == ("handled", "event_scheduled")

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = sign_in(browser, base, "support@layers.example", height=1800)
    try:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Webhooks & bridge", exact=True).click()
        expect(page.get_by_role("heading", name="Webhooks & bridge").first).to_be_visible(timeout=30_000)
        idle(page)
        events = page.get_by_test_id("stDataFrame").first
        expect(events).to_be_visible()
        expect(cell(events, "invitee.created").first).to_be_attached()
        expect(cell(events, "event_scheduled").first).to_be_attached()
        expect(page.get_by_text("jane.doe@example.com").first).to_be_visible()     # the payload
        idle(page, 800)
        page.screenshot(path=str(SHOTS / "webhooks-received.png"), full_page=True)

        page.get_by_role("tab", name="Failed verifications").click()
        idle(page, 800)
        rejected = page.get_by_test_id("stDataFrame").filter(visible=True).first
        expect(cell(rejected, "signature does not match").first).to_be_attached()
        page.screenshot(path=str(SHOTS / "webhooks-rejected.png"), full_page=True)

        page.get_by_role("tab", name="Received events").click()
        idle(page)
        page.get_by_role("button", name="Replay through its handler").click()
        expect(page.get_by_text(f"Replayed event #{event.id}: handled").first).to_be_visible(timeout=30_000)
        idle(page, 800)
        page.screenshot(path=str(SHOTS / "webhooks-replayed.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0
    finally:
        ctx.close()
    with session_scope(url) as s:
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "webhook_event.replayed",
                                                       AuditEntry.entity_id == str(event.id))) \
            == "support@layers.example"
        reasons = s.scalars(select(WebhookRejection.reason).where(WebhookRejection.connection_id == cid)).all()
    assert reasons == ["verification failed: signature does not match"]


def test_a_pm_does_not_get_the_webhooks_page(sandbox_server, browser):
    from playwright.sync_api import expect

    base, _ = sandbox_server
    ctx, page = sign_in(browser, base, "pm@layers.example")
    try:
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible()
        expect(nav.get_by_role("link", name="Build tracker", exact=True)).to_be_visible()   # the Build section
        assert nav.get_by_role("link", name="Webhooks & bridge").count() == 0
        idle(page, 800)
        page.screenshot(path=str(SHOTS / "webhooks-pm-navigation.png"), full_page=True)
    finally:
        ctx.close()


def test_an_engineer_prunes_old_failed_verifications(sandbox_server, browser):
    from playwright.sync_api import expect

    base, url = sandbox_server
    with session_scope(url) as s:
        before = s.scalar(select(func.count()).select_from(WebhookRejection))
        events = s.scalar(select(func.count()).select_from(WebhookEvent))
    assert before >= 1 and events >= 1
    ctx, page = sign_in(browser, base, "engineer@layers.example", height=1400)
    try:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Webhooks & bridge", exact=True).click()
        expect(page.get_by_role("heading", name="Webhooks & bridge").first).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_role("tab", name="Retention").click()
        expect(page.get_by_text("Nothing is older than these limits.")).to_be_visible()
        days = page.get_by_role("spinbutton", name="Failed verifications older than (days)")
        days.fill("0")
        days.press("Enter")
        idle(page)
        expect(page.get_by_text("failed verifications, older than 0 days").first).to_be_visible()
        delete = page.get_by_role("button", name="Delete old webhook data")
        expect(delete).to_be_disabled()
        page.get_by_text(f"Permanently delete {before} row").click()
        idle(page)
        page.screenshot(path=str(SHOTS / "webhooks-retention-confirm.png"), full_page=True)
        delete.click()
        expect(page.get_by_text(f"Deleted {before} row").first).to_be_visible(timeout=30_000)
        idle(page, 800)
        page.screenshot(path=str(SHOTS / "webhooks-retention-done.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0
    finally:
        ctx.close()
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(WebhookRejection)) == 0
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == events      # 90 days: kept
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "webhooks.pruned"))
        assert entry.actor == "engineer@layers.example" and entry.after["rejections"] == before
