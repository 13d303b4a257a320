"""Mailchimp sandbox: OAuth without scopes, PKCE or refresh tokens (tokens never expire), the metadata
call that names the data centre, and /3.0/ping for API-key (HTTP Basic) connections."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, basic, bearer, sandbox_account

SANDBOX_DC = "us21"
OAUTH = OAuthServer(
    provider="Mailchimp", authorize_path="/login/oauth2/authorize", token_path="/login/oauth2/token",
    access_ttl=None, refresh="none", pkce=False, client_auth="post",
    extras=lambda account, request: {"scope": None},
)


async def metadata(request: Request) -> Response:
    account = OAUTH.account_for_token(bearer(request, "OAuth"))
    if account is None:   # B: body of a refused metadata call
        return JSONResponse({"error": "invalid_token", "error_description": "Invalid token"}, status_code=401)
    return JSONResponse({"dc": SANDBOX_DC, "role": "owner", "accountname": account, "user_id": 1,
                         "login": {"email": f"{account}@sandbox.example", "login_id": 1, "login_name": account},
                         "login_url": "https://login.mailchimp.com",
                         "api_endpoint": f"https://{SANDBOX_DC}.api.mailchimp.com"})


async def ping(request: Request) -> Response:
    pair = basic(request)
    account = sandbox_account(pair[1]) if pair else OAUTH.account_for_token(bearer(request))
    if account is None:   # problem+json (V2); title/detail wording B
        return JSONResponse({"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                             "title": "API Key Invalid", "status": 401,
                             "detail": "Your API key may be invalid, or you've attempted to access the wrong "
                                       "datacenter.", "instance": str(uuid.uuid4())},
                            status_code=401, media_type="application/problem+json")
    return JSONResponse({"health_status": "Everything's Chimpy!"})


PROVIDER = SandboxProvider(
    slug="mailchimp", name="Mailchimp", oauth=OAUTH,
    origins={"https://login.mailchimp.com": "/login", "https://*.api.mailchimp.com": "/api/*"},
    api_routes=[Route("/login/oauth2/metadata", metadata, methods=["GET"]),
                Route("/api/{dc}/3.0/ping", ping, methods=["GET"])],
)
