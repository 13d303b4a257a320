"""WhatsApp Business sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``whatsapp-business/business-messaging-api_v23.0.yaml`` is Meta's own OpenAPI file of the Cloud API (Graph API
v23.0, shared/specs/whatsapp-business/SOURCE.txt): paths, the message bodies and the answers. The stand-in serves
only the operations the Hub calls: in the full file ``GET /{Version}/{id}`` matches a dozen node types (business,
phone number, media, WABA...) that Graph tells apart by the id alone. Errors are Graph's ``{error: {message,
type, code, error_subcode, fbtrace_id}}`` with the definition's codes (V): 190 for a bad token (401), 100 for a
bad parameter or unknown node, 80007 when throttled (429). Meta reports limits in ``x-business-use-case-usage``,
not in standard headers, and sends no Retry-After (B).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from services.sandbox.openapi import check_request_in, load_document
from services.sandbox.schema_checks import NO_BODY, Checks, Problem, specs_dir
from services.sandbox.standin import RateLimit, StandIn

SLUG = "whatsapp-business"
FILE = "whatsapp-business/business-messaging-api_v23.0.yaml"
SERVED = ("/{Version}/{Phone-Number-ID}", "/{Version}/{Phone-Number-ID}/messages")
TRACE = "AXsgnV2Cm3ZMGF3dF_cfYIn"                     # V: the definition's example fbtrace_id
# status -> (type, code, subcode): V: definition examples (401 invalid_token, 429 business_rate_limit, 400 code 100)
CODES: dict[int, tuple[str, int, int | None]] = {
    400: ("OAuthException", 100, None), 401: ("OAuthException", 190, 463), 404: ("GraphMethodException", 100, 33),
    429: ("OAuthException", 80007, 2446079), 500: ("OAuthException", 1, None), 503: ("OAuthException", 2, None)}


def _error(status: int, message: str) -> dict[str, Any]:
    kind, code, subcode = CODES.get(status, ("OAuthException", 1, None))
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    if status in (429, 500, 503):
        body["is_transient"] = True
    return {"error": {**body, "fbtrace_id": TRACE}}


def _flatten(doc: dict[str, Any]) -> dict[str, Any]:
    """The message shapes as the API takes them. In the file each ``Message`` alternative is ``allOf``
    [BaseMessageProperties, {its own fields, additionalProperties: false}]: taken literally (JSON Schema, and
    the Hub's strict checker) the second half refuses the base fields and the first half the message's own, so
    no message could ever be valid. Each alternative here is the two halves merged into one object; nothing
    else of the definition changes."""
    schemas = copy.deepcopy(doc["components"]["schemas"])
    for ref in schemas["Message"]["oneOf"]:
        name = ref["$ref"].rsplit("/", 1)[-1]
        halves = [schemas[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p for p in schemas[name]["allOf"]]
        merged: dict[str, Any] = {"type": "object", "required": [], "properties": {}}
        for half in halves:
            merged["required"] += [r for r in half.get("required", []) if r not in merged["required"]]
            merged["properties"].update(half.get("properties", {}))
        schemas[name] = merged
    return {**doc, "components": {**doc["components"], "schemas": schemas},
            "paths": {path: doc["paths"][path] for path in SERVED}}


class _Served(StandIn):
    """The official file with only the operations the Hub uses, message shapes merged (see ``_flatten``)."""

    @cached_property
    def document(self) -> dict[str, Any]:
        return _flatten(load_document(specs_dir() / FILE))


@dataclass(frozen=True)
class _Definition(Checks):
    """The contract check of the Hub's requests: the served operations of the official file (``_flatten``)."""

    name: str = "the WhatsApp Business API definition (business-messaging-api_v23.0.yaml)"

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        return check_request_in(STANDIN.operations, method, url_or_path, body, source=self.name)


STANDIN = _Served(
    SLUG, "WhatsApp Business", FILE, origins={"https://graph.facebook.com": "/api"},
    overrides={"GET /{Version}/{Phone-Number-ID}": {"kind": "static"},            # the definition's answers
               "POST /{Version}/{Phone-Number-ID}/messages": {"kind": "static"}},
    error=_error,
    messages={"unauthorized": "Invalid OAuth access token",                                       # V
              "expired_token": "Error validating access token: Session has expired",              # V
              "not_found": "Unsupported get request. Object does not exist, cannot be loaded due to missing "
                           "permissions, or does not support this operation.",                    # B: wording
              "rate_limit": "Business request limit reached for WhatsApp Business Account",        # V
              "server_error": "An unknown error occurred", "unavailable": "Service temporarily unavailable"},  # B
    rate_limit=RateLimit(80, 1.0, headers=()),        # B: default 80 messages/s per number; no limit headers
)
SANDBOX = STANDIN.provider()
SANDBOX.spec = _Definition()
