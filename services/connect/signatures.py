"""Verification of inbound webhook signatures: the building blocks and the generic Standard Webhooks scheme.

Every verifier takes the raw body bytes exactly as received, compares in constant time
(``hmac.compare_digest``) against each candidate secret (several during a rotation overlap), and
rejects timestamps outside the tolerance (5 minutes by default) in either direction.

A provider's own scheme (HubSpot v3, Calendly, Webflow) lives in its folder's ``webhooks.py``
(services/providers/<slug>/), built from the helpers here (``header``, ``fresh``, ``hmac_sha256``,
``any_match``, ``secret_list``) and registered as a ``SignatureScheme`` (services/webhooks/hooks.py).
The other generic schemes, shared_header and url_secret, are plain comparisons in services/webhooks/inbound.py.

- Standard Webhooks: webhook-id, webhook-timestamp (unix seconds), webhook-signature with one or more
  space-separated ``v1,<base64>``; HMAC-SHA256 over "id.timestamp.body" keyed with base64-decode of the
  secret after ``whsec_`` (checked: Make, SignatureAPI and PostSyncer docs describing the spec).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping

DEFAULT_TOLERANCE = 300   # seconds
_TIMESTAMP = re.compile(r"[0-9]{1,20}")   # unix seconds or milliseconds


class SignatureError(ValueError):
    """The delivery is not authentic or not fresh (the message says which check failed)."""


def header(headers: Mapping[str, str], name: str) -> str:
    """The header's value (case-insensitive name), stripped; SignatureError when missing or empty."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get(name.lower())
    if not value:
        raise SignatureError(f"missing {name} header")
    return value.strip()


def fresh(timestamp: str, *, unit: float, tolerance: int, now: float | None) -> None:
    """Raise unless ``timestamp`` (in 1/``unit`` seconds) is within ``tolerance`` seconds of now.

    Only up to 20 ASCII digits are a timestamp: ``int()`` also takes ``1_000``, Unicode digits and 4,300 digits,
    and a 400-digit one overflows the division (OverflowError, a 500 before the signature check)."""
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("timestamp is not a number")
    sent = int(timestamp) / unit
    if abs((time.time() if now is None else now) - sent) > tolerance:
        raise SignatureError("timestamp outside the tolerance (stale or replayed delivery)")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def any_match(expected: Iterable[str], given: Iterable[str]) -> bool:
    """Whether any expected signature equals any given one (constant-time comparisons)."""
    given = list(given)
    return any(hmac.compare_digest(e.encode(), g.encode()) for e in expected for g in given)


def secret_list(secrets: str | Iterable[str]) -> list[str]:
    """One secret or several (a rotation overlap) as a list; SignatureError when there is none."""
    out = [secrets] if isinstance(secrets, str) else list(secrets)
    if not out:
        raise SignatureError("no secret to verify with")
    return out


def _standard_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the secret is not a whsec_ base64 secret") from None


def sign_standard(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    message = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac_sha256(_standard_key(secret), message)).decode()


def verify_standard(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                    tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    msg_id = header(headers, "webhook-id")
    timestamp = header(headers, "webhook-timestamp")
    given = [s for s in header(headers, "webhook-signature").split() if s.startswith("v1,")]
    fresh(timestamp, unit=1, tolerance=tolerance, now=now)
    if not given or not any_match((sign_standard(s, msg_id, timestamp, body) for s in secret_list(secrets)), given):
        raise SignatureError("signature does not match")


# The "t=<unix seconds>,v1=<hex>" header scheme Stripe introduced and Calendly copied: hex HMAC-SHA256(secret,
# "<t>.<body>"), any v1 may match (several while a secret rolls), other keys (Stripe's v0) are ignored.
def sign_timestamped(secret: str, body: bytes, timestamp: str) -> str:
    return hmac_sha256(secret.encode(), timestamp.encode() + b"." + body).hex()


def verify_timestamped(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str], header_name: str,
                       tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    parts: dict[str, list[str]] = {}
    for item in header(headers, header_name).split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    if not parts.get("t") or not parts.get("v1"):
        raise SignatureError(f"{header_name} needs t= and v1=")
    timestamp = parts["t"][0]
    fresh(timestamp, unit=1, tolerance=tolerance, now=now)
    if not any_match((sign_timestamped(s, body, timestamp) for s in secret_list(secrets)), parts["v1"]):
        raise SignatureError("signature does not match")
