"""OAuth 2.0 authorization-code flow (authlib) with PKCE S256 where the provider supports it.

``start_authorization`` stores a random ``state`` server-side (oauth_states) with the PKCE verifier,
the staff member and organization it belongs to, the exact redirect URI and a 10-minute expiry, and
returns the provider's authorize URL. The provider redirects the browser to ``/api/oauth/callback``
(services/routes.py), which calls ``complete_authorization``: the state is claimed with one conditional
UPDATE (single-use across threads and processes), the code is exchanged, and the tokens are sealed
into the connection. st.session_state does not survive the redirect, hence the table.

Client ids and secrets come from HUB_OAUTH_<SLUG>_CLIENT_ID / _CLIENT_SECRET; sandbox connections use
the sandbox's public test client (``sbx_client_<slug>``) and never see real credentials.
"""

from __future__ import annotations

import os
import re
import secrets as pysecrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, Connection, Integration, OAuthState, Organization, StaffUser
from db.session import session_scope
from services.catalog import IntegrationSpec, load_catalog
from services.connect.checks import base_url_for
from services.connect.fields import auth_types, spec_for
from services.connect.oauth_hooks import HookContext, get_hook
from services.connect.outbound import Outbound
from services.connect.store import write_secrets
from services.core import audit
from services.core.errors import InvalidInput, NotFound
from services.runtime import http
from services.runtime.provider_errors import OAuthFlowError, ProviderUnreachable

STATE_TTL = timedelta(minutes=10)
CALLBACK_PATH = "/api/oauth/callback"


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str | None
    authorize_url: str
    token_url: str


@dataclass(frozen=True)
class CallbackResult:
    connection_id: int
    integration: str
    organization: str
    sandbox: bool
    reconnected: bool


def env_names(slug: str) -> tuple[str, str]:
    stem = "HUB_OAUTH_" + slug.upper().replace("-", "_")
    return f"{stem}_CLIENT_ID", f"{stem}_CLIENT_SECRET"


def client_credentials(slug: str, *, sandbox: bool) -> tuple[str, str | None]:
    """The Hub's OAuth client id and secret at a provider: the sandbox's public test client, else the
    HUB_OAUTH_<SLUG>_CLIENT_ID / _CLIENT_SECRET environment variables (empty id / None when unset)."""
    if sandbox:
        return f"sbx_client_{slug}", f"sbx_secret_{slug}"
    id_var, secret_var = env_names(slug)
    return os.environ.get(id_var, ""), os.environ.get(secret_var) or None


def oauth_app(spec: IntegrationSpec, *, sandbox_connection: bool, out: Outbound) -> OAuthApp:
    if "oauth2" not in auth_types(spec):
        raise InvalidInput(f"{spec.name} does not use OAuth")
    client_id, client_secret = client_credentials(spec.slug, sandbox=sandbox_connection)
    if not sandbox_connection:
        id_var, secret_var = env_names(spec.slug)
        if not client_id or not client_secret:
            raise InvalidInput(f"{spec.name} OAuth is not configured: set {id_var} and {secret_var} "
                               "(or connect to the sandbox)")
    assert spec.auth.authorize_url and spec.auth.token_url   # the catalog validates this
    # Catalog URLs are reviewed https URLs (tests/test_catalog.py); the request-time guard still checks
    # every token call. The authorize URL is only opened by the browser.
    authorize = out.url(spec.slug, spec.auth.authorize_url, sandbox_connection=sandbox_connection)
    token = out.url(spec.slug, spec.auth.token_url, sandbox_connection=sandbox_connection)
    return OAuthApp(client_id, client_secret, authorize, token)


def redirect_uri(out: Outbound) -> str:
    return out.settings.base_url + CALLBACK_PATH


def token_client(spec: IntegrationSpec, app: OAuthApp, out: Outbound, **kwargs: Any) -> Any:
    """authlib's client for the token endpoint, with the provider's error normalization hook."""
    client = out.oauth_client(app.client_id, app.client_secret,
                              token_endpoint_auth_method=spec.auth.token_auth_method, **kwargs)
    normalize = get_hook(spec.slug).normalize
    if normalize:
        client.register_compliance_hook("access_token_response", normalize)
        client.register_compliance_hook("refresh_token_response", normalize)
    return client


