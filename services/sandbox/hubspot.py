"""HubSpot sandbox: OAuth (v1 token endpoint, 30-minute access tokens, reusable refresh tokens, PKCE on
the token side) and the account-info who-am-I call. Token error bodies use HubSpot's status codes (B)."""

from __future__ import annotations

import hashlib
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, bearer

_STATUS = {"bad_code": "BAD_AUTH_CODE", "bad_refresh": "BAD_REFRESH_TOKEN", "bad_redirect": "BAD_REDIRECT_URI",
           "bad_verifier": "BAD_AUTH_CODE", "bad_client": "BAD_CLIENT_ID", "bad_request": "BAD_REQUEST",
           "unsupported_grant": "BAD_GRANT_TYPE"}


def portal_id(account: str) -> int:
    return int(hashlib.sha256(account.encode()).hexdigest()[:7], 16)


def _token_error(reason: str, description: str) -> Response:
    return JSONResponse({"status": _STATUS[reason], "message": description, "correlationId": str(uuid.uuid4())},
                        status_code=400)


def _unauthorized() -> Response:
    # Error schema (category, correlationId, message) is V (specs/hubspot); the wording is B.
    return JSONResponse({"status": "error", "message": "Authentication credentials not found. This API supports "
                         "OAuth 2.0 authentication and you can find more details at "
                         "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                         "correlationId": str(uuid.uuid4()), "category": "INVALID_AUTHENTICATION"}, status_code=401)


OAUTH = OAuthServer(
    provider="HubSpot", authorize_path="/app/oauth/authorize", token_path="/api/oauth/v1/token",
    access_ttl=1800, refresh="reuse", pkce=True, client_auth="post", error=_token_error,
    revoke_path="/api/oauth/v1/refresh-tokens/{token}", revoke_style="hubspot",
    extras=lambda account, request: {"hub_id": portal_id(account), "user_id": portal_id(account + "-user"),
                                     "token_use": "access_token"},
)


async def account_info(request: Request) -> Response:
    account = OAUTH.account_for_token(bearer(request))
    if account is None:
        return _unauthorized()
    return JSONResponse({"portalId": portal_id(account), "timeZone": "US/Eastern", "companyCurrency": "USD",
                         "additionalCurrencies": [], "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
                         "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"})


PROVIDER = SandboxProvider(
    slug="hubspot", name="HubSpot", oauth=OAUTH,
    origins={"https://app.hubspot.com": "/app", "https://api.hubapi.com": "/api"},
    api_routes=[Route("/api/account-info/v3/details", account_info, methods=["GET"])],
)
