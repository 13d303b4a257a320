"""The real server in headless Chromium: sign in as every role, open every page, save screenshots.

Screenshots land in tests/output/screenshots/<role>-<page>.png (look at them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from db.session import session_scope
from services import demo, roles

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).parent / "output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def server(databases, migrated_template):
    url = databases.copy(migrated_template)
    with session_scope(url) as s:
        demo.seed_demo(s, orgs=40, upvotes=3000, seed=7, as_of=date(2026, 11, 1))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "HUB_BASE_URL": base}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                if get(f"{base}/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stdout.read()}")
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start in 30 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        databases.drop(url)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_health_route_is_served_by_the_same_server(server):
    status, raw = get(f"{server}/api/health")
    body = json.loads(raw)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["integrations"] == 58


@pytest.mark.parametrize("role", [r for r in roles.HOME])
def test_every_page_for_every_role_in_chromium(server, browser, role):
    from playwright.sync_api import expect

    if role == next(iter(roles.HOME)):
        shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    email = next(e for e, _, r in demo.DEMO_STAFF if r == role)
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(server)
        expect(page.get_by_text("DEVELOPMENT SIGN-IN")).to_be_visible(timeout=30_000)
        if role == "pm":
            page.screenshot(path=str(SHOTS / "sign-in.png"))
        page.get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name=email, exact=False).click()
        page.get_by_role("button", name="Sign in (development)").click()
        expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)
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
