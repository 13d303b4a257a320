"""GitHub's webhook side (``WEBHOOKS``, services/webhooks/hooks.py): its signature and the issue-opened event.

- **Signature** (V: docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries): header
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(webhook secret, raw body)>``. The secret is the one typed into the
  repository's (or organization's) webhook settings; store the same value as the connection's webhook secret.
  The scheme signs **no timestamp**, so a captured delivery verifies forever: replays are caught only by the
  delivery GUID below, not by a freshness window.
- **Deliveries** (V: webhook events and payloads page): ``X-GitHub-Event`` names the event (``issues``, ``ping``
  when the hook is created), ``X-GitHub-Delivery`` is a GUID per delivery, used here as the event id, so the same
  delivery posted twice is stored once (B: that a redelivery from GitHub's settings keeps the GUID).
  ``issues`` payloads carry ``action`` (``opened``, ``edited``, ``closed``...), ``issue``, ``repository``, ``sender``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.connect.signatures import SignatureError, any_match, header, hmac_sha256, secret_list
from services.webhooks.hooks import Event, Mapped, SignatureScheme, WebhookHooks
from services.webhooks.triggers import as_dict, lower, text

SCHEME = "github"
SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign_github(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret.encode(), body).hex()


def verify_github(secrets: str | Iterable[str], *, body: bytes, headers: Mapping[str, str]) -> None:
    given = header(headers, SIGNATURE_HEADER)
    if not given.startswith("sha256="):
        raise SignatureError(f"{SIGNATURE_HEADER} needs sha256=<hex>")
    if not any_match((sign_github(s, body) for s in secret_list(secrets)), [given]):
        raise SignatureError("signature does not match")


def _verify(secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
            now: float | None) -> None:
    verify_github(secrets, body=body, headers=headers)


def split(payload: Any, headers: Mapping[str, str]) -> list[Event]:
    """One event per delivery: (X-GitHub-Event, X-GitHub-Delivery, the payload)."""
    h = lower(headers)
    return [(text(h.get("x-github-event")), text(h.get("x-github-delivery")), payload)]


def map_event(event_type: str | None, item: Any) -> Mapped | None:
    payload = as_dict(item)
    if event_type != "issues" or payload.get("action") != "opened":
        return None
    issue = as_dict(payload.get("issue"))
    return "issue_opened", {
        "number": issue.get("number"), "title": issue.get("title"), "body": issue.get("body"),
        "html_url": issue.get("html_url"), "state": issue.get("state"),
        "user": as_dict(issue.get("user")).get("login"), "labels": [as_dict(label).get("name")
                                                                     for label in issue.get("labels") or []],
        "repository": as_dict(payload.get("repository")).get("full_name"), "created_at": issue.get("created_at"),
    }


WEBHOOKS = WebhookHooks(
    schemes={SCHEME: SignatureScheme(label="GitHub's signature (HMAC-SHA256 hex, X-Hub-Signature-256; no timestamp)",
                                     verify=_verify)},
    split=split,
    map_event=map_event,
)
