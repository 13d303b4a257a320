"""What a connection's status is called wherever a person reads it (pages, CLI tables, guides): one name each."""

from __future__ import annotations

STATUS_LABELS = {"active": "Active", "needs_reauth": "Needs reconnect", "error": "Error", "revoked": "Revoked"}


def status_label(status: str) -> str:
    """``needs_reauth`` -> ``Needs reconnect``; an unknown status reads as itself, capitalized."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
