"""HubSpot's connection quirks (services/connect/hooks.py).

HubSpot's token endpoint answers errors as ``{"status": "BAD_REFRESH_TOKEN", "message": ...,
"correlationId": ...}`` rather than RFC 6749 ``{"error": "invalid_grant"}`` (B: from memory; the v1 OAuth spec
in shared/specs/hubspot only says "default: Error"). We translate them so authlib raises ``invalid_grant``
like every other provider.
"""

from __future__ import annotations

from typing import Any

from services.connect.hooks import ConnectHooks, JsonResponse, TokenHook

# HubSpot token error statuses (B) -> RFC 6749 error codes.
_ERRORS = {"BAD_REFRESH_TOKEN": "invalid_grant", "BAD_AUTH_CODE": "invalid_grant",
           "BAD_REDIRECT_URI": "invalid_grant", "BAD_CLIENT_ID": "invalid_client",
           "BAD_CLIENT_SECRET": "invalid_client", "BAD_GRANT_TYPE": "unsupported_grant_type"}


def token_errors(response: Any) -> Any:
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        return response
    if isinstance(body, dict) and "error" not in body and body.get("status") in _ERRORS:
        body = {**body, "error": _ERRORS[body["status"]], "error_description": body.get("message", "")}
        return JsonResponse(response, body)
    return response


CONNECT = ConnectHooks(token=TokenHook(normalize=token_errors))
