"""Plain words for a failed check or action: what is wrong and what support should do next.

The input is the structured error of services/runtime/provider_errors.py (``category, message, status,
provider_message, request_id, retry_after``); the provider's own message is kept beside the words,
never replaced by them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from services.connect.status import status_label

CATEGORY_LABELS = {"auth": "Authentication", "rate_limit": "Rate limit", "validation": "Invalid input",
                   "not_found": "Not found", "provider": "Provider error", "network": "Network"}
KEY_AUTH = ("api_key", "webhook")
PASSWORD_AUTH = ("basic", "app_password")


@dataclass(frozen=True)
class Diagnosis:
    category: str
    headline: str        # what is wrong, in plain words
    advice: str          # what to do next

    @property
    def label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


def seconds(value: float | None) -> str:
    """40 -> "40 s", 95 -> "1 min 35 s" (rounded up: never tell someone to retry too early)."""
    total = max(1, math.ceil(value or 0))
    return f"{total} s" if total < 60 else f"{total // 60} min" + (f" {total % 60} s" if total % 60 else "")


def _reauth(error: dict[str, Any]) -> bool:
    text = str(error.get("message") or "").lower()
    return error.get("status") is None and any(w in text for w in ("reconnect", "revoked", "invalid_grant"))


def _auth(name: str, auth_type: str, error: dict[str, Any], sent: bool | None) -> tuple[str, str]:
    status = error.get("status")
    if _reauth(error):
        text = str(error.get("message")).lower()
        revoked = any(w in text for w in ("was revoked", "is revoked", "marked revoked")) and "refresh" not in text
        if sent is False:    # the connection was already marked: the Hub called nothing this time
            if revoked:
                return (f"Nothing was sent: the {name} connection was revoked",
                        "Send the customer the reconnect steps; nothing can be called until they approve access "
                        "again.")
            return (f"Nothing was sent: the {name} connection is marked {status_label('needs_reauth')}",
                    f"{name} refused its refresh token earlier, so the Hub stopped calling with this connection "
                    "until the customer reconnects. Use Reconnect on the Connections page, or ask the customer to "
                    "reconnect in Layers.")
        if revoked:
            return (f"The {name} connection was revoked: ask the customer to reconnect",
                    "Send the customer the reconnect steps; nothing can be called until they approve access again.")
        return ("The access token expired and refreshing it failed: ask the customer to reconnect",
                f"{name} refused the stored refresh token (it was revoked, expired or already used). "
                "Use Reconnect on the Connections page, or ask the customer to reconnect in Layers.")
    if auth_type == "oauth2" and status == 403:
        return (f"{name} refused the request with this token (HTTP 403): the account may lack a permission or "
                "plan feature", "Ask the customer to reconnect and approve every permission, and check their "
                f"{name} plan includes this feature.")
    if auth_type == "oauth2":
        return (f"{name} refused the access token even after a refresh: ask the customer to reconnect",
                "The customer may have removed the Layers app from their account.")
    if auth_type in PASSWORD_AUTH:
        return (f"The username or password was rejected by {name}",
                "Ask the customer for a new application password (or check the username) and update the connection.")
    return (f"The API key was rejected by {name}",
            "The key may have been deleted or regenerated. Ask the customer for a new key and update the connection.")


def diagnose(error: dict[str, Any] | None, *, service_name: str, auth_type: str = "api_key",
             sent: bool | None = None) -> Diagnosis | None:
    """The plain-words diagnosis of a structured error (None when there is no error). ``sent``: whether any
    HTTP request went out (a token refresh included); None when unknown."""
    if not error:
        return None
    name = service_name
    category = str(error.get("category") or "provider")
    status = error.get("status")
    provider = error.get("provider_message")
    message = str(error.get("message") or "")
    if category == "auth":
        headline, advice = _auth(name, auth_type, error, sent)
    elif category == "rate_limit":
        retry = error.get("retry_after")
        wait = f"retry in {seconds(retry)}" if retry is not None else "retry in a minute"
        if status is None:
            headline = f"The Hub is pacing its calls to {name} for this account: {wait}"
        else:
            headline = f"{name} rate limit: {wait}"
        advice = ("The Hub already waits and retries within the provider's limits; other tools sharing the "
                  "customer's account may be using up the allowance.")
    elif category == "validation" and status is None:
        headline = f"The input or the connection's settings are not valid: {message}"
        advice = "Correct the values shown and run again; nothing was sent to the provider."
    elif category == "validation":
        headline = f"{name} refused the input (HTTP {status})" + (f": {provider}" if provider else "")
        advice = "Check the values against the customer's account (ids, required fields, formats) and run again."
    elif category == "not_found":
        headline = f"{name} could not find what the request refers to (HTTP 404)"
        advice = ("Check that the ids in the input exist in the customer's account. For a credential check, "
                  "the account URL stored with the connection may be wrong.")
    elif category == "network":
        headline = f"{name} could not be reached"
        advice = (f"Check the connection's URL (a self-hosted site may be down) and try again. If every {name} "
                  "connection fails, the provider itself may be down.")
    else:
        headline = f"{name} had an internal error" + (f" (HTTP {status})" if status else "") + ": usually temporary"
        advice = f"Retry in a few minutes; if it continues, check {name}'s status page and tell engineering."
    return Diagnosis(category, headline, advice)
