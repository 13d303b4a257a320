"""Connection use cases: list, add (API key / basic / app password / webhook), test, revoke and delete.

Adding a credential validates it with the provider's who-am-I call first; a credential the provider
rejects is never stored, and the error says what the provider answered. OAuth connections are made
by the consent flow (oauth.py) or imported (importer.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import MAX_ID, utcnow
from db.models import Connection, Integration, Organization
from db.models.credentials import WebhookSecret
from db.session import session_scope
from services import sandbox
from services.catalog import IntegrationSpec, load_catalog
from services.connect.checks import CheckOutcome, base_url_for, check_url_for, run_check, static_auth
from services.connect.fields import AUTH_LABELS, auth_types, render, spec_for, split_values
from services.connect.hooks import hooks_for
from services.connect.oauth import oauth_app
from services.connect.oauth_hooks import get_hook
from services.connect.outbound import Outbound, provider_message, scrub
from services.connect.refresh import token_auth
from services.connect.status import status_label
from services.connect.store import clear_secrets, read_secrets, write_secrets
from services.connect.webhook_secrets import rotate_webhook_secret
from services.core import audit
from services.core.errors import HubError, InvalidInput, NotFound
from services.runtime import http
from services.runtime.provider_errors import CredentialRejected, ProviderUnreachable, ReauthRequired

STATUSES = ("active", "needs_reauth", "error", "revoked")


@dataclass(frozen=True)
class ConnectionView:
    id: int
    organization_id: int
    organization: str
    integration_slug: str
    integration: str
    auth_type: str
    status: str
    sandbox: bool
    created_by: str | None
    created_at: datetime
    last_refreshed_at: datetime | None
    expires_at: datetime | None
    last_checked_at: datetime | None
    last_error: str | None
    secret_hint: str | None
    base_url: str | None
    label: str | None
    config: dict[str, Any] = field(default_factory=dict)
    webhook_secrets: int = 0


@dataclass(frozen=True)
class Prepared:
    """A validated (and, unless verify=False, provider-checked) credential, not yet stored."""

    spec: IntegrationSpec
    auth_type: str
    config: dict[str, Any]
    secrets: dict[str, str]
    base_url: str | None
    sandbox: bool
    checked: bool


@dataclass(frozen=True)
class Saved:
    connection: ConnectionView
    webhook_secret: str | None   # shown once


def _view(conn: Connection, org: Organization, integration: Integration, secrets_count: int = 0) -> ConnectionView:
    return ConnectionView(conn.id, org.id, org.name, integration.slug, integration.name, conn.auth_type, conn.status,
                          conn.sandbox, conn.created_by, conn.created_at, conn.last_refreshed_at, conn.expires_at,
                          conn.last_checked_at, conn.last_error, conn.secret_hint, conn.base_url, conn.label,
                          dict(conn.config or {}), secrets_count)


def list_connections(session: Session, *, organization_id: int | None = None,
                     connection_ids: Collection[int] | None = None) -> list[ConnectionView]:
    """Every connection (or an organization's, or these ids': a sweep shard reads its own, not all of them)."""
    secrets = (select(WebhookSecret.connection_id, func.count()).where(WebhookSecret.retires_at.is_(None))
               .group_by(WebhookSecret.connection_id))
    if connection_ids is not None:
        secrets = secrets.where(WebhookSecret.connection_id.in_(connection_ids))
    counts = dict(session.execute(secrets).all())
    query = (select(Connection, Organization, Integration)
             .join(Organization, Organization.id == Connection.organization_id)
             .join(Integration, Integration.id == Connection.integration_id)
             .order_by(Organization.name, Integration.name, Connection.id))
    if organization_id is not None:
        query = query.where(Connection.organization_id == organization_id)
    if connection_ids is not None:
        query = query.where(Connection.id.in_(connection_ids))
    return [_view(c, o, i, counts.get(c.id, 0)) for c, o, i in session.execute(query)]


TABLE_COLUMNS = ["id", "integration", "auth", "status", "secret", "signing secrets", "created by", "last refreshed",
                 "expires", "last test", "note"]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def connections_frame(rows: list[ConnectionView]) -> pd.DataFrame:
    """The Connections page's table: one type per column (ints, text), so it converts to Arrow."""
    return pd.DataFrame([{
        "id": r.id, "integration": r.integration + (" · SANDBOX" if r.sandbox else ""),
        "auth": AUTH_LABELS.get(r.auth_type, r.auth_type), "status": status_label(r.status),
        "secret": r.secret_hint or "—", "signing secrets": int(r.webhook_secrets or 0),
        "created by": r.created_by or "—", "last refreshed": _when(r.last_refreshed_at),
        "expires": _when(r.expires_at) if r.auth_type == "oauth2" else "—", "last test": _when(r.last_checked_at),
        "note": r.last_error or ""} for r in rows], columns=TABLE_COLUMNS).astype({"id": "int64",
                                                                                    "signing secrets": "int64"})


