"""Salesforce sandbox: web-server flow with PKCE; the token response carries instance_url, id,
issued_at and signature but no expires_in; sessions last 2 hours; the refresh response has no new
refresh token. The instance (``/instance``) answers the version list who-am-I call."""

from __future__ import annotations

import base64
import hashlib
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, bearer, rfc_error

_DESCRIPTIONS = {"bad_code": "invalid authorization code", "bad_refresh": "expired access/refresh token",
                 "bad_verifier": "invalid code verifier", "bad_redirect": "redirect_uri mismatch",
                 "bad_client": "invalid client credentials"}   # B: wording


def _error(reason: str, description: str) -> Response:
    response = rfc_error(reason, _DESCRIPTIONS.get(reason, description))
    if reason == "bad_client":
        response.status_code = 400
    return response


def _extras(account: str, request: Request) -> dict[str, object]:
    org = hashlib.sha256(account.encode()).hexdigest()[:12].upper()
    issued = str(int(time.time() * 1000))
    return {"instance_url": f"{request.url.scheme}://{request.url.netloc}/sandbox/salesforce/instance",
            "id": f"https://login.salesforce.com/id/00D{org}/005{org}", "issued_at": issued,
            "signature": base64.b64encode(hashlib.sha256((org + issued).encode()).digest()).decode()}


OAUTH = OAuthServer(
    provider="Salesforce", authorize_path="/login/services/oauth2/authorize",
    token_path="/login/services/oauth2/token", access_ttl=7200, refresh="reuse", refresh_returns_token=False,
    expires_in=False, pkce=True, client_auth="post", token_type="Bearer",
    revoke_path="/login/services/oauth2/revoke", extras=_extras, error=_error,
)


async def versions(request: Request) -> Response:
    if OAUTH.account_for_token(bearer(request)) is None:
        return JSONResponse([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                            status_code=401)
    return JSONResponse([{"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"}])


PROVIDER = SandboxProvider(
    slug="salesforce", name="Salesforce", oauth=OAUTH,
    origins={"https://login.salesforce.com": "/login", "https://test.salesforce.com": "/login",
             "https://*.my.salesforce.com": "/instance"},
    api_routes=[Route("/instance/services/data/", versions, methods=["GET"])],
)
