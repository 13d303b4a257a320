"""Stripe sandbox: the spec-driven stand-in (services/sandbox/standin.py) serving the official definition.

``stripe/spec3.yaml`` is Stripe's own OpenAPI file, API version 2023-08-16 (shared/specs/stripe/SOURCE.txt):
paths, form-encoded bodies and answers. Sources for the rest: docs.stripe.com/api/errors (error body
``{error: {type, message, code}}``, V), support.stripe.com/questions/rate-limit-error-when-creating-bulk-api-requests
(100 requests per second live, 25 in test mode, V); Stripe sends no rate-limit headers (B).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.standin import RateLimit, StandIn

SLUG = "stripe"
TYPES = {401: "invalid_request_error", 404: "invalid_request_error", 429: "invalid_request_error"}   # B: 429's


def _error(status: int, message: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": TYPES.get(status, "api_error"), "message": message}
    if status == 429:
        body["code"] = "rate_limit"                                                                # B
    return {"error": body}


STANDIN = StandIn(
    SLUG, "Stripe", "stripe/spec3.yaml", origins={"https://api.stripe.com": "/api"},
    seed={"customers": [{"id": "cus_1", "object": "customer", "email": "jane.doe@example.com",
                         "name": "Jane Doe", "created": 1767258000, "livemode": False}]},
    id_prefixes={"customers": "cus_", "payment_links": "plink_", "refunds": "re_"},     # V: id shapes (B: digits)
    overrides={"GET /v1/customers": {"kind": "list", "record_path": "data"}},            # a list object {data: [...]}
    error=_error,
    messages={"unauthorized": "Invalid API Key provided: sbx_****", "not_found": "Unrecognized request URL.",
              "rate_limit": "Request rate limit exceeded. Learn more about rate limits here "
                            "https://stripe.com/docs/rate-limits."},                        # B: wording
    rate_limit=RateLimit(25, 1.0, headers=()),                                             # V: test mode 25/s
)
SANDBOX = STANDIN.provider()
