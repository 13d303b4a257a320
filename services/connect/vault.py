"""The credential vault: AES-256-GCM with a random 96-bit nonce per value and the row as associated data.

A sealed value is ``nonce (12 bytes) || ciphertext+tag``; the id of the key that sealed it is stored
beside it (``key_id`` column). The associated data names the table and the row id, so a ciphertext
copied into another row (or another table) fails to decrypt.

Keys come from ``HUB_ENCRYPTION_KEYS``: comma-separated base64 256-bit keys, the first one active,
the others kept only to decrypt values not yet re-encrypted (``layers-hub rotate-keys``). Without the
variable, development mode creates ``data/dev-encryption.key`` (the pages show a banner); production
refuses to start. Error messages never contain key material or plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from db.session import PROJECT_ROOT
from services.core.config import Settings, load_settings
from services.core.dev_files import read_or_create
from services.core.errors import HubError

NONCE_BYTES = 12
DEV_KEY_PATH = PROJECT_ROOT / "data" / "dev-encryption.key"
_lock = threading.Lock()
_cache: dict[tuple[str | None, str], Vault] = {}


class VaultError(HubError):
    """A value cannot be decrypted (wrong key, tampered, moved to another row) or keys are misconfigured."""


def key_id_of(key: bytes) -> str:
    """A short public fingerprint of a key (never the key itself)."""
    return hashlib.sha256(b"layers-hub-key-id:" + key).hexdigest()[:16]


def generate_key() -> str:
    """A new base64 256-bit key for HUB_ENCRYPTION_KEYS."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def parse_keys(value: str) -> list[bytes]:
    keys = []
    for n, part in enumerate((p.strip() for p in value.split(",")), start=1):
        if not part:
            continue
        try:
            key = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError):
            raise VaultError(f"HUB_ENCRYPTION_KEYS: key {n} is not valid base64") from None
        if len(key) != 32:
            raise VaultError(f"HUB_ENCRYPTION_KEYS: key {n} is {len(key) * 8} bits; AES-256 needs 256")
        keys.append(key)
    if not keys:
        raise VaultError("HUB_ENCRYPTION_KEYS is set but holds no key")
    return keys


def aad(table: str, row_id: int) -> bytes:
    """Associated data binding a ciphertext to one row of one table."""
    if not row_id:
        raise VaultError("a value can only be sealed for a row that has an id (flush first)")
    return f"layers-hub:{table}:{int(row_id)}".encode()


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class Vault:
    def __init__(self, keys: list[bytes], *, development: bool = False) -> None:
        if not keys:
            raise VaultError("the vault needs at least one key")
        self._keys = {key_id_of(k): AESGCM(k) for k in keys}
        self.active_key_id = key_id_of(keys[0])
        self.key_ids = tuple(self._keys)
        self.development = development

    def seal(self, plaintext: bytes, associated: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._keys[self.active_key_id].encrypt(nonce, plaintext, associated)
        return Sealed(self.active_key_id, blob)

    def open(self, sealed: Sealed, associated: bytes) -> bytes:
        aes = self._keys.get(sealed.key_id)
        if aes is None:
            raise VaultError(f"value was sealed with key {sealed.key_id}, which HUB_ENCRYPTION_KEYS no longer holds")
        if len(sealed.blob) < NONCE_BYTES + 16:
            raise VaultError("sealed value is truncated")
        try:
            return aes.decrypt(sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:], associated)
        except InvalidTag:
            raise VaultError("sealed value failed authentication (wrong key, tampered, or moved from "
                             "another row)") from None

    def seal_json(self, value: dict[str, Any], associated: bytes) -> Sealed:
        return self.seal(json.dumps(value, separators=(",", ":"), sort_keys=True).encode(), associated)

    def open_json(self, sealed: Sealed, associated: bytes) -> dict[str, Any]:
        return json.loads(self.open(sealed, associated))


def _dev_key(path: Path) -> bytes:
    """Read or create the development key (shared with concurrent processes)."""
    try:
        return parse_keys(read_or_create(path, generate_key, "development key"))[0]
    except RuntimeError as exc:
        raise VaultError(str(exc)) from None


def check_production_keys(settings: Settings) -> None:
    """Fail fast: production never runs on the development key."""
    if settings.is_production and not settings.encryption_keys:
        raise VaultError("HUB_ENV=production requires HUB_ENCRYPTION_KEYS (comma-separated base64 256-bit "
                         "keys; generate one with `layers-hub rotate-keys --generate-key`)")


def get_vault(settings: Settings | None = None, *, dev_key_path: Path | None = None) -> Vault:
    """The vault for the current settings (cached per key configuration)."""
    settings = settings or load_settings()
    check_production_keys(settings)
    path = dev_key_path or DEV_KEY_PATH
    cache_key = (settings.encryption_keys, str(path))
    with _lock:
        vault = _cache.get(cache_key)
        if vault is None:
            if settings.encryption_keys:
                vault = Vault(parse_keys(settings.encryption_keys))
            else:
                vault = Vault([_dev_key(path)], development=True)
            _cache[cache_key] = vault
        return vault


def using_development_key(settings: Settings | None = None) -> bool:
    return not (settings or load_settings()).encryption_keys


def hint(secret: str | None) -> str:
    """What a page may show of a secret: its last 4 characters, and only for long secrets."""
    if not secret:
        return ""
    return "••••" + secret[-4:] if len(secret) >= 12 else "••••"