def get_connection(session: Session, connection_id: int) -> ConnectionView:
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise NotFound(f"connection {connection_id} not found")
    count = session.scalar(select(func.count()).select_from(WebhookSecret).where(
        WebhookSecret.connection_id == connection_id, WebhookSecret.retires_at.is_(None))) or 0
    return _view(conn, session.get_one(Organization, conn.organization_id),
                 session.get_one(Integration, conn.integration_id), count)


def find_organization(session: Session, name_or_id: str) -> Organization:
    text = str(name_or_id).strip()
    as_id = int(text) if text.isascii() and text.isdigit() else None      # "²" is a digit to isdigit()
    org = session.get(Organization, as_id) if as_id is not None and as_id <= MAX_ID else None
    org = org or session.scalar(select(Organization).where(func.lower(Organization.name) == text.lower()))
    if org is None:
        raise NotFound(f"organization {text!r} not found (give its exact name or id)")
    return org


def prepare_connection(*, slug: str, auth_type: str, values: dict[str, Any], base_url: str | None = None,
                       sandbox_connection: bool = False, verify: bool = True, out: Outbound | None = None) -> Prepared:
    """Validate the form values and check them with the provider. Touches no database."""
    out = out or Outbound()
    spec = spec_for(slug)
    if auth_type == "oauth2":
        raise InvalidInput(f"{spec.name} OAuth connections are made with Connect (the provider's consent page) "
                           "or imported from Layers")
    if sandbox_connection and not out.settings.sandbox_enabled:
        raise InvalidInput("the sandbox is off: set HUB_SANDBOX=1 to create sandbox connections")
    values = {k: v for k, v in values.items() if v not in (None, "")}
    if sandbox_connection:
        values = {**sandbox.default_config(slug, out.settings.base_url), **values}
    derive = hooks_for(slug).derive_config
    if derive:   # connection fields the provider derives from the others (e.g. a data centre in the key)
        values.update({k: v for k, v in derive(values).items()
                       if k in spec.connection_fields and not values.get(k) and v not in (None, "")})
    def check(url: str, what: str) -> str:
        return out.check_field(slug, url, what, sandbox_connection=sandbox_connection)

    config, secrets = split_values(spec, auth_type, values, check=check)
    if auth_type == "basic" and "username" in values:
        config["username"] = str(values["username"])
    base = base_url_for(spec, config, sandbox_connection=sandbox_connection, out=out, override=base_url)
    checked = False
    if verify:
        url = check_url_for(spec, auth_type, config, base, sandbox_connection=sandbox_connection, out=out)
        auth = static_auth(spec, auth_type, secrets, config)
        if url and auth:
            run_check(spec, auth_type, url=url, auth=auth, secrets=secrets, out=out)
            checked = True
        elif auth_type != "webhook":
            raise InvalidInput(f"{spec.name} has no check call for {auth_type}; add with verify off (--no-verify)")
    return Prepared(spec, auth_type, config, secrets, base, sandbox_connection, checked)


