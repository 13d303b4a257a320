"""Google Workspace: Gmail's ``users.messages.send`` takes the whole message as ``raw``, an RFC 2822 message
encoded base64url (V: gmail.v1.json ``Message.raw``, format byte, required for messages.send). A catalog
template cannot build MIME, so this executor does, then sends the catalog's own request (declarative
``{raw: "{raw}"}`` body on the action's base URL). A ``raw`` input given by the caller is sent as it is."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import run_declarative
from services.runtime.executors.registry import executor
from services.runtime.provider_errors import ValidationFailed


def mime_message(inputs: dict[str, Any]) -> bytes:
    """The RFC 2822 message of the inputs: To/Cc/Bcc/Reply-To/Subject and a text (or HTML) body in UTF-8.
    Gmail sets From to the account when it is absent."""
    message = EmailMessage()
    for header, key in (("From", "from_address"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"),
                        ("Reply-To", "reply_to"), ("Subject", "subject")):
        if inputs.get(key):
            message[header] = str(inputs[key])
    text = str(inputs.get("body") or "")
    if inputs.get("html"):
        message.set_content(text, subtype="html")
    else:
        message.set_content(text)
    return message.as_bytes()


def raw_message(inputs: dict[str, Any]) -> str:
    """``Message.raw``: the MIME message, base64url (V: Gmail's sending guide encodes with urlsafe_b64encode)."""
    if not inputs.get("to"):
        raise ValidationFailed("to: a recipient is required to send a Gmail message")
    return base64.urlsafe_b64encode(mime_message(inputs)).decode()


@executor("google-workspace", "send_email", name="google_workspace_send_email")
def send_email(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    raw = inputs.get("raw") or raw_message(inputs)
    return run_declarative(ctx, {"user_id": inputs.get("user_id") or "me", "raw": raw})
