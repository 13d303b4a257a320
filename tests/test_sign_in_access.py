"""Roles from identity (services/people/access.py) and the sign-in plumbing app.py adds (services/server/sign_in.py)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from db.models import AuditEntry
from services import demo
from services.core.config import load_settings
from services.people import access
from services.people.staff import save_staff
from services.sandbox import oidc
from services.server import sign_in

DOMAINS = ("layers.example",)


@pytest.fixture
def staffed(session):
    demo.ensure_demo_staff(session)
    session.commit()
    return session


def test_a_verified_staff_email_maps_to_its_role_case_insensitively(staffed):
    got = access.check(staffed, "PM@Layers.Example", email_verified=True, staff_domains=DOMAINS)
    assert got.allowed and got.staff.role == "pm"
    assert access.check(staffed, "pm@layers.example", email_verified=None, staff_domains=DOMAINS).allowed


@pytest.mark.parametrize(("email", "verified", "reason"), [
    (None, True, "no_email"),
    ("pm@layers.example", False, "unverified"),
    ("new.person@layers.example", True, "no_role"),
    ("pm@elsewhere.example", True, "other_domain"),
])
def test_identities_without_access_get_a_reason_and_an_ask_an_admin_message(staffed, email, verified, reason):
    got = access.check(staffed, email, email_verified=verified, staff_domains=DOMAINS)
    assert not got.allowed and got.reason == reason
    assert "admin" in got.message


def test_a_deactivated_member_is_refused_and_an_admin_added_outsider_is_allowed(staffed):
    save_staff(staffed, actor="admin@layers.example", email="support@layers.example", name="Sam Okafor",
               role="support", active=False)
    save_staff(staffed, actor="admin@layers.example", email="contractor@agency.example", name="Con Tractor",
               role="engineer")
    staffed.commit()
    assert access.check(staffed, "support@layers.example", email_verified=True, staff_domains=DOMAINS).reason \
        == "inactive"
    outsider = access.check(staffed, "contractor@agency.example", email_verified=True, staff_domains=DOMAINS)
    assert outsider.allowed and outsider.staff.role == "engineer"


def test_a_refusal_is_audited(staffed):
    got = access.check(staffed, "stranger@elsewhere.example", email_verified=True, staff_domains=DOMAINS)
    access.record_refusal(staffed, got)
    staffed.commit()
    entry = staffed.scalar(select(AuditEntry).where(AuditEntry.action == "sign_in.refused"))
    assert entry.actor == "stranger@elsewhere.example"
    assert entry.after == {"email": "stranger@elsewhere.example", "reason": "other_domain"}


def test_staff_domains_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HUB_STAFF_DOMAINS", "Layers.example, @layers.co")
    assert load_settings().staff_domains == ("layers.example", "layers.co")


def test_the_sandbox_auth_block_is_offered_only_with_the_sandbox_in_development(tmp_path, monkeypatch):
    monkeypatch.setattr(sign_in, "COOKIE_SECRET_PATH", tmp_path / "dev-cookie-secret")
    base = dataclasses.replace(load_settings(), base_url="http://127.0.0.1:8613", env="development")
    assert sign_in.auth_secrets(dataclasses.replace(base, sandbox_enabled=False)) is None
    assert sign_in.auth_secrets(dataclasses.replace(base, sandbox_enabled=True, env="production")) is None
    block = sign_in.auth_secrets(dataclasses.replace(base, sandbox_enabled=True))["auth"]
    assert block["redirect_uri"] == "http://127.0.0.1:8613/oauth2callback"
    assert block["server_metadata_url"] == oidc.metadata_url("http://127.0.0.1:8613")
    assert block["client_id"] == oidc.CLIENT_ID and len(block["cookie_secret"]) >= 48
    again = sign_in.auth_secrets(dataclasses.replace(base, sandbox_enabled=True))["auth"]
    assert again["cookie_secret"] == block["cookie_secret"]   # kept on disk: a restart keeps people signed in
    assert (tmp_path / "dev-cookie-secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("value", "ok"), [
    ("/priorities", True), ("/tracker?item=5", True), ("/", False), ("//evil.example/x", False),
    ("/auth/login", False), ("/oauth2callback", False), ("/sandbox/oidc/authorize", False),
    ("/_stcore/health", False), ("https://evil.example/", False), ("/a b", False), ("", False), (None, False),
])
def test_only_hub_page_paths_are_remembered(value, ok):
    assert (sign_in.safe_page(value) is not None) is ok


def test_the_page_comes_from_a_same_origin_referer_only():
    assert sign_in.page_from_referer("http://127.0.0.1:8613/priorities", "127.0.0.1:8613") == "/priorities"
    assert sign_in.page_from_referer("http://evil.example/priorities", "127.0.0.1:8613") is None
    assert sign_in.page_from_referer(None, "127.0.0.1:8613") is None


def _fake_streamlit() -> Starlette:
    """Streamlit's two auth routes as far as the middleware sees them."""
    async def login(request):  # type: ignore[no-untyped-def]
        return RedirectResponse("http://idp.example/authorize", status_code=302)

    async def callback(request):  # type: ignore[no-untyped-def]
        response = RedirectResponse("/", status_code=302)
        if request.query_params.get("ok"):
            response.set_cookie("_streamlit_user", "signed-value", httponly=True)
        return response

    async def page(request):  # type: ignore[no-untyped-def]
        return Response("page")

    app = Starlette(routes=[Route("/auth/login", login), Route("/oauth2callback", callback), Route("/x", page)])
    app.add_middleware(sign_in.DeepLinkMiddleware)
    return app


def test_the_deep_link_survives_the_sign_in_round_trip():
    with TestClient(_fake_streamlit(), base_url="http://127.0.0.1:8613", follow_redirects=False) as client:
        start = client.get("/auth/login", headers={"Referer": "http://127.0.0.1:8613/priorities"})
        assert start.headers["location"] == "http://idp.example/authorize"
        assert "hub_next=/priorities" in start.headers["set-cookie"] and "HttpOnly" in start.headers["set-cookie"]
        failed = client.get("/oauth2callback")             # no identity cookie set: stays on "/"
        assert failed.headers["location"] == "/"
        client.cookies.set("hub_next", "/priorities")
        done = client.get("/oauth2callback?ok=1")
        assert done.headers["location"] == "/priorities"
        assert any(h.startswith("hub_next=;") and "Max-Age=0" in h for h in done.headers.get_list("set-cookie"))
        client.cookies.set("hub_next", "//evil.example/")
        assert client.get("/oauth2callback?ok=1").headers["location"] == "/"
        assert client.get("/x").text == "page"
