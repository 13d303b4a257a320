"""Webflow sandbox: OAuth with a JSON token request, no PKCE and no refresh token (tokens stay valid
until revoked), and GET /v2/token/introspect (body and 401 from the SDK's Fern definition)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, bearer

OAUTH = OAuthServer(
    provider="Webflow", authorize_path="/app/oauth/authorize", token_path="/api/oauth/access_token",
    access_ttl=None, refresh="none", pkce=False, client_auth="json", expires_in=False,
)


async def introspect(request: Request) -> Response:
    account = OAUTH.account_for_token(bearer(request))
    if account is None:
        return JSONResponse({"code": "not_authorized", "message": "Request not authorized"}, status_code=401)
    return JSONResponse({"authorization": {"id": "55818d58616600637b9a5786", "grantType": "authorization_code",
                                           "rateLimit": 60, "scope": "cms:read,cms:write,sites:write",
                                           "authorizedTo": {"siteIds": ["62f3b1f7eafac55d0c64ef91"],
                                                            "workspaceIds": [], "userIds": []}},
                         "application": {"id": "55131cd036c09f7d07883dfc", "displayName": f"sandbox {account}"}})


PROVIDER = SandboxProvider(
    slug="webflow", name="Webflow", oauth=OAUTH,
    origins={"https://webflow.com": "/app", "https://api.webflow.com": "/api"},
    api_routes=[Route("/api/v2/token/introspect", introspect, methods=["GET"])],
)
