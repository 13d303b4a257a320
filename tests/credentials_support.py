"""Fixtures for the credentials tests (loaded by tests/conftest.py as a plugin).

``hub_server``: the Hub's HTTP routes (OAuth callback + the sandbox) served by uvicorn on loopback in
a thread of the test process, so tests can drive the real flow over HTTP and read the sandbox's
request counters. ``creds_env``: sandbox on, HUB_BASE_URL pointing at that server, fixed test keys.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from db.models import Organization, StaffUser
from services.core.config import Settings
from services.runtime import http

# Obviously fake 256-bit test keys (never use these anywhere else).
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hub_server() -> Iterator[str]:
    import uvicorn
    from starlette.applications import Starlette

    from services.server.routes import EXCEPTION_HANDLERS, build_routes

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(database_url="", env="test", base_url=base, encryption_keys=None, smtp_url=None,
                        sandbox_enabled=True)
    asgi = Starlette(routes=build_routes(settings), exception_handlers=EXCEPTION_HANDLERS)   # as app.py's st.App
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("test server did not start")
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def creds_env(monkeypatch: pytest.MonkeyPatch, hub_server: str) -> str:
    monkeypatch.setenv("HUB_SANDBOX", "1")
    monkeypatch.setenv("HUB_BASE_URL", hub_server)
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", KEY_A)
    monkeypatch.delenv("HUB_ENV", raising=False)
    return hub_server


@dataclass(frozen=True)
class World:
    org_id: int
    org_name: str
    staff_id: int
    staff_email: str


@pytest.fixture
def world(session, creds_env) -> World:  # type: ignore[no-untyped-def]
    from services import demo
    from services.demand.tiers import tiers_by_slug

    demo.ensure_demo_staff(session)
    tier = next(iter(tiers_by_slug(session).values()))
    org = Organization(name="Sandbox Test Agency", tier_id=tier.id)
    session.add(org)
    session.commit()
    staff = session.scalar(select(StaffUser).where(StaffUser.email == "support@layers.example"))
    return World(org.id, org.name, staff.id, staff.email)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""


def browser() -> http.Client:
    """A plain HTTP client standing in for the staff member's browser (no redirects followed)."""
    return http.make_client()


def approve(authorize_url: str, *, account: str = "demo", decision: str = "approve") -> str:
    """Open the sandbox consent page, press the button, return the callback URL it redirects to."""
    with browser() as b:
        page = b.get(authorize_url)
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
        response = b.post(authorize_url.split("?")[0], data={**form.fields, "account": account,
                                                             "decision": decision})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def follow(callback_url: str) -> http.Response:
    with browser() as b:
        return b.get(callback_url)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
