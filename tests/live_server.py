"""Shared helpers for browser tests: the real Hub server on a free port, and headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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


@contextmanager
def running_hub(db_url: str, port: int | None = None, **env: str) -> Iterator[str]:
    """`streamlit run app.py` against db_url; yields the base URL once /_stcore/health answers."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    # The sandbox is on by default: staff sign in with st.login against its identity provider (/sandbox/oidc/).
    full_env = {**os.environ, "DATABASE_URL": db_url, "HUB_BASE_URL": base, "HUB_SANDBOX": "1", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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


@contextmanager
def sandbox_hub(databases, template_url: str, *, orgs: int, upvotes: int,  # type: ignore[no-untyped-def]
                key: str) -> Iterator[tuple[str, str]]:
    """A seeded copy of the template served with the sandbox on; yields (base URL, database URL).

    Demo connections are sealed while seeding, so HUB_BASE_URL and the encryption key are set to the
    server's own for that moment, then restored."""
    from datetime import date

    from db.session import session_scope
    from services import demo
    from services.bench.scratch import restored_environment

    url = databases.copy(template_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with restored_environment("HUB_BASE_URL", "HUB_ENCRYPTION_KEYS"):
        os.environ.update(HUB_BASE_URL=base, HUB_ENCRYPTION_KEYS=key)
        with session_scope(url) as s:
            demo.seed_demo(s, orgs=orgs, upvotes=upvotes, seed=7, as_of=date(2026, 11, 1))
    try:
        with running_hub(url, port, HUB_SANDBOX="1", HUB_ENCRYPTION_KEYS=key) as served:
            yield served, url
    finally:
        databases.drop(url)


@contextmanager
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(browser, base: str, email: str, *, width: int = 1440, height: int = 1000):  # type: ignore[no-untyped-def]
    """A new browser context signed in with st.login against the sandbox identity provider; returns (context, page).

    The server must run with the sandbox on (``running_hub`` and ``sandbox_hub`` turn it on)."""

    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(30_000)     # a loaded CI machine renders slowly; waits end as soon as content shows
    page = ctx.new_page()
    page.goto(base)
    sign_in_on(page, email)
    wait_for_home(page)
    return ctx, page


def wait_for_home(page) -> None:  # type: ignore[no-untyped-def]
    """After signing in at "/": wait until the landing page has opened the role's home at its own address
    (pages/hub.py); a sidebar click made before that switch would be overtaken by it."""
    from playwright.sync_api import expect

    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)
    page.wait_for_url(lambda url: urlsplit(url).path not in ("", "/"), timeout=30_000)


def sign_in_on(page, email: str, *, name: str = "", unverified: bool = False) -> None:  # type: ignore[no-untyped-def]
    """On the Hub's sign-in screen: click Sign in, then choose ``email`` on the sandbox provider's page (a
    directory button when there is one, else the typed-email form). Returns once the browser is back on the Hub."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sandbox/oidc/authorize**", timeout=30_000)
    person = page.locator(f'button[data-email="{email}"]')
    if person.count() and not unverified:
        person.click()
    else:
        page.fill("#typed_email", email)
        page.fill("#typed_name", name)
        if unverified:
            page.check("#unverified")
        page.click("#continue")
    page.wait_for_url(lambda url: "/sandbox/oidc/" not in url and "/oauth2callback" not in url, timeout=30_000)


def idle(page, wait: int = 300) -> None:  # type: ignore[no-untyped-def]
    """Wait until the Streamlit script run a click started has finished (the short wait lets it start)."""
    page.wait_for_timeout(wait)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)
