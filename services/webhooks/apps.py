"""The Hub's own apps at providers: where app-level webhook credentials live, and which secrets sign deliveries.

**App-level webhooks** (a provider whose ``WebhookHooks.app`` is set, e.g. HubSpot) belong to the Hub's app at the
provider, not to a customer's connection: one target URL per app and one set of subscriptions per app, for every
account that installed it, managed with the app developer account's API key (the provider folder's
``webhooks.py`` says how). The Hub keeps one row per (integration, sandbox) in ``provider_apps``: the app id in
clear (not a secret; checked by the provider's ``check_app_id``) and the developer API key sealed by the vault
(AAD ``provider_apps:<id>``; staff see the hint only; never logged or audited). Set it with ``layers-hub webhooks
app set <service> --app-id ID --developer-key-stdin [--sandbox]``; ``seed --demo`` gives each sandbox app
obviously fake values (``sbx_demo.developer-key``, the app id from the provider's ``sandbox_app_id``).

**Signing secrets**: app-signed schemes (``SignatureScheme.app_signed``: HubSpot v3 and Webflow, V: providers.md,
Webflow changelog "Webhook signatures") sign with the OAuth app's **client secret**. The Hub uses the same client
secret as its OAuth flow (``HUB_OAUTH_<SLUG>_CLIENT_SECRET``; the sandbox's public test client
``sbx_secret_<slug>`` for sandbox connections), so there is one place to rotate it. ``signing_secrets`` adds it
to a connection's own webhook secrets for OAuth connections of those providers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Connection, Integration
from db.models.webhooks import ProviderApp
from services.catalog import load_catalog
from services.connect.oauth import client_credentials
from services.connect.vault import Sealed, aad, get_vault, hint
from services.core import audit
from services.core.errors import InvalidInput
from services.core.integrations import get_integration
from services.webhooks import hooks

TABLE = "provider_apps"
SANDBOX_DEVELOPER_KEY = "sbx_demo.developer-key"   # the sandbox rule: account "demo" (obviously fake)


@dataclass(frozen=True)
class AppCredentials:
    service: str
    app_id: str
    sandbox: bool
    developer_api_key: str = field(repr=False)


@dataclass(frozen=True)
class AppInfo:
    """What staff may see of an app row: never the key, only its hint."""

    service: str
    app_id: str
    sandbox: bool
    hint: str
    updated_by: str
    updated_at: datetime


def _row(session: Session, service: str, sandbox: bool) -> ProviderApp | None:
    return session.scalar(select(ProviderApp).join(Integration, Integration.id == ProviderApp.integration_id)
                          .where(Integration.slug == service, ProviderApp.sandbox == sandbox))


def set_app(session: Session, *, actor: str, service: str, app_id: str, developer_api_key: str,
            sandbox: bool = False) -> AppInfo:
    """Store (or replace) the Hub's app id and sealed developer API key for ``service``; audited (hint only)."""
    app = hooks.app_hooks(service)
    if app is None:
        raise InvalidInput("the Hub keeps app-level webhook credentials only for "
                           f"{', '.join(hooks.app_level_services())}")
    app_id = app.check_app_id(str(app_id).strip())
    developer_api_key = developer_api_key.strip()
    if len(developer_api_key) < 8:
        raise InvalidInput("the developer API key looks too short")
    row = _row(session, service, sandbox)
    before = {"app_id": row.app_id, "developer_api_key": row.hint} if row is not None else None
    if row is None:
        row = ProviderApp(integration_id=get_integration(session, service).id, sandbox=sandbox, app_id=app_id,
                          hint="", updated_by=actor)
        session.add(row)
        session.flush()
    sealed = get_vault().seal_json({"developer_api_key": developer_api_key}, aad(TABLE, row.id))
    row.app_id, row.secret_blob, row.key_id = app_id, sealed.blob, sealed.key_id
    row.hint, row.updated_by, row.updated_at = hint(developer_api_key), actor, utcnow()
    audit.record(session, actor=actor, action="provider_app.updated", entity_type="provider_app",
                 entity_id=row.id, before=before,
                 after={"service": service, "sandbox": sandbox, "app_id": app_id, "developer_api_key": row.hint})
    session.flush()
    return _info(service, row)


def _info(service: str, row: ProviderApp) -> AppInfo:
    return AppInfo(service, row.app_id, row.sandbox, row.hint, row.updated_by, row.updated_at)


def get_app(session: Session, service: str, *, sandbox: bool) -> AppCredentials | None:
    """The app credentials for connections of that kind (sandbox or not), opened from the vault; None if unset."""
    row = _row(session, service, sandbox)
    if row is None or row.secret_blob is None or row.key_id is None:
        return None
    values = get_vault().open_json(Sealed(row.key_id, row.secret_blob), aad(TABLE, row.id))
    return AppCredentials(service, row.app_id, row.sandbox, values["developer_api_key"])


def find_app(session: Session, service: str, app_id: str) -> tuple[str, bool] | None:
    """(app id, sandbox) of the stored app with that id (the app-level inbound route), or None."""
    row = session.execute(select(ProviderApp.app_id, ProviderApp.sandbox)
                          .join(Integration, Integration.id == ProviderApp.integration_id)
                          .where(Integration.slug == service, ProviderApp.app_id == str(app_id))).first()
    return (row[0], bool(row[1])) if row else None


def list_apps(session: Session) -> list[AppInfo]:
    rows = session.execute(select(ProviderApp, Integration.slug)
                           .join(Integration, Integration.id == ProviderApp.integration_id)
                           .order_by(Integration.slug, ProviderApp.sandbox)).all()
    return [_info(slug, row) for row, slug in rows]


def client_secret(service: str, *, sandbox: bool) -> str | None:
    """The OAuth app's client secret (what app-signed schemes sign with), or None when not configured."""
    return client_credentials(service, sandbox=sandbox)[1]


def signing_secrets(service: str, conn: Connection) -> list[str]:
    """Secrets besides the connection's own that may sign its deliveries: the OAuth app's client secret for
    OAuth connections of providers that sign with it (a private-app or site-token connection is not covered)."""
    try:
        scheme = load_catalog().get(service).auth.signature
    except (KeyError, ValueError):
        return []
    own = hooks.scheme(scheme)
    if own is None or not own.app_signed or conn.auth_type != "oauth2":
        return []
    secret = client_secret(service, sandbox=conn.sandbox)
    return [secret] if secret else []


def seed_sandbox_apps(session: Session, *, actor: str = "system") -> int:
    """Give each sandbox app (providers with app-level webhooks and a sandbox app id) obviously fake credentials
    (demo); returns how many rows were created."""
    created = 0
    for service in hooks.app_level_services():
        app = hooks.app_hooks(service)
        if app is None or app.sandbox_app_id is None or _row(session, service, True) is not None:
            continue
        set_app(session, actor=actor, service=service, app_id=app.sandbox_app_id(),
                developer_api_key=SANDBOX_DEVELOPER_KEY, sandbox=True)
        created += 1
    return created


def describe(info: AppInfo) -> dict[str, str]:
    """A row for the page and the CLI (no secret)."""
    return {"service": info.service, "kind": "sandbox" if info.sandbox else "production", "app id": info.app_id,
            "developer API key": info.hint, "updated by": info.updated_by,
            "updated at": info.updated_at.isoformat(timespec="seconds")}

