"""Stripe's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): its signature and the events the triggers use.

- **Signature** (V: Stripe's own libraries, stripe-ruby ``Stripe::Webhook::Signature.compute_signature`` =
  hex HMAC-SHA256(endpoint secret, "<t>.<payload>"), scheme ``v1``; stripe-java ``Webhook.Signature.verifyHeader``
  with a tolerance): header ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>][,v0=<hex>]``. Any ``v1``
  matching any live secret passes (several ``v1`` while Stripe rolls an endpoint secret; ``v0`` is the test-mode
  legacy scheme and is ignored). The timestamp must be within 300 s of now (B: the libraries' default
  tolerance), so an old delivery replayed with its own signature is refused. The secret is the endpoint's signing
  secret (``whsec_...``, Dashboard > Webhooks), stored as the connection's webhook secret and used as-is (prefix
  included) as the HMAC key.
- **Deliveries**: one Event per request, ``{id: evt_..., object: event, type, created, data: {object}}`` (V:
  shared/specs/stripe/spec3.yaml ``event`` schema); ``id`` is the event id, so a retried delivery of the same event
  is stored and handled once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.connect.signatures import DEFAULT_TOLERANCE, sign_timestamped, verify_timestamped
from services.webhooks.hooks import Event, Mapped, SignatureScheme, WebhookHooks
from services.webhooks.triggers import as_dict, text

SCHEME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
TRIGGERS = {"payment_intent.succeeded": "payment_succeeded", "customer.created": "customer_created"}
FIELDS = {   # trigger -> output -> key of data.object
    "payment_succeeded": ("id", "amount", "amount_received", "currency", "customer", "status", "description",
                          "receipt_email", "created"),
    "customer_created": ("id", "email", "name", "phone", "description", "created"),
}


def sign_stripe(secret: str, body: bytes, timestamp: str) -> str:
    return sign_timestamped(secret, body, timestamp)


def verify_stripe(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                 tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    verify_timestamped(secrets, body=body, headers=headers, header_name=SIGNATURE_HEADER, tolerance=tolerance, now=now)


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    verify_stripe(secrets, body=body, headers=headers, now=now)


def split(payload: Any, headers: Mapping[str, str]) -> list[Event]:
    """One Event per delivery: (its type, its evt_ id, the event)."""
    event = as_dict(payload)
    return [(text(event.get("type")), text(event.get("id")), payload)]


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    key = TRIGGERS.get(event_type or "")
    if key is None:
        return None
    obj = as_dict(as_dict(as_dict(item).get("data")).get("object"))
    out = {name: obj.get(name) for name in FIELDS[key]}
    out["event_id"] = as_dict(item).get("id")
    return key, out


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="Stripe's signature (HMAC-SHA256, Stripe-Signature t=,v1=)",
                                     verify=_verify)},
    split=split,
    map_event=map_event,
)
