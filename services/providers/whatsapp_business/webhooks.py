"""WhatsApp Business's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): Meta's verification GET, its
signature, and incoming messages.

- **Verification** (V: developers.facebook.com .../whatsapp/webhooks/create-webhook-endpoint and
  graph-api/webhooks getting started): saving the callback URL makes Meta send ``GET <url>?hub.mode=subscribe
  &hub.challenge=<random>&hub.verify_token=<the string you chose>``; the endpoint answers the challenge as plain text
  (200) when the token matches, else 403. The token is the connection's ``verify_token`` field (secret).
- **Signature** (V: same pages): every POST carries ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
  payload keyed with the app's App Secret>``. The App Secret is the connection's webhook secret (set it with the
  App Secret's value; a rotation overlap keeps the previous one valid). The scheme has no timestamp: a replayed
  delivery is caught by its message id (wamid), which Meta keeps across retries (B).
- **Deliveries**: ``{object: whatsapp_business_account, entry: [{id: <WABA id>, changes: [{field: messages,
  value: {metadata: {phone_number_id}, contacts: [{profile: {name}, wa_id}], messages: [...], statuses: [...]}}]}]}``
  (V: the webhook payload reference's shape, B: every field's presence). One event per message (its wamid the
  event id); status updates are stored as ``statuses`` events and not mapped.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from services.connect.signatures import SignatureError, any_match, header, secret_list
from services.providers.whatsapp_business import SLUG
from services.webhooks.hooks import Event, Mapped, SignatureScheme, WebhookHooks
from services.webhooks.triggers import as_dict, outputs, text

SCHEME = "meta_sha256"
SIGNATURE_HEADER = "X-Hub-Signature-256"
VERIFY_TOKEN_FIELD = "verify_token"


def sign(secret: str, body: bytes) -> str:
    """The header value Meta sends: ``sha256=`` + hex HMAC-SHA256(app secret, raw body)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    given = header(headers, SIGNATURE_HEADER)
    if not given.startswith("sha256="):
        raise SignatureError(f"{SIGNATURE_HEADER} must start with sha256=")
    if not any_match((sign(s, body) for s in secret_list(secrets)), [given.lower()]):
        raise SignatureError("signature does not match")


def verify_get(query: Mapping[str, str], fields: Mapping[str, Any]) -> str | None:
    """The challenge to echo when ``hub.mode`` is subscribe and ``hub.verify_token`` is the connection's token."""
    token = str(fields.get(VERIFY_TOKEN_FIELD) or "")
    given = str(query.get("hub.verify_token") or "")
    challenge = query.get("hub.challenge")
    if query.get("hub.mode") != "subscribe" or not token or challenge is None:
        return None
    return challenge if hmac.compare_digest(token.encode(), given.encode()) else None


def split(payload: Any, headers: Mapping[str, str]) -> list[Event]:
    """One event per message (id: its wamid) and per status update (id: wamid + status)."""
    events: list[Event] = []
    for entry in as_dict(payload).get("entry") or []:
        for change in as_dict(entry).get("changes") or []:
            value = as_dict(as_dict(change).get("value"))
            common = {"waba_id": as_dict(entry).get("id"), "metadata": as_dict(value.get("metadata")),
                      "contacts": value.get("contacts") or []}
            for message in value.get("messages") or []:
                events.append(("messages", text(as_dict(message).get("id")), {**common, "message": message}))
            for status in value.get("statuses") or []:
                status = as_dict(status)
                ident = f"{status.get('id')}:{status.get('status')}" if status.get("id") else None
                events.append(("statuses", text(ident), {**common, "status": status}))
    return events or [(None, None, payload)]


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    if event_type != "messages":
        return None
    message = as_dict(as_dict(item).get("message"))
    contacts = [as_dict(c) for c in as_dict(item).get("contacts") or []]
    sender = next((c for c in contacts if c.get("wa_id") == message.get("from")), contacts[0] if contacts else {})
    found = {"message_id": message.get("id"), "from": message.get("from"),
             "name": as_dict(sender.get("profile")).get("name"), "type": message.get("type"),
             "text": as_dict(message.get("text")).get("body"), "timestamp": message.get("timestamp"),
             "phone_number_id": as_dict(as_dict(item).get("metadata")).get("phone_number_id")}
    return "message_received", {key: found.get(key) for key in outputs(SLUG, "message_received")}


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="Meta's signature (HMAC-SHA256 of the body with the App Secret, "
                                           "X-Hub-Signature-256)", verify=_verify)},
    split=split,
    map_event=map_event,
    verify_get=verify_get,
)
