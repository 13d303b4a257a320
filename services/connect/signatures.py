"""Verification of inbound webhook signatures (providers.md, cross-cutting table).

Every function takes the raw body bytes exactly as received, compares in constant time
(``hmac.compare_digest``) against each candidate secret (several during a rotation overlap), and
rejects timestamps outside the tolerance (5 minutes by default) in either direction.

Algorithms, as documented (checked in this session with the search tool where marked):
- HubSpot v3: base64(HMAC-SHA256(client_secret, method + uri + body + timestamp)), timestamp in
  milliseconds in X-HubSpot-Request-Timestamp; reject older than 5 minutes (changelog + validating
  requests page, V). The URI is the full URL with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B
  decoded (HubSpot's table of characters to decode; B: from memory of that page).
- Calendly: header ``Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>``, hex(HMAC-SHA256(signing
  key, t + "." + body)) (V: webhooks overview).
- Webflow: hex(HMAC-SHA256(secret, timestamp + ":" + body)) with x-webflow-timestamp in milliseconds
  (V: SDK + v1 "verifying webhook signatures" page, whose example timestamp 1663849649733 is in ms).
- Standard Webhooks: webhook-id, webhook-timestamp (unix seconds), webhook-signature with one or more
  space-separated ``v1,<base64>``; HMAC-SHA256 over "id.timestamp.body" keyed with base64-decode of the
  secret after ``whsec_`` (checked: Make, SignatureAPI and PostSyncer docs describing the spec).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

DEFAULT_TOLERANCE = 300   # seconds
_HUBSPOT_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
                   "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


class SignatureError(ValueError):
    """The delivery is not authentic or not fresh (the message says which check failed)."""


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get(name.lower())
    if not value:
        raise SignatureError(f"missing {name} header")
    return value.strip()


def _fresh(timestamp: str, *, unit: float, tolerance: int, now: float | None) -> None:
    try:
        sent = int(timestamp) / unit
    except ValueError:
        raise SignatureError("timestamp is not a number") from None
    if abs((time.time() if now is None else now) - sent) > tolerance:
        raise SignatureError("timestamp outside the tolerance (stale or replayed delivery)")


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _any_match(expected: Iterable[str], given: Iterable[str]) -> bool:
    given = list(given)
    return any(hmac.compare_digest(e.encode(), g.encode()) for e in expected for g in given)


def _secrets(secrets: str | Iterable[str]) -> list[str]:
    out = [secrets] if isinstance(secrets, str) else list(secrets)
    if not out:
        raise SignatureError("no secret to verify with")
    return out


def hubspot_uri(uri: str) -> str:
    for encoded, char in _HUBSPOT_DECODE.items():
        uri = uri.replace(encoded, char).replace(encoded.lower(), char)
    return uri


def sign_hubspot_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(_hmac(secret.encode(), message)).decode()


def verify_hubspot_v3(secrets: str | Iterable[str], *, method: str, uri: str, body: bytes,
                      headers: Mapping[str, str], tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    signature = _header(headers, "X-HubSpot-Signature-v3")
    timestamp = _header(headers, "X-HubSpot-Request-Timestamp")
    _fresh(timestamp, unit=1000, tolerance=tolerance, now=now)
    if not _any_match((sign_hubspot_v3(s, method, uri, body, timestamp) for s in _secrets(secrets)), [signature]):
        raise SignatureError("signature does not match")


def sign_calendly(secret: str, body: bytes, timestamp: str) -> str:
    return _hmac(secret.encode(), timestamp.encode() + b"." + body).hex()


def verify_calendly(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                    tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    parts: dict[str, list[str]] = {}
    for item in _header(headers, "Calendly-Webhook-Signature").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    if not parts.get("t") or not parts.get("v1"):
        raise SignatureError("Calendly-Webhook-Signature needs t= and v1=")
    timestamp = parts["t"][0]
    _fresh(timestamp, unit=1, tolerance=tolerance, now=now)
    if not _any_match((sign_calendly(s, body, timestamp) for s in _secrets(secrets)), parts["v1"]):
        raise SignatureError("signature does not match")


def sign_webflow(secret: str, body: bytes, timestamp: str) -> str:
    return _hmac(secret.encode(), timestamp.encode() + b":" + body).hex()


def verify_webflow(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                   tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    signature = _header(headers, "x-webflow-signature")
    timestamp = _header(headers, "x-webflow-timestamp")
    _fresh(timestamp, unit=1000, tolerance=tolerance, now=now)
    if not _any_match((sign_webflow(s, body, timestamp) for s in _secrets(secrets)), [signature]):
        raise SignatureError("signature does not match")


def _standard_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the secret is not a whsec_ base64 secret") from None


def sign_standard(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    message = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(_hmac(_standard_key(secret), message)).decode()


def verify_standard(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str],
                    tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    given = [s for s in _header(headers, "webhook-signature").split() if s.startswith("v1,")]
    _fresh(timestamp, unit=1, tolerance=tolerance, now=now)
    if not given or not _any_match((sign_standard(s, msg_id, timestamp, body) for s in _secrets(secrets)), given):
        raise SignatureError("signature does not match")


VERIFIERS = {"hubspot_v3": verify_hubspot_v3, "calendly": verify_calendly, "webflow": verify_webflow,
             "standard_webhooks": verify_standard}
