"""ActiveCampaign sandbox: the account API (``/account``) with ``Api-Token`` and GET /api/3/users/me."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.common import SandboxProvider, sandbox_account


async def users_me(request: Request) -> Response:
    account = sandbox_account(request.headers.get("api-token"))
    if account is None:   # V2: 403 {"message": ...}; wording B
        return JSONResponse({"message": "No Result found for User with id 0"}, status_code=403)
    return JSONResponse({"user": {"id": "1", "username": account, "firstName": account.title(),
                                  "email": f"{account}@sandbox.example"}})


PROVIDER = SandboxProvider(
    slug="activecampaign", name="ActiveCampaign",
    origins={"https://*.api-us1.com": "/account"},
    api_routes=[Route("/account/api/3/users/me", users_me, methods=["GET"])],
    defaults={"account_url": "/account"},
)
