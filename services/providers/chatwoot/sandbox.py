"""Chatwoot sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``chatwoot/application_swagger.json`` is Chatwoot's own OpenAPI file of the Application API
(shared/specs/chatwoot/SOURCE.txt). Departures, each from Chatwoot's source (read through code search):
creating a contact answers ``{payload: {contact, contact_inbox}}`` (create.json.jbuilder), not the definition's
flat contact; a bad token is 401 ``{"error": "Invalid Access Token"}`` (authenticate_access_token!); other errors
are ``{"error": message}`` too (B). Limits: rack-attack, 3,000 requests a minute per IP by default on
self-hosted installations, answered 429 without limit headers (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.standin import Endpoint, RateLimit, StandIn

SLUG = "chatwoot"
ACCOUNT = "/api/v1/accounts/{account_id}"
CREATED_CONTACT = "payload.contact"


class _Chatwoot(StandIn):
    """The stand-in, answering a created contact the way Chatwoot does (see the module's docstring)."""

    def _envelope(self, ep: Endpoint, payload: Any) -> Any:
        if ep.record_path != CREATED_CONTACT:
            return super()._envelope(ep, payload)
        inbox = {"id": payload.get("inbox_id"), "channel_type": "Channel::Api"}      # B: the inbox's fields
        return {"payload": {"contact": payload, "contact_inbox": {"inbox": inbox, "source_id": f"sbx-{payload['id']}"}}}


def _error(status: int, message: str) -> dict[str, Any]:
    return {"error": message}


STANDIN = _Chatwoot(
    SLUG, "Chatwoot", "chatwoot/application_swagger.json", origins={"https://app.chatwoot.com": "/api"},
    defaults={"instance_url": "/api"},          # a sandbox connection's Chatwoot URL: the stand-in itself
    seed={"conversations": [{"id": 1, "account_id": 1, "inbox_id": 1, "status": "open", "unread_count": 1}]},
    overrides={f"POST {ACCOUNT}/contacts": {"record_path": CREATED_CONTACT},
               f"GET {ACCOUNT}/conversations": {"kind": "list", "record_path": "data.payload"}},
    error=_error,
    messages={"unauthorized": "Invalid Access Token", "not_found": "Resource could not be found",
              "rate_limit": "Retry later", "server_error": "Internal server error"},        # B: all but 401
    rate_limit=RateLimit(3000, 60.0, headers=()),
)
SANDBOX = STANDIN.provider()
