"""The Hub's own apps at providers: where app-level webhook credentials live, and which secrets sign deliveries.

**HubSpot** webhooks belong to the Hub's (legacy) public app, not to a customer's connection: one target URL
per app and one set of subscriptions per app, for every portal that installed it (V: developers.hubspot.com
webhooks guide, "configured for a public app, not individual accounts"), managed with the app developer
account's API key in the ``hapikey`` query parameter (V: legacy webhooks API reference,
``/webhooks/v3/{appId}/settings?hapikey=``; securityScheme ``developer_hapikey`` in the v3 spec). The Hub keeps
one row per (integration, sandbox) in ``provider_apps``: the app id in clear (not a secret) and the developer API
key sealed by the vault (AAD ``provider_apps:<id>``; staff see the hint only; never logged or audited). Set it
with ``layers-hub webhooks app set hubspot --app-id ID --developer-key-stdin [--sandbox]``; ``seed --demo``
gives the sandbox app obviously fake values (``sbx_demo.developer-key``).

**Signing secrets**: HubSpot v3 (V: providers.md) and Webflow (V: Webflow changelog "Webhook signatures",
v1 "verifying webhook signatures") sign with the OAuth app's **client secret**. The Hub uses the same client
secret as its OAuth flow (``HUB_OAUTH_<SLUG>_CLIENT_SECRET``; the sandbox's public test client
``sbx_secret_<slug>`` for sandbox connections), so there is one place to rotate it. ``signing_secrets`` adds it
to a connection's own webhook secrets for OAuth connections of those providers.
"""

from __future__ import annotations

import re
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

TABLE = "provider_apps"
APP_SERVICES = ("hubspot",)          # providers whose webhooks are managed at the app level
APP_SIGNED = ("hubspot_v3", "webflow")   # schemes signed with the OAuth app's client secret
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
    if service not in APP_SERVICES:
        raise InvalidInput(f"the Hub keeps app-level webhook credentials only for {', '.join(APP_SERVICES)}")
    app_id = str(app_id).strip()
    if not re.fullmatch(r"\d{1,10}", app_id) or int(app_id) > 2**31 - 1:   # V: appId is int32 in the v3 spec
        raise InvalidInput("the HubSpot app id is a number (Developer account → Apps → the app's App ID)")
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
    """The OAuth app's client secret (what HubSpot v3 and Webflow sign with), or None when not configured."""
    return client_credentials(service, sandbox=sandbox)[1]


def signing_secrets(service: str, conn: Connection) -> list[str]:
    """Secrets besides the connection's own that may sign its deliveries: the OAuth app's client secret for
    OAuth connections of providers that sign with it (a private-app or site-token connection is not covered)."""
    try:
        scheme = load_catalog().get(service).auth.signature
    except (KeyError, ValueError):
        return []
    if scheme not in APP_SIGNED or conn.auth_type != "oauth2":
        return []
    secret = client_secret(service, sandbox=conn.sandbox)
    return [secret] if secret else []


def seed_sandbox_apps(session: Session, *, actor: str = "system") -> int:
    """Give the sandbox HubSpot app obviously fake credentials (demo); returns how many rows were created."""
    from services.sandbox import hubspot_webhooks

    if _row(session, "hubspot", True) is not None:
        return 0
    set_app(session, actor=actor, service="hubspot", app_id=str(hubspot_webhooks.app_id("demo")),
            developer_api_key=SANDBOX_DEVELOPER_KEY, sandbox=True)
    return 1


def describe(info: AppInfo) -> dict[str, str]:
    """A row for the page and the CLI (no secret)."""
    return {"service": info.service, "kind": "sandbox" if info.sandbox else "production", "app id": info.app_id,
            "developer API key": info.hint, "updated by": info.updated_by,
            "updated at": info.updated_at.isoformat(timespec="seconds")}

