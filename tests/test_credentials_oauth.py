"""The OAuth flow end to end against the sandbox over real HTTP: consent, callback, token storage,
PKCE, forged/expired/replayed state, wrong verifier, refresh (expiry, 401, races, rotation,
invalid_grant), reconnect and revoke."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Alert, AuditEntry, Connection, OAuthState
from db.session import session_scope
from services import sandbox
from services.connect import connections as conns
from services.connect import refresh
from services.connect.oauth import start_authorization
from services.connect.outbound import Outbound
from services.connect.store import read_secrets
from services.runtime.provider_errors import ReauthRequired
from tests.credentials_support import approve, follow, query

OAUTH_TOP10 = ["hubspot", "mailchimp", "calendly", "wordpress", "webflow", "salesforce"]


def connect(session, world, slug: str, *, connection_id: int | None = None, account: str = "demo") -> Connection:
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug=slug,
                              sandbox_connection=True, connection_id=connection_id)
    session.commit()
    page = follow(approve(url, account=account))
    assert page.status_code == 200, page.text
    session.expire_all()
    return session.scalars(select(Connection).order_by(Connection.id.desc())).first()


def stats(slug: str):
    return sandbox.PROVIDERS[slug].oauth.stats


@pytest.mark.parametrize("slug", OAUTH_TOP10)
def test_oauth_flow_end_to_end_stores_sealed_tokens_and_provider_extras(session, world, slug):
    conn = connect(session, world, slug)
    assert (conn.organization_id, conn.auth_type, conn.status, conn.sandbox) == (world.org_id, "oauth2", "active",
                                                                                True)
    assert conn.created_by == world.staff_email
    tokens = read_secrets(conn)
    assert tokens["access_token"].startswith("sbx_demo.")
    assert tokens["access_token"].encode() not in conn.credential_blob
    assert conn.secret_hint == "••••" + tokens["access_token"][-4:]
    if slug == "salesforce":
        assert conn.config["instance_url"].endswith("/sandbox/salesforce/instance")
        assert conn.base_url.endswith("/sandbox/salesforce/instance/services/data/v66.0")
        assert {"id", "issued_at"} <= set(conn.provider_metadata) and conn.expires_at is None
    if slug == "mailchimp":
        assert conn.config["dc"] == "us21" and conn.provider_metadata["accountname"] == "demo"
        assert conn.base_url.endswith("/sandbox/mailchimp/api/us21/3.0") and conn.expires_at is None
    if slug == "hubspot":
        assert {"hub_id", "user_id"} <= set(conn.provider_metadata)
        assert timedelta(minutes=29) < conn.expires_at - utcnow() <= timedelta(minutes=30)
        assert tokens["refresh_token"]
    if slug == "calendly":
        assert conn.provider_metadata["owner"].startswith("https://api.calendly.com/users/")
        assert timedelta(hours=1, minutes=59) < conn.expires_at - utcnow() <= timedelta(hours=2)
    if slug in ("webflow", "mailchimp", "wordpress"):
        assert "refresh_token" not in tokens and conn.expires_at is None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.created",
                                                    AuditEntry.entity_id == str(conn.id)))
    assert entry.actor == world.staff_email and entry.after["sandbox"] is True
    outcome = conns.test_connection(conn.id, actor=world.staff_email)
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("slug, pkce", [("hubspot", True), ("calendly", True), ("salesforce", True),
                                        ("mailchimp", False), ("webflow", False)])
def test_authorize_url_has_state_exact_redirect_and_pkce_where_supported(session, world, slug, pkce):
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug=slug,
                              sandbox_connection=True)
    q = query(url)
    row = session.scalar(select(OAuthState).where(OAuthState.state == q["state"]))
    assert q["redirect_uri"] == row.redirect_uri == f"{world_base()}/api/oauth/callback"
    assert (row.staff_user_id, row.organization_id) == (world.staff_id, world.org_id)
    assert timedelta(minutes=9) < row.expires_at - utcnow() <= timedelta(minutes=10)
    assert len(q["state"]) >= 40
    assert ("code_challenge" in q) is pkce and (row.code_verifier is not None) is pkce
    if pkce:
        assert q["code_challenge_method"] == "S256" and q["code_challenge"] != row.code_verifier


def world_base() -> str:
    return Outbound().settings.base_url


def _count(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return len(session.scalars(select(Connection)).all())


def test_forged_state_is_refused(session, world):
    start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="hubspot",
                        sandbox_connection=True)
    session.commit()
    page = follow(f"{world_base()}/api/oauth/callback?code=abc&state=forged-state-value")
    assert page.status_code == 400 and "unknown OAuth state" in page.text
    assert _count(session) == 0


def test_expired_state_is_refused(session, world):
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="calendly",
                              sandbox_connection=True)
    session.commit()
    callback = approve(url)
    row = session.scalar(select(OAuthState).where(OAuthState.state == query(url)["state"]))
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = follow(callback)
    assert page.status_code == 400 and "expired" in page.text
    assert _count(session) == 0


def test_replayed_callback_is_refused_and_creates_nothing_more(session, world):
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="hubspot",
                              sandbox_connection=True)
    session.commit()
    callback = approve(url)
    assert follow(callback).status_code == 200
    again = follow(callback)
    assert again.status_code == 400 and "already completed" in again.text
    assert _count(session) == 1


def test_wrong_verifier_is_refused_by_the_provider(session, world):
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="salesforce",
                              sandbox_connection=True)
    row = session.scalar(select(OAuthState).where(OAuthState.state == query(url)["state"]))
    row.code_verifier = "x" * 64
    session.commit()
    page = follow(approve(url))
    assert page.status_code == 400 and "invalid_grant" in page.text and "invalid code verifier" in page.text
    assert _count(session) == 0


def test_denied_consent_creates_nothing(session, world):
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="webflow",
                              sandbox_connection=True)
    session.commit()
    page = follow(approve(url, decision="deny"))
    assert page.status_code == 400 and "access_denied" in page.text
    assert _count(session) == 0


def test_refresh_before_expiry_then_tokens_are_stored(session, world, db_url):
    conn = connect(session, world, "hubspot")
    old = read_secrets(conn)
    conn.expires_at = utcnow() + timedelta(minutes=2)       # inside the 5-minute buffer
    session.commit()
    before = stats("hubspot")["refreshes"]
    token = refresh.access_token(conn.id, db_url=db_url)
    assert token != old["access_token"] and stats("hubspot")["refreshes"] == before + 1
    session.expire_all()
    assert read_secrets(conn)["access_token"] == token
    assert read_secrets(conn)["refresh_token"] == old["refresh_token"]      # HubSpot does not rotate
    assert conn.expires_at - utcnow() > timedelta(minutes=29)
    assert refresh.access_token(conn.id, db_url=db_url) == token            # fresh: no second refresh
    assert stats("hubspot")["refreshes"] == before + 1


def test_rotating_refresh_token_is_stored_and_the_old_one_is_dead(session, world, db_url):
    conn = connect(session, world, "calendly")
    first = read_secrets(conn)
    conn.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    refresh.access_token(conn.id, db_url=db_url)
    session.expire_all()
    second = read_secrets(conn)
    assert second["refresh_token"] != first["refresh_token"]
    with Outbound().client() as client:      # reusing the old refresh token: invalid_grant (single use)
        reuse = client.post(Outbound().url("calendly", "https://auth.calendly.com/oauth/token",
                                           sandbox_connection=True),
                            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                            auth=("sbx_client_calendly", "sbx_secret_calendly"))
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    conn.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    refresh.access_token(conn.id, db_url=db_url)                             # the stored new one works
    session.expire_all()
    assert read_secrets(conn)["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


def test_401_refreshes_once_and_retries_the_call(session, world, db_url):
    conn = connect(session, world, "salesforce")        # no expires_in: only a 401 tells the token is dead
    sandbox.PROVIDERS["salesforce"].oauth.expire_all()
    before = stats("salesforce")["refreshes"]
    out = Outbound()
    auth = refresh.token_auth(conn.id, db_url=db_url, out=out)
    with out.client(auth=auth) as client:
        response = client.get(conn.base_url.rsplit("/v66.0", 1)[0] + "/")
    assert response.status_code == 200 and stats("salesforce")["refreshes"] == before + 1


def test_known_token_is_used_until_due_then_the_stored_one_is_refreshed(session, world, db_url):
    conn = connect(session, world, "hubspot")
    token = read_secrets(conn)["access_token"]
    before = stats("hubspot")["refreshes"]
    fresh = refresh.token_auth(conn.id, db_url=db_url, known=(token, utcnow() + timedelta(hours=1)))
    request = next(fresh.auth_flow(sandbox_request()))
    assert request.headers["Authorization"] == f"Bearer {token}" and stats("hubspot")["refreshes"] == before
    conn.expires_at = utcnow() - timedelta(seconds=1)          # due: the known token is not trusted any more
    session.commit()
    due = refresh.token_auth(conn.id, db_url=db_url, known=(token, conn.expires_at))
    request = next(due.auth_flow(sandbox_request()))
    assert stats("hubspot")["refreshes"] == before + 1
    session.expire_all()
    assert request.headers["Authorization"] == f"Bearer {read_secrets(conn)['access_token']}" != f"Bearer {token}"


def sandbox_request():
    from services.runtime import http
    return http.Request("GET", "http://127.0.0.1:9/sandbox/hubspot/account-info/v3/details")


def test_invalid_grant_marks_needs_reauth_with_an_alert(session, world, db_url):
    conn = connect(session, world, "calendly")
    tokens = read_secrets(conn)
    with Outbound().client() as client:    # the customer revoked the app at Calendly
        client.post(Outbound().url("calendly", "https://auth.calendly.com/oauth/revoke", sandbox_connection=True),
                    data={"token": tokens["refresh_token"], "client_id": "sbx_client_calendly",
                          "client_secret": "sbx_secret_calendly"})
    conn.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(ReauthRequired, match="needs to be reconnected"):
        refresh.access_token(conn.id, db_url=db_url)
    session.expire_all()
    assert conn.status == "needs_reauth" and "invalid_grant" in conn.last_error
    alert = session.scalar(select(Alert).where(Alert.connection_id == conn.id))
    assert alert.kind == "needs_reauth" and alert.cleared_at is None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.needs_reauth"))
    with pytest.raises(ReauthRequired):            # no further token requests once marked
        refresh.access_token(conn.id, db_url=db_url)
    # Reconnect: the same connection gets new tokens, becomes active, the alert is cleared.
    again = connect(session, world, "calendly", connection_id=conn.id)
    assert again.id == conn.id and again.status == "active" and _count(session) == 1
    session.refresh(alert)
    assert alert.cleared_at is not None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "connection.reconnected"))


def test_hubspot_bad_refresh_token_body_is_understood_as_invalid_grant(session, world, db_url):
    conn = connect(session, world, "hubspot")
    from services.connect.store import write_secrets
    write_secrets(conn, {**read_secrets(conn), "refresh_token": "not-a-sandbox-token"})
    conn.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(ReauthRequired, match="invalid_grant"):
        refresh.access_token(conn.id, db_url=db_url)


def test_twenty_threads_racing_cause_exactly_one_token_request(session, world, db_url):
    conn = connect(session, world, "calendly")
    conn.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    before = stats("calendly")["refreshes"]
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(refresh.access_token(conn.id, db_url=db_url))
        except BaseException as exc:   # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert stats("calendly")["refreshes"] == before + 1
    assert len(results) == 20 and len(set(results)) == 1
    session.expire_all()
    assert read_secrets(conn)["access_token"] == results[0]


def test_concurrent_401s_refresh_once(session, world, db_url):
    conn = connect(session, world, "hubspot")
    sandbox.PROVIDERS["hubspot"].oauth.expire_all()          # the provider killed the token early
    before = stats("hubspot")["refreshes"]
    stale = read_secrets(conn)["access_token"]
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(
        refresh.refresh_access_token(conn.id, stale=stale, db_url=db_url))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert stats("hubspot")["refreshes"] == before + 1 and len(set(tokens)) == 1


def test_revoke_at_the_provider_then_forget_secrets(session, world, db_url):
    conn = connect(session, world, "hubspot")
    conn_id = conn.id
    token = read_secrets(conn)["access_token"]
    before = stats("hubspot")["revocations"]
    result = conns.revoke_connection(conn.id, actor=world.staff_email, db_url=db_url)
    assert result.revoked_at_provider is True and stats("hubspot")["revocations"] == before + 1
    assert sandbox.PROVIDERS["hubspot"].oauth.account_for_token(token) is None
    session.expire_all()
    assert conn.status == "revoked" and conn.credential_blob is None and conn.secret_hint is None
    result = conns.revoke_connection(conn.id, actor=world.staff_email, delete=True, db_url=db_url)
    assert _count(session) == 0
    with session_scope(db_url) as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(conn_id)))]
    assert {"connection.created", "connection.revoked", "connection.deleted"} <= set(actions)


def test_real_provider_needs_configured_client_credentials(session, world, monkeypatch):
    from services.core.errors import InvalidInput

    monkeypatch.delenv("HUB_OAUTH_HUBSPOT_CLIENT_ID", raising=False)
    with pytest.raises(InvalidInput, match="HUB_OAUTH_HUBSPOT_CLIENT_ID"):
        start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="hubspot")
    monkeypatch.setenv("HUB_OAUTH_HUBSPOT_CLIENT_ID", "fake-client-id")
    monkeypatch.setenv("HUB_OAUTH_HUBSPOT_CLIENT_SECRET", "fake-client-secret")
    url = start_authorization(session, staff_id=world.staff_id, organization_id=world.org_id, slug="hubspot")
    assert url.startswith("https://app.hubspot.com/oauth/authorize?") and "client_id=fake-client-id" in url
    assert "scope=oauth+crm.objects.contacts.read" in url
