"""Settings read from the environment (every variable is documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from db.session import database_url


@dataclass(frozen=True)
class Settings:
    database_url: str
    env: str
    base_url: str
    encryption_keys: str | None
    smtp_url: str | None
    sandbox_enabled: bool

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings() -> Settings:
    return Settings(
        database_url=database_url(),
        env=os.environ.get("HUB_ENV", "development").strip().lower(),
        base_url=os.environ.get("HUB_BASE_URL", "http://127.0.0.1:8501").rstrip("/"),
        encryption_keys=os.environ.get("HUB_ENCRYPTION_KEYS") or None,
        smtp_url=os.environ.get("SMTP_URL") or None,
        sandbox_enabled=os.environ.get("HUB_SANDBOX", "0") in ("1", "true", "yes"),
    )
