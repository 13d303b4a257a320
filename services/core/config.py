"""Settings read from the environment (every variable is documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from db.session import database_url
from services.core.errors import HubError

# HUB_ENV: anything else (``prod``, ``live``, empty) refuses to start rather than run as development.
ENVIRONMENTS = ("development", "production")


class ConfigError(HubError):
    """A setting in the environment is invalid: the Hub does not start."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    env: str
    base_url: str
    encryption_keys: str | None
    smtp_url: str | None
    sandbox_enabled: bool
    # HUB_STAFF_DOMAINS: the company's email domains (comma-separated). Someone signing in from another domain
    # is refused unless an admin added that exact address on the Staff & roles page.
    staff_domains: tuple[str, ...] = ("layers.example",)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings() -> Settings:
    """The settings, validated: raises ConfigError naming the variable (the server and the CLI stop on it)."""
    raw_env = os.environ.get("HUB_ENV", "development")
    env = raw_env.strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"HUB_ENV={raw_env[:40]!r} is not one of {', '.join(ENVIRONMENTS)}; refusing to start")
    settings = Settings(
        database_url=database_url(),
        env=env,
        base_url=os.environ.get("HUB_BASE_URL", "http://127.0.0.1:8501").rstrip("/"),
        encryption_keys=os.environ.get("HUB_ENCRYPTION_KEYS") or None,
        smtp_url=os.environ.get("SMTP_URL") or None,
        sandbox_enabled=os.environ.get("HUB_SANDBOX", "0") in ("1", "true", "yes"),
        staff_domains=tuple(d.strip().lower().lstrip("@") for d in
                            os.environ.get("HUB_STAFF_DOMAINS", "layers.example").split(",") if d.strip()),
    )
    if settings.is_production and settings.sandbox_enabled:
        raise ConfigError("HUB_SANDBOX is on with HUB_ENV=production: the sandbox (fake providers under /sandbox/, "
                          "loopback URLs allowed) never runs in production; unset HUB_SANDBOX")
    return settings