def start_authorization(session: Session, *, staff_id: int, organization_id: int, slug: str,
                        sandbox_connection: bool = False, connection_id: int | None = None,
                        out: Outbound | None = None) -> str:
    """Record a new state and return the provider's authorize URL (open it in a new tab)."""
    out = out or Outbound()
    spec = spec_for(slug)
    app = oauth_app(spec, sandbox_connection=sandbox_connection, out=out)
    integration = session.scalar(select(Integration).where(Integration.slug == slug))
    if integration is None:
        raise NotFound(f"integration {slug!r} is not in the database; run `layers-hub db upgrade`")
    if session.get(Organization, organization_id) is None:
        raise NotFound(f"organization {organization_id} not found")
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise InvalidInput("only an active staff member can connect an account")
    if connection_id is not None:
        conn = session.get(Connection, connection_id)
        if conn is None or conn.organization_id != organization_id or conn.integration_id != integration.id:
            raise NotFound(f"connection {connection_id} of this organization and integration not found")
    verifier = pysecrets.token_urlsafe(64)[:96] if spec.auth.pkce else None   # RFC 7636: 43-128 chars
    state = pysecrets.token_urlsafe(32)
    scope = spec.auth.scope_separator.join(spec.auth.scopes) or None
    with token_client(spec, app, out, redirect_uri=redirect_uri(out), scope=scope, pkce=spec.auth.pkce) as client:
        url, _ = client.create_authorization_url(app.authorize_url, state=state, code_verifier=verifier)
    session.execute(delete(OAuthState).where(OAuthState.expires_at < utcnow() - timedelta(days=1)))   # old flows
    session.add(OAuthState(state=state, code_verifier=verifier, staff_user_id=staff.id,
                           organization_id=organization_id, integration_id=integration.id,
                           expires_at=utcnow() + STATE_TTL, redirect_uri=redirect_uri(out),
                           connection_id=connection_id, sandbox=sandbox_connection))
    session.flush()
    return url


def _claim_state(state: str, db_url: str | None) -> dict[str, Any]:
    now = utcnow()
    with session_scope(db_url) as s:
        claimed = cast("CursorResult[Any]", s.execute(
            update(OAuthState).where(OAuthState.state == state, OAuthState.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))).rowcount
        row = s.scalar(select(OAuthState).where(OAuthState.state == state))
        if row is None:
            raise OAuthFlowError("unknown OAuth state (forged, or from another Hub): start again from the "
                                 "Connections page")
        if not claimed:
            raise OAuthFlowError("this authorization was already completed (the link can be used once): start "
                                 "again from the Connections page")
        if row.expires_at <= now:
            raise OAuthFlowError("this authorization expired (10 minutes): start again from the Connections page")
        snapshot = {"verifier": row.code_verifier, "staff_id": row.staff_user_id, "org_id": row.organization_id,
                    "integration_id": row.integration_id, "redirect_uri": row.redirect_uri,
                    "connection_id": row.connection_id, "sandbox": row.sandbox,
                    "slug": s.get_one(Integration, row.integration_id).slug}
        row.code_verifier = None   # single use: nothing left to replay
    return snapshot


def exchange_code(spec: IntegrationSpec, app: OAuthApp, *, code: str, verifier: str | None, redirect: str,
                  out: Outbound) -> dict[str, Any]:
    try:
        with token_client(spec, app, out, redirect_uri=redirect) as client:
            if spec.auth.token_request == "json":
                response = client.request("POST", app.token_url, withhold_token=True, json={
                    "client_id": app.client_id, "client_secret": app.client_secret, "code": code,
                    "grant_type": "authorization_code", "redirect_uri": redirect})
                normalize = get_hook(spec.slug).normalize
                token = client.parse_response_token(normalize(response) if normalize else response)
            else:
                extra = {"code_verifier": verifier} if verifier else {}
                token = client.fetch_token(app.token_url, grant_type="authorization_code", code=code,
                                           redirect_uri=redirect, **extra)
    except http.OAuthError as exc:
        raise OAuthFlowError(f"{spec.name} refused the authorization code: {exc.error}"
                             + (f" ({exc.description})" if exc.description else "")) from None
    except (http.HTTPError, ValueError) as exc:
        raise ProviderUnreachable(f"{spec.name} token endpoint failed: {type(exc).__name__}") from None
    token = dict(token)
    if not token.get("access_token"):
        raise OAuthFlowError(f"{spec.name} answered without an access_token")
    return token


def token_expiry(spec: IntegrationSpec, token: dict[str, Any]) -> datetime | None:
    if not spec.auth.token_expires or not token.get("expires_in"):
        return None
    return utcnow() + timedelta(seconds=int(token["expires_in"]))


def token_secrets(token: dict[str, Any]) -> dict[str, str]:
    return {k: str(token[k]) for k in ("access_token", "refresh_token") if token.get(k)}


