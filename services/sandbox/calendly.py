"""Calendly sandbox: OAuth with PKCE, client authentication by HTTP Basic, 2-hour access tokens and
single-use rotating refresh tokens (reuse is ``invalid_grant``), revoke, and GET /users/me."""

from __future__ import annotations

import hashlib
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, bearer


def _uid(account: str, kind: str) -> str:
    return hashlib.sha256(f"{kind}:{account}".encode()).hexdigest()[:16].upper()


def _extras(account: str, request: Request) -> dict[str, object]:
    # B: owner/organization in the token response (user and organization URIs)
    return {"created_at": int(time.time()), "owner": f"https://api.calendly.com/users/{_uid(account, 'u')}",
            "organization": f"https://api.calendly.com/organizations/{_uid(account, 'o')}"}


OAUTH = OAuthServer(
    provider="Calendly", authorize_path="/auth/oauth/authorize", token_path="/auth/oauth/token",
    access_ttl=7200, refresh="rotate", pkce=True, client_auth="basic", token_type="Bearer",
    revoke_path="/auth/oauth/revoke", extras=_extras,
)


async def users_me(request: Request) -> Response:
    account = OAUTH.account_for_token(bearer(request))
    if account is None:   # error shape {title, message, details} is V; the wording is B
        return JSONResponse({"title": "Unauthenticated", "message": "The access token is invalid"}, status_code=401)
    return JSONResponse({"resource": {
        "uri": f"https://api.calendly.com/users/{_uid(account, 'u')}", "name": account.title(), "slug": account,
        "email": f"{account}@sandbox.example", "timezone": "UTC",
        "current_organization": f"https://api.calendly.com/organizations/{_uid(account, 'o')}"}})


PROVIDER = SandboxProvider(
    slug="calendly", name="Calendly", oauth=OAUTH,
    origins={"https://auth.calendly.com": "/auth", "https://api.calendly.com": "/api"},
    api_routes=[Route("/api/users/me", users_me, methods=["GET"])],
)
