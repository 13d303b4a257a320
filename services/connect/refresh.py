"""Access tokens for API calls: refreshed before expiry (a configurable buffer) and once on a 401.

Refresh is race-free across threads and processes: lock the connection row, re-read it, refresh only
if still needed, store the new tokens, commit. PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no
row locks; the equivalent is to make a write the transaction's first statement, which takes the
database's single write lock (other connections wait up to busy_timeout), then re-read. The lock is
held during the token request on purpose: whoever waits then finds the new token and makes no request.

A refresh the provider refuses with ``invalid_grant`` marks the connection ``needs_reauth``, raises an
alert and an audit entry, and raises ReauthRequired; the Connections page offers Reconnect.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, Connection, Integration
from db.session import session_scope
from services.catalog import IntegrationSpec, load_catalog
from services.connect.oauth import oauth_app, token_client, token_expiry
from services.connect.outbound import Outbound
from services.connect.store import read_secrets, write_secrets
from services.core import audit
from services.core.errors import NotFound
from services.runtime import http
from services.runtime.provider_errors import ProviderUnreachable, ReauthRequired


def default_buffer() -> timedelta:
    """How long before expiry a token is refreshed: HUB_TOKEN_REFRESH_BUFFER seconds (default 300)."""
    try:
        return timedelta(seconds=max(0, int(os.environ.get("HUB_TOKEN_REFRESH_BUFFER", "300"))))
    except ValueError:
        return timedelta(minutes=5)


def _spec(session: Session, conn: Connection) -> IntegrationSpec:
    return load_catalog().get(session.get_one(Integration, conn.integration_id).slug)


def _usable(spec: IntegrationSpec, conn: Connection) -> None:
    if conn.status == "needs_reauth":
        raise ReauthRequired(f"the {spec.name} connection #{conn.id} needs to be reconnected")
    if conn.status == "revoked":
        raise ReauthRequired(f"the {spec.name} connection #{conn.id} was revoked")


def _due(conn: Connection, buffer: timedelta) -> bool:
    return conn.expires_at is not None and conn.expires_at - buffer <= utcnow()


def _lock(session: Session, connection_id: int) -> Connection:
    if session.get_bind().dialect.name == "postgresql":
        conn = session.scalar(select(Connection).where(Connection.id == connection_id).with_for_update()
                              .execution_options(populate_existing=True))
    else:
        session.execute(update(Connection).where(Connection.id == connection_id)
                        .values(last_refreshed_at=Connection.last_refreshed_at)
                        .execution_options(synchronize_session=False))
        conn = session.get(Connection, connection_id, populate_existing=True)
    if conn is None:
        raise NotFound(f"connection {connection_id} not found")
    return conn


def access_token(connection_id: int, *, db_url: str | None = None, buffer: timedelta | None = None,
                 out: Outbound | None = None) -> str:
    """A usable access token, refreshed first when it expires within ``buffer``."""
    buffer = default_buffer() if buffer is None else buffer
    with session_scope(db_url) as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            raise NotFound(f"connection {connection_id} not found")
        _usable(_spec(s, conn), conn)
        secrets = read_secrets(conn)
        due = _due(conn, buffer) and bool(secrets.get("refresh_token"))
    if not due:
        return secrets.get("access_token") or secrets.get("api_key", "")
    return refresh_access_token(connection_id, db_url=db_url, buffer=buffer, out=out)


def refresh_access_token(connection_id: int, *, stale: str | None = None, db_url: str | None = None,
                         buffer: timedelta | None = None, out: Outbound | None = None) -> str:
    """Refresh under the row lock. ``stale``: the token a 401 refused (refresh unless already replaced)."""
    buffer = default_buffer() if buffer is None else buffer
    out = out or Outbound()
    failure: Exception | None = None
    with session_scope(db_url) as s:
        conn = _lock(s, connection_id)
        spec = _spec(s, conn)
        _usable(spec, conn)
        secrets = read_secrets(conn)
        needed = secrets.get("access_token") == stale if stale is not None else _due(conn, buffer)
        if not needed:
            return secrets["access_token"]
        if not secrets.get("refresh_token"):
            failure = _needs_reauth(s, spec, conn, "the provider refused the token and there is no refresh token")
        else:
            try:
                token = _refresh_call(spec, conn, secrets["refresh_token"], out)
            except http.OAuthError as exc:
                if exc.error != "invalid_grant":
                    raise ProviderUnreachable(f"{spec.name} refused the refresh: {exc.error}") from None
                failure = _needs_reauth(s, spec, conn, "the provider refused the refresh token (invalid_grant"
                                        + (f": {exc.description})" if exc.description else ")"))
            else:
                rotated = bool(token.get("refresh_token")) and token["refresh_token"] != secrets["refresh_token"]
                new = {"access_token": str(token["access_token"]),
                       "refresh_token": str(token.get("refresh_token") or secrets["refresh_token"])}
                write_secrets(conn, new)
                conn.expires_at = token_expiry(spec, token)
                conn.last_refreshed_at = utcnow()
                conn.status, conn.last_error = "active", None
                audit.record(s, actor="system", action="connection.token_refreshed", entity_type="connection",
                             entity_id=conn.id, after={"expires_at": conn.expires_at.isoformat()
                                                       if conn.expires_at else None,
                                                       "refresh_token_rotated": rotated})
                return new["access_token"]
    assert failure is not None
    raise failure


def _refresh_call(spec: IntegrationSpec, conn: Connection, refresh_token: str, out: Outbound) -> dict:
    app = oauth_app(spec, sandbox_connection=conn.sandbox, out=out)
    try:
        with token_client(spec, app, out) as client:
            return dict(client.refresh_token(app.token_url, refresh_token=refresh_token))
    except http.OAuthError:
        raise
    except (http.HTTPError, ValueError) as exc:
        raise ProviderUnreachable(f"{spec.name} token endpoint failed: {type(exc).__name__}") from None


def _needs_reauth(s: Session, spec: IntegrationSpec, conn: Connection, why: str) -> ReauthRequired:
    conn.status, conn.last_error = "needs_reauth", why
    message = f"{spec.name} connection #{conn.id} needs to be reconnected: {why}"
    s.add(Alert(integration_id=conn.integration_id, connection_id=conn.id, kind="needs_reauth", message=message))
    audit.record(s, actor="system", action="connection.needs_reauth", entity_type="connection", entity_id=conn.id,
                 before={"status": "active"}, after={"status": "needs_reauth", "reason": why})
    return ReauthRequired(message)


def token_auth(connection_id: int, *, db_url: str | None = None, out: Outbound | None = None,
               template: str = "Bearer {token}", known: tuple[str, datetime | None] | None = None) -> http.TokenAuth:
    """httpx auth for a connection's API calls: fresh token, one refresh + retry on 401.

    ``known``: the (access token, expiry) the caller just read with the connection. While it is not due
    it is used as is, saving a database read per request (a sweep checks a thousand connections); once
    due, or after a refresh, every request reads the stored token again. A token replaced meanwhile by
    another process is still safe: the provider's 401 leads to ``refresh(stale)``, which finds it replaced."""
    cell: list[tuple[str, datetime | None] | None] = [known] if known and known[0] else [None]

    def get() -> str:
        current = cell[0]
        if current is not None and not (current[1] is not None and current[1] - default_buffer() <= utcnow()):
            return current[0]
        cell[0] = None
        return access_token(connection_id, db_url=db_url, out=out)

    def refresh(stale: str) -> str:
        cell[0] = None
        return refresh_access_token(connection_id, stale=stale, db_url=db_url, out=out)

    return http.TokenAuth(get, refresh, template=template)
