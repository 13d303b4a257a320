"""The sandbox behaves like the providers where the Hub relies on it: the sbx_ rule, registered
(loopback) redirects, single-use short-lived codes, lifetimes, and revocation of a replayed code's tokens."""

from __future__ import annotations

import pytest

from services import sandbox
from services.runtime import http
from services.sandbox.common import sandbox_account
from tests.credentials_support import approve, browser, query

REDIRECT = "http://127.0.0.1:9/api/oauth/callback"


@pytest.mark.parametrize("credential, account", [("sbx_acme", "acme"), ("sbx_acme.Zx81-_", "acme"),
                                                 ("sbx_Big Co", "big-co"), ("sbx_", "default"),
                                                 ("acme", None), ("", None), (None, None), ("SBX_acme", None)])
def test_the_sandbox_credential_rule(credential, account):
    assert sandbox_account(credential) == account


def authorize_url(base: str, slug: str, path: str, **extra: str) -> str:
    from urllib.parse import urlencode

    params = {"response_type": "code", "client_id": f"sbx_client_{slug}", "redirect_uri": REDIRECT,
              "state": "s1", **extra}
    return f"{base}/sandbox/{slug}{path}?{urlencode(params)}"


def token(base: str, slug: str, path: str, **form: str) -> http.Response:
    with browser() as b:
        return b.post(f"{base}/sandbox/{slug}{path}", data={"client_id": f"sbx_client_{slug}",
                                                             "client_secret": f"sbx_secret_{slug}", **form})


def test_only_loopback_redirects_are_registered(creds_env):
    with browser() as b:
        page = b.get(authorize_url(creds_env, "hubspot", "/app/oauth/authorize",
                                   redirect_uri="https://attacker.example/cb"))
    assert page.status_code == 400 and "not registered" in page.text
    with browser() as b:
        page = b.get(authorize_url(creds_env, "hubspot", "/app/oauth/authorize", client_id="real-client"))
    assert page.status_code == 400 and "not a sandbox client" in page.text


def test_codes_are_single_use_and_a_replay_revokes_what_they_issued(creds_env):
    code = query(approve(authorize_url(creds_env, "hubspot", "/app/oauth/authorize")))["code"]
    first = token(creds_env, "hubspot", "/api/oauth/v1/token", grant_type="authorization_code", code=code,
                  redirect_uri=REDIRECT)
    assert first.status_code == 200 and first.json()["expires_in"] == 1800
    access = first.json()["access_token"]
    assert sandbox.PROVIDERS["hubspot"].oauth.account_for_token(access) == "demo"
    again = token(creds_env, "hubspot", "/api/oauth/v1/token", grant_type="authorization_code", code=code,
                  redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["status"] == "BAD_AUTH_CODE"   # HubSpot's body shape
    assert sandbox.PROVIDERS["hubspot"].oauth.account_for_token(access) is None


def test_expired_codes_and_wrong_redirect_are_refused(creds_env):
    oauth = sandbox.PROVIDERS["calendly"].oauth
    code = query(approve(authorize_url(creds_env, "calendly", "/auth/oauth/authorize")))["code"]
    oauth._codes[code]["expires"] = oauth.now() - 1          # 10 minutes have passed
    with browser() as b:
        expired = b.post(f"{creds_env}/sandbox/calendly/auth/oauth/token",
                         data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                         auth=("sbx_client_calendly", "sbx_secret_calendly"))
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    code = query(approve(authorize_url(creds_env, "salesforce", "/login/services/oauth2/authorize")))["code"]
    wrong = token(creds_env, "salesforce", "/login/services/oauth2/token", grant_type="authorization_code",
                  code=code, redirect_uri=REDIRECT + "x")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_client_authentication_is_required(creds_env):
    with browser() as b:
        response = b.post(f"{creds_env}/sandbox/calendly/auth/oauth/token",
                          data={"grant_type": "refresh_token", "refresh_token": "sbx_x.r"},
                          auth=("not-a-client", "nope"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
