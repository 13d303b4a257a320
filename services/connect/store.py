"""Sealing and opening the secrets of a connection row (the only place that touches credential_blob)."""

from __future__ import annotations

from typing import Any

from db.models import Connection
from services.connect.vault import Sealed, Vault, aad, get_vault, hint

CONNECTIONS = "connections"


def write_secrets(connection: Connection, secrets: dict[str, Any], *, vault: Vault | None = None) -> None:
    """Seal ``secrets`` into the row (which must have an id: the id is the associated data)."""
    vault = vault or get_vault()
    sealed = vault.seal_json(secrets, aad(CONNECTIONS, connection.id))
    connection.credential_blob, connection.key_id = sealed.blob, sealed.key_id
    main = secrets.get("access_token") or secrets.get("api_key") or secrets.get("app_password") \
        or secrets.get("password") or next((v for v in secrets.values() if isinstance(v, str) and v), "")
    connection.secret_hint = hint(main) if main else None


def read_secrets(connection: Connection, *, vault: Vault | None = None) -> dict[str, Any]:
    if connection.credential_blob is None or connection.key_id is None:
        return {}
    vault = vault or get_vault()
    return vault.open_json(Sealed(connection.key_id, connection.credential_blob), aad(CONNECTIONS, connection.id))


def clear_secrets(connection: Connection) -> None:
    connection.credential_blob = None
    connection.key_id = None
    connection.secret_hint = None
