"""WordPress sandbox: a self-hosted site (``/site``) checking Application Passwords over HTTP Basic, and
WordPress.com OAuth (``/wpcom``: no PKCE, no refresh, non-expiring per-blog tokens; B)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import OAuthServer, SandboxProvider, basic, bearer, sandbox_account

OAUTH = OAuthServer(
    provider="WordPress.com", authorize_path="/wpcom/oauth2/authorize", token_path="/wpcom/oauth2/token",
    access_ttl=None, refresh="none", pkce=False, client_auth="post", expires_in=False,
    extras=lambda account, request: {"blog_id": str(int(hashlib.sha256(account.encode()).hexdigest()[:6], 16)),
                                     "blog_url": f"https://{account}.wordpress.com"},
)


async def users_me(request: Request) -> Response:
    pair = basic(request)
    account = sandbox_account(pair[1]) if pair else OAUTH.account_for_token(bearer(request))
    if account is None:   # B: core's REST error for a bad application password
        return JSONResponse({"code": "incorrect_password",
                             "message": "The provided password is an invalid application password.",
                             "data": {"status": 401}}, status_code=401)
    user = pair[0] if pair else account
    return JSONResponse({"id": 1, "name": user, "slug": user, "roles": ["administrator"],
                         "email": f"{user}@sandbox.example"})


PROVIDER = SandboxProvider(
    slug="wordpress", name="WordPress", oauth=OAUTH,
    origins={"https://public-api.wordpress.com": "/wpcom"},
    api_routes=[Route("/site/wp-json/wp/v2/users/me", users_me, methods=["GET"]),
                Route("/wpcom/wp/v2/sites/{site}/users/me", users_me, methods=["GET"])],
    defaults={"site_url": "/site"},
)
