"""The sandbox identity provider (services/sandbox/oidc.py) refuses what a real OIDC provider refuses.

Driven over HTTP with Starlette's TestClient; the happy path in a browser with st.login is
tests/test_sign_in_browser.py."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from services.sandbox import oidc

BASE = "http://testserver"
REDIRECT = BASE + "/oauth2callback"
ROOT = "/sandbox/oidc"


class Clock:
    def __init__(self) -> None:
        self.t = 1_900_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idp(clock):
    return oidc.IdentityProvider(BASE, (("pm@layers.example", "Priya Patel"),), now=clock)


@pytest.fixture
def client(idp):
    app = Starlette(routes=[Mount("/sandbox", routes=[Mount(oidc.PATH, routes=idp.routes())])])
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        yield c


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_params(challenge: str, **over: str) -> dict[str, str]:
    return {"client_id": oidc.CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
            "scope": "openid email profile", "state": "st-1", "nonce": "n-123", "code_challenge": challenge,
            "code_challenge_method": "S256", **over}


def get_code(client, challenge: str, email: str = "pm@layers.example", **over: str) -> str:
    resp = client.post(f"{ROOT}/authorize", data={**auth_params(challenge, **over), "email": email})
    assert resp.status_code == 302, resp.text
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(client, code: str, verifier: str, *, secret: str = oidc.CLIENT_SECRET, redirect: str = REDIRECT):
    return client.post(f"{ROOT}/token", auth=(oidc.CLIENT_ID, secret),
                       data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                             "code_verifier": verifier})


def test_discovery_names_every_endpoint_on_this_server(client):
    meta = client.get(f"{ROOT}/.well-known/openid-configuration").json()
    assert meta["issuer"] == oidc.issuer(BASE) == BASE + ROOT
    for key, path in [("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"),
                      ("userinfo_endpoint", "/userinfo"), ("jwks_uri", "/jwks")]:
        assert meta[key] == BASE + ROOT + path
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert oidc.auth_section(BASE, "c")["server_metadata_url"] == BASE + ROOT + "/.well-known/openid-configuration"


def test_the_authorize_page_lists_the_directory_and_takes_a_typed_email(client):
    _, challenge = pkce()
    page = client.get(f"{ROOT}/authorize", params=auth_params(challenge))
    assert page.status_code == 200
    assert 'data-email="pm@layers.example"' in page.text and "SANDBOX IDENTITY PROVIDER" in page.text
    typed = client.post(f"{ROOT}/authorize", data={**auth_params(challenge), "decision": "typed",
                                                   "typed_email": "Someone@Elsewhere.example"})
    assert typed.status_code == 302 and "code=" in typed.headers["location"]
    bad = client.post(f"{ROOT}/authorize", data={**auth_params(challenge), "decision": "typed",
                                                 "typed_email": "not an email"})
    assert bad.status_code == 200 and "is not an email address" in bad.text


def test_a_code_becomes_an_rs256_id_token_with_the_nonce_that_verifies_against_the_jwks(client, clock):
    verifier, challenge = pkce()
    resp = exchange(client, get_code(client, challenge), verifier)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    keys = KeySet.import_key_set(client.get(f"{ROOT}/jwks").json())
    token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["kid"] == keys.keys[0].kid
    claims = token.claims
    assert claims["iss"] == BASE + ROOT and claims["aud"] == oidc.CLIENT_ID and claims["nonce"] == "n-123"
    assert claims["email"] == "pm@layers.example" and claims["email_verified"] is True
    assert claims["name"] == "Priya Patel" and claims["exp"] == int(clock.t) + 3600
    info = client.get(f"{ROOT}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["email"] == "pm@layers.example"


def test_a_token_signed_by_another_key_does_not_verify(client, idp):
    verifier, challenge = pkce()
    id_token = exchange(client, get_code(client, challenge), verifier).json()["id_token"]
    other = oidc.IdentityProvider(BASE)
    with pytest.raises(Exception):   # noqa: B017  (joserfc raises BadSignatureError)
        jwt.decode(id_token, KeySet.import_key_set({"keys": [other.public_jwk()]}), algorithms=["RS256"])


@pytest.mark.parametrize("how", ["basic", "post"])
def test_a_wrong_client_secret_is_invalid_client(client, how):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    if how == "basic":
        resp = client.post(f"{ROOT}/token", auth=(oidc.CLIENT_ID, "sbx_wrong"), data=form)
        assert resp.headers["www-authenticate"].startswith("Basic")
    else:
        resp = client.post(f"{ROOT}/token", data={**form, "client_id": oidc.CLIENT_ID, "client_secret": "wrong"})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert exchange(client, code, verifier).status_code == 200   # the code was not spent by the failed attempt


def test_an_unregistered_redirect_uri_or_client_gets_an_error_page_not_a_redirect(client):
    _, challenge = pkce()
    for over in ({"redirect_uri": "http://evil.example/oauth2callback"},
                 {"redirect_uri": BASE + "/oauth2callback/other"}, {"client_id": "sbx_someone-else"}):
        resp = client.get(f"{ROOT}/authorize", params=auth_params(challenge, **over))
        assert resp.status_code == 400 and "location" not in resp.headers
        resp = client.post(f"{ROOT}/authorize", data={**auth_params(challenge, **over), "email": "pm@layers.example"})
        assert resp.status_code == 400 and "location" not in resp.headers


def test_the_token_redirect_uri_must_match_the_authorization_request(client):
    verifier, challenge = pkce()
    resp = exchange(client, get_code(client, challenge), verifier, redirect=BASE + "/elsewhere")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_its_access_token(client):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    first = exchange(client, code, verifier)
    assert first.status_code == 200
    again = exchange(client, code, verifier)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "The authorization code was already used."}
    info = client.get(f"{ROOT}/userinfo", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert info.status_code == 401 and 'error="invalid_token"' in info.headers["www-authenticate"]


def test_an_expired_code_is_refused(client, clock, idp):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    clock.t += idp.code_ttl + 1
    resp = exchange(client, code, verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant" and "expired" in resp.text


def test_pkce_is_required_and_checked(client):
    verifier, challenge = pkce()
    resp = exchange(client, get_code(client, challenge), "a-different-verifier-" + verifier[:30])
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant" and "code_verifier" in resp.text
    resp = exchange(client, get_code(client, challenge), "")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    for over in ({"code_challenge": ""}, {"code_challenge_method": "plain"}):
        resp = client.get(f"{ROOT}/authorize", params=auth_params(challenge, **over))
        assert resp.status_code == 302
        assert parse_qs(urlsplit(resp.headers["location"]).query)["error"] == ["invalid_request"]


def test_other_refusals_follow_rfc_6749(client):
    verifier, challenge = pkce()
    resp = client.get(f"{ROOT}/authorize", params=auth_params(challenge, response_type="token"))
    assert parse_qs(urlsplit(resp.headers["location"]).query)["error"] == ["unsupported_response_type"]
    resp = client.get(f"{ROOT}/authorize", params=auth_params(challenge, scope="email"))
    assert parse_qs(urlsplit(resp.headers["location"]).query)["error"] == ["invalid_scope"]
    resp = client.post(f"{ROOT}/authorize", data={**auth_params(challenge), "decision": "cancel"})
    assert parse_qs(urlsplit(resp.headers["location"]).query) == {"error": ["access_denied"], "state": ["st-1"]}
    resp = client.post(f"{ROOT}/token", auth=(oidc.CLIENT_ID, oidc.CLIENT_SECRET),
                       data={"grant_type": "client_credentials"})
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    resp = exchange(client, "no-such-code", verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert client.get(f"{ROOT}/userinfo").status_code == 401


def test_an_unverified_email_is_flagged_in_the_id_token(client):
    verifier, challenge = pkce()
    resp = client.post(f"{ROOT}/authorize", data={**auth_params(challenge), "decision": "typed",
                                                  "typed_email": "new@layers.example", "unverified": "1"})
    code = parse_qs(urlsplit(resp.headers["location"]).query)["code"][0]
    body = exchange(client, code, verifier).json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(client.get(f"{ROOT}/jwks").json())).claims
    assert claims["email"] == "new@layers.example" and claims["email_verified"] is False