def save_connection(session: Session, prepared: Prepared, *, actor: str, organization_id: int,
                    label: str | None = None, webhook_secret: str | None = None,
                    oauth_expires_at: datetime | None = None) -> Saved:
    """Store a prepared connection sealed, audited; webhook connections get a signing secret (returned once)."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} not found")
    spec = prepared.spec
    integration = session.scalar(select(Integration).where(Integration.slug == spec.slug))
    if integration is None:
        raise NotFound(f"integration {spec.slug!r} is not in the database; run `layers-hub db upgrade`")
    conn = Connection(organization_id=org.id, integration_id=integration.id, auth_type=prepared.auth_type,
                      config=prepared.config, base_url=prepared.base_url, sandbox=prepared.sandbox,
                      created_by=actor, label=label, status="active",
                      last_checked_at=utcnow() if prepared.checked else None,
                      expires_at=oauth_expires_at)
    session.add(conn)
    session.flush()
    if prepared.secrets:
        write_secrets(conn, prepared.secrets)
    audit.record(session, actor=actor, action="connection.created", entity_type="connection", entity_id=conn.id,
                 after={"organization": org.name, "integration": spec.slug, "auth_type": prepared.auth_type,
                        "sandbox": prepared.sandbox, "secret": conn.secret_hint, "config": sorted(prepared.config),
                        "verified": prepared.checked})
    secret = None
    if prepared.auth_type == "webhook" or webhook_secret:
        secret = rotate_webhook_secret(session, actor=actor, connection_id=conn.id, secret=webhook_secret)
    session.flush()
    return Saved(get_connection(session, conn.id), None if webhook_secret else secret)


def add_connection(session: Session, *, actor: str, organization_id: int, slug: str, auth_type: str,
                   values: dict[str, Any], base_url: str | None = None, sandbox_connection: bool = False,
                   verify: bool = True, label: str | None = None, out: Outbound | None = None) -> Saved:
    """Check the credential with the provider, then store it. A rejected credential is not stored."""
    prepared = prepare_connection(slug=slug, auth_type=auth_type, values=values, base_url=base_url,
                                  sandbox_connection=sandbox_connection, verify=verify, out=out)
    return save_connection(session, prepared, actor=actor, organization_id=organization_id, label=label)


def _load(connection_id: int, db_url: str | None) -> tuple[Connection, IntegrationSpec, dict[str, Any]]:
    with session_scope(db_url) as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            raise NotFound(f"connection {connection_id} not found")
        spec = load_catalog().get(s.get_one(Integration, conn.integration_id).slug)
        return conn, spec, read_secrets(conn)


def test_connection(connection_id: int, *, actor: str, db_url: str | None = None,
                    out: Outbound | None = None) -> CheckOutcome:
    """Run the check call with the stored credential; record the result (last test, status), audited."""
    out = out or Outbound()
    conn, spec, secrets = _load(connection_id, db_url)
    status = None
    try:
        if conn.status == "revoked":
            raise ReauthRequired("the connection was revoked")
        url = check_url_for(spec, conn.auth_type, dict(conn.config or {}), conn.base_url,
                            sandbox_connection=conn.sandbox, out=out)
        if conn.auth_type == "oauth2":
            auth: http.Auth | None = token_auth(connection_id, db_url=db_url, out=out,
                                                template=get_hook(spec.slug).check_template
                                                or "Bearer {token}")
        else:
            auth = static_auth(spec, conn.auth_type, secrets, dict(conn.config or {}))
        if url is None or auth is None:
            outcome = CheckOutcome(True, None, f"{spec.name}: no check call for {conn.auth_type} connections")
        else:
            outcome = run_check(spec, conn.auth_type, url=url, auth=auth, secrets=secrets, out=out)
            status = "active"
    except CredentialRejected as exc:
        outcome, status = CheckOutcome(False, None, str(exc)), "error"
    except (ProviderUnreachable, ReauthRequired, InvalidInput) as exc:
        outcome = CheckOutcome(False, None, str(exc))
    with session_scope(db_url) as s:
        row = s.get(Connection, connection_id)
        if row is not None:
            row.last_checked_at = utcnow()
            if status and row.status not in ("needs_reauth", "revoked"):
                row.status = status
            row.last_error = None if outcome.ok else outcome.message
            audit.record(s, actor=actor, action="connection.tested", entity_type="connection", entity_id=row.id,
                         after={"ok": outcome.ok, "message": outcome.message})
    return outcome


@dataclass(frozen=True)
class RevokeResult:
    revoked_at_provider: bool | None   # None: the provider has no revoke endpoint or nothing to revoke
    message: str


def _provider_revoke(conn: Connection, spec: IntegrationSpec, secrets: dict[str, Any], out: Outbound) -> RevokeResult:
    request = spec.auth.revoke
    token = secrets.get("refresh_token") or secrets.get("access_token")
    if conn.auth_type != "oauth2" or request is None or not token:
        return RevokeResult(None, f"{spec.name} has no revoke endpoint for this connection; revoke it in "
                                  f"{spec.name} if needed")
    values = {"token": token, "refresh_token": secrets.get("refresh_token", ""), "access_token":
              secrets.get("access_token", "")}
    try:
        url = out.check(out.url(spec.slug, render((request.base_url or "") + request.path, values, "revoke URL"),
                                sandbox_connection=conn.sandbox))
        app = oauth_app(spec, sandbox_connection=conn.sandbox, out=out)
        with out.client() as client:
            if request.method == "DELETE":
                response = client.delete(url)
            else:
                response = client.post(url, data={"token": token, "client_id": app.client_id,
                                                   "client_secret": app.client_secret or ""})
    except (http.HTTPError, HubError) as exc:
        why = str(exc) if isinstance(exc, HubError) else type(exc).__name__
        return RevokeResult(False, scrub(f"revoking at {spec.name} failed: {why}", secrets))
    if response.is_success:
        return RevokeResult(True, f"revoked at {spec.name}")
    return RevokeResult(False, scrub(f"{spec.name} answered HTTP {response.status_code} to the revoke: "
                                     f"{provider_message(response)}", secrets))


def revoke_connection(connection_id: int, *, actor: str, delete: bool = False, db_url: str | None = None,
                      out: Outbound | None = None) -> RevokeResult:
    """Revoke at the provider where it has an endpoint, then forget the secrets (or delete the row). Audited."""
    out = out or Outbound()
    conn, spec, secrets = _load(connection_id, db_url)
    result = _provider_revoke(conn, spec, secrets, out) if conn.status != "revoked" else RevokeResult(None, "")
    with session_scope(db_url) as s:
        row = s.get(Connection, connection_id)
        if row is None:
            raise NotFound(f"connection {connection_id} not found")
        before = {"status": row.status, "secret": row.secret_hint}
        after = {"revoked_at_provider": result.revoked_at_provider, "note": result.message}
        if delete:
            audit.record(s, actor=actor, action="connection.deleted", entity_type="connection", entity_id=row.id,
                         before={**before, "integration": spec.slug, "organization_id": row.organization_id},
                         after=after)
            s.delete(row)
        else:
            clear_secrets(row)
            row.status = "revoked"
            for secret in s.scalars(select(WebhookSecret).where(WebhookSecret.connection_id == row.id)):
                if secret.retires_at is None or secret.retires_at > utcnow():
                    secret.retires_at = utcnow()
            audit.record(s, actor=actor, action="connection.revoked", entity_type="connection", entity_id=row.id,
                         before=before, after={"status": "revoked", **after})
    return result


def organization_choices(session: Session) -> list[tuple[int, str]]:
    """Organizations for the page's picker: those with connections first, then by name."""
    has = set(session.scalars(select(Connection.organization_id).distinct()))
    rows = session.execute(select(Organization.id, Organization.name).order_by(Organization.name)).all()
    return sorted(((i, n) for i, n in rows), key=lambda r: (r[0] not in has, r[1].lower()))


@dataclass(frozen=True)
class Connectable:
    slug: str
    name: str
    auth_types: tuple[str, ...]
    sandbox: bool          # the sandbox has a stand-in for it
    top10: bool


def connectable_integrations() -> list[Connectable]:
    """Integrations a connection can be made for: the top 10 first (rank order), then by name."""
    catalog = load_catalog()
    out = [Connectable(s.slug, s.name, tuple(auth_types(s)), sandbox.has_sandbox(s.slug), s.top10_rank is not None)
           for s in catalog if auth_types(s)]
    return sorted(out, key=lambda c: (catalog.get(c.slug).top10_rank or 99, c.name.lower()))
