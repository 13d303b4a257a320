"""``layers-hub rotate-keys``: re-encrypt every sealed value under the active key.

Put the new key first in HUB_ENCRYPTION_KEYS and keep the old ones after it, run rotate-keys, then
remove the old keys once ``keys_in_use`` lists only the active one. Work is committed in batches and
rows already under the active key are skipped, so an interrupted run simply resumes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Connection
from db.models.credentials import WebhookSecret
from db.models.webhooks import ProviderApp
from db.session import session_scope
from services.connect.vault import Sealed, VaultError, aad, get_vault

SealedRow = Connection | WebhookSecret | ProviderApp   # a row with a sealed blob and its key_id

# (table used as associated data, model, blob attribute)
SEALED_COLUMNS: tuple[tuple[str, type[SealedRow], str], ...] = (
    ("connections", Connection, "credential_blob"), ("webhook_secrets", WebhookSecret, "secret_blob"),
    ("provider_apps", ProviderApp, "secret_blob"))


@dataclass
class RotationReport:
    active_key_id: str
    reencrypted: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)   # "table#id" (never values)
    stopped_early: bool = False


def rotate_keys(*, db_url: str | None = None, batch_size: int = 200, limit: int | None = None) -> RotationReport:
    """Re-encrypt every sealed value not under the active key. ``limit`` stops after that many (tests)."""
    vault = get_vault()
    report = RotationReport(vault.active_key_id)
    for table, model, attr in SEALED_COLUMNS:
        blob = getattr(model, attr)
        last_id = 0
        while True:
            with session_scope(db_url) as s:
                batch = select(model).where(model.id > last_id, blob.is_not(None)).order_by(model.id).limit(batch_size)
                rows = cast("Sequence[SealedRow]", s.scalars(batch).all())
                if not rows:
                    break
                for row in rows:
                    last_id = row.id
                    if row.key_id == vault.active_key_id:
                        report.already_current += 1
                        continue
                    if limit is not None and report.reencrypted >= limit:
                        report.stopped_early = True
                        return report
                    try:
                        if row.key_id is None:
                            raise VaultError("sealed value has no key id")
                        plain = vault.open(Sealed(row.key_id, getattr(row, attr)), aad(table, row.id))
                    except VaultError:
                        report.failed.append(f"{table}#{row.id}")
                        continue
                    sealed = vault.seal(plain, aad(table, row.id))
                    setattr(row, attr, sealed.blob)
                    row.key_id = sealed.key_id
                    report.reencrypted += 1
    return report


def keys_in_use(session: Session) -> dict[str, int]:
    """How many sealed values each key id still protects (an old key can go when it is absent here)."""
    usage: Counter[str] = Counter()
    for _, model, attr in SEALED_COLUMNS:
        blob = getattr(model, attr)
        for key_id, count in session.execute(select(model.key_id, func.count()).where(blob.is_not(None))
                                             .group_by(model.key_id)):
            usage[key_id or "?"] += count
    return dict(usage)