def complete_authorization(*, state: str, code: str | None = None, error: str | None = None,
                           db_url: str | None = None, out: Outbound | None = None) -> CallbackResult:
    """The callback: claim the state, exchange the code, store the tokens sealed. Raises OAuthFlowError."""
    out = out or Outbound()
    if not state:
        raise OAuthFlowError("the callback has no state parameter")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", state):   # ours are token_urlsafe; a NUL is a DataError on PostgreSQL
        raise OAuthFlowError("unknown OAuth state (forged, or from another Hub): start again from the Connections page")
    snap = _claim_state(state, db_url)
    spec = load_catalog().get(snap["slug"])
    if error:
        raise OAuthFlowError(f"{spec.name} did not authorize the connection ({error})")
    if not code:
        raise OAuthFlowError("the callback has no authorization code")
    app = oauth_app(spec, sandbox_connection=snap["sandbox"], out=out)
    token = exchange_code(spec, app, code=code, verifier=snap["verifier"], redirect=snap["redirect_uri"], out=out)
    metadata = {k: token[k] for k in spec.auth.token_metadata if k in token}
    if token.get("scope"):
        metadata["scope"] = token["scope"]
    config = {k: v for k, v in metadata.items() if k in spec.connection_fields}
    after = get_hook(spec.slug).after_token
    base_override = None
    if after:
        def get_json(url: str, headers: dict[str, str]) -> dict[str, Any]:
            with out.client(headers=headers) as client:
                response = client.get(out.check(url))
            if not response.is_success:
                raise ProviderUnreachable(f"{spec.name} metadata call answered HTTP {response.status_code}")
            return response.json()
        extra = after(token, HookContext(
            url=lambda u: out.url(spec.slug, u, sandbox_connection=snap["sandbox"]), get_json=get_json))
        metadata.update(extra.metadata)
        config.update(extra.config)
        base_override = extra.base_url
    for name, value in config.items():
        if spec.connection_fields[name].type == "url":
            config[name] = out.check_field(spec.slug, str(value), name, sandbox_connection=snap["sandbox"])
    with session_scope(db_url) as s:
        return _store_tokens(s, spec, snap, token, metadata, config, out, base_override)


def _store_tokens(s: Session, spec: IntegrationSpec, snap: dict[str, Any], token: dict[str, Any],
                  metadata: dict[str, Any], config: dict[str, Any], out: Outbound,
                  base_override: str | None) -> CallbackResult:
    staff = s.get_one(StaffUser, snap["staff_id"])
    org = s.get_one(Organization, snap["org_id"])
    conn = s.get(Connection, snap["connection_id"]) if snap["connection_id"] else None
    reconnected = conn is not None
    if conn is None:
        conn = Connection(organization_id=org.id, integration_id=snap["integration_id"], auth_type="oauth2",
                          created_by=staff.email, sandbox=snap["sandbox"], config={})
        s.add(conn)
        s.flush()
    merged = {**(conn.config or {}), **config}
    conn.config = merged
    conn.base_url = base_url_for(spec, merged, sandbox_connection=conn.sandbox, out=out, override=base_override)
    conn.auth_type = "oauth2"
    conn.provider_metadata = metadata
    write_secrets(conn, token_secrets(token))
    conn.expires_at = token_expiry(spec, token)
    conn.last_refreshed_at = utcnow()
    conn.status, conn.last_error = "active", None
    for alert in s.scalars(select(Alert).where(Alert.connection_id == conn.id, Alert.cleared_at.is_(None))):
        alert.cleared_at = utcnow()
    audit.record(s, actor=staff.email, action="connection.reconnected" if reconnected else "connection.created",
                 entity_type="connection", entity_id=conn.id,
                 after={"organization": org.name, "integration": spec.slug, "auth_type": "oauth2",
                        "sandbox": conn.sandbox, "secret": conn.secret_hint, "expires_at": _iso(conn.expires_at),
                        "metadata": sorted(metadata)})
    s.flush()
    return CallbackResult(conn.id, spec.name, org.name, conn.sandbox, reconnected)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def flow_status(session: Session, authorize_url: str) -> str:
    """``pending``, ``completed`` (the callback claimed it) or ``expired``: the page drops a spent link."""
    state = (parse_qs(urlsplit(authorize_url).query).get("state") or [""])[0]
    row = session.scalar(select(OAuthState).where(OAuthState.state == state))
    if row is None or row.used_at is not None:
        return "completed"
    return "expired" if row.expires_at <= utcnow() else "pending"
