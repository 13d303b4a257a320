"""Run one catalog action for one connection, in test or live mode (the seed's node executor step).

Test mode never changes the customer's account: reads and the credential check run for real, writes
are validated and built but not sent. Every provider call goes through ProviderClient (pacing, retries,
typed errors, the call log); the result carries the redacted HTTP exchanges.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.models import Connection, Integration
from db.session import session_scope
from services.catalog import IntegrationSpec, load_catalog
from services.catalog.spec import placeholders
from services.connect.checks import base_url_for, static_auth
from services.connect.outbound import Outbound
from services.connect.refresh import token_auth
from services.connect.status import status_label
from services.connect.store import read_secrets
from services.core.errors import HubError, InvalidInput, NotFound
from services.runtime.call_log import call_log
from services.runtime.executors.context import ActionContext, RunResult
from services.runtime.executors.registry import resolve
from services.runtime.executors.schemas import validate_inputs
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import IntegrationError, ReauthRequired
from services.sandbox import sandbox_account

MODES = ("test", "live")


@dataclass(frozen=True)
class StoredConnection:
    """What a client needs from a connection row, secrets opened (never logged or shown)."""
    id: int
    slug: str
    status: str
    auth_type: str
    sandbox: bool
    base_url: str | None
    integration_id: int
    expires_at: datetime | None
    config: dict[str, Any]
    secrets: dict[str, Any] = field(repr=False)


def _stored(conn: Connection, slug: str) -> StoredConnection:
    return StoredConnection(conn.id, slug, conn.status, conn.auth_type, conn.sandbox, conn.base_url,
                            conn.integration_id, conn.expires_at,
                            {**(conn.provider_metadata or {}), **(conn.config or {})}, read_secrets(conn))


def load_connections(connection_ids: list[int], *, db_url: str | None = None) -> dict[int, StoredConnection]:
    """Many connections in a few queries (a sweep loads its thousand at once instead of one query each)."""
    out: dict[int, StoredConnection] = {}
    with session_scope(db_url) as s:
        for start in range(0, len(connection_ids), 500):
            chunk = connection_ids[start:start + 500]
            for conn, slug in s.execute(select(Connection, Integration.slug)
                                        .join(Integration, Integration.id == Connection.integration_id)
                                        .where(Connection.id.in_(chunk))):
                out[conn.id] = _stored(conn, slug)
    return out


def connection_client(connection_id: int, *, mode: str = "test", action: str | None = None,
                      db_url: str | None = None, out: Outbound | None = None, log: bool = True,
                      stored: StoredConnection | None = None,
                      **client_options: Any) -> tuple[ProviderClient, dict[str, Any], Any]:
    """A ProviderClient for a stored connection, with its config (fields + provider metadata).

    ``stored``: the connection as just loaded by ``load_connections`` (else it is read now)."""
    out = out or Outbound()
    if stored is None:
        stored = load_connections([connection_id], db_url=db_url).get(connection_id)
        if stored is None:
            raise NotFound(f"connection {connection_id} not found")
    spec = load_catalog().get(stored.slug)
    if stored.status in ("revoked", "needs_reauth"):
        raise ReauthRequired(f"{spec.name} connection #{stored.id} is marked {status_label(stored.status)}: "
                             "ask the customer to reconnect")
    secrets, config, sandbox = stored.secrets, stored.config, stored.sandbox
    base_url = base_url_for(spec, config, sandbox_connection=sandbox, out=out, override=stored.base_url) or ""
    if stored.auth_type == "oauth2":
        auth: Any = token_auth(connection_id, db_url=db_url, out=out,
                               known=(secrets.get("access_token") or "", stored.expires_at))
    else:
        auth = static_auth(spec, stored.auth_type, secrets, config)
    client = ProviderClient(spec=spec, base_url=base_url, auth=auth, integration_id=stored.integration_id,
                            connection_id=connection_id,
                            account_key=pacing_key(spec, base_url, connection_id, secrets, sandbox), mode=mode,
                            action=action, secrets=secrets, sandbox_connection=sandbox, out=out,
                            log=call_log(db_url) if log else None, **client_options)
    return client, dict(config), dict(secrets)


def pacing_key(spec: IntegrationSpec, base_url: str, connection_id: int, secrets: dict[str, Any],
               sandbox: bool) -> str:
    """Whose rate limits a call counts against: the provider account, as far as the Hub can tell.

    A sandbox connection's credential names its sandbox account, which is exactly what the sandbox's
    limiters count by. Otherwise a base URL built from the account's own host (ActiveCampaign account,
    Salesforce instance, WordPress site, n8n instance) names the account, so all its connections share one
    budget; on shared API hosts (HubSpot, Calendly, Webflow, Mailchimp's data centre) each connection is
    its own account.
    """
    if sandbox:   # before the host: every sandbox account of a provider shares the sandbox's one host
        credential = next((v for k, v in secrets.items() if k in ("access_token", "api_key", "password",
                                                                  "app_password") and isinstance(v, str)), None)
        account = sandbox_account(credential)
        if account:
            return f"{spec.slug}:sandbox:{account}"
    if placeholders(spec.base_url or "") - {"dc"} and base_url:
        return f"{spec.slug}:{base_url}"
    return f"{spec.slug}:connection:{connection_id}"


def run_action(connection_id: int, action: str, inputs: dict[str, Any] | None = None, *, mode: str = "test",
               service: str | None = None, db_url: str | None = None, out: Outbound | None = None,
               **client_options: Any) -> RunResult:
    """Execute `action` on the connection; errors become a structured result, never an exception."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be test or live, not {mode!r}")
    started = time.perf_counter()
    client = None
    slug = service or "?"
    try:
        client, config, _ = connection_client(connection_id, mode=mode, action=action, db_url=db_url, out=out,
                                              **client_options)
        slug = client.spec.slug
        if service and service != slug:
            raise InvalidInput(f"connection {connection_id} is a {client.spec.name} connection, not {service}")
        _, executor = resolve(slug, action)
        values = validate_inputs(slug, action, inputs or {})
        ctx = ActionContext(spec=client.spec, action=client.spec.actions[action], config=config, client=client,
                            connection_id=connection_id)
        outcome = executor(ctx, values)
        result = RunResult(True, mode, slug, action, outcome.output, _exchanges(client), None,
                           _ms(started), _retries(client), outcome.preview)
    except IntegrationError as exc:     # incl. a refresh refused (ReauthRequired: auth) or failing (network)
        result = RunResult(False, mode, slug, action, None, _exchanges(client), exc.as_dict(), _ms(started),
                           _retries(client))
    except (HubError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        result = RunResult(False, mode, slug, action, None, _exchanges(client),
                           {"category": "validation", "message": message, "status": None}, _ms(started),
                           _retries(client))
    finally:
        if client is not None:
            client.close()
            if client.log is not None:
                client.log.flush()
    return result


def _exchanges(client: ProviderClient | None) -> list[dict[str, Any]]:
    return [e.as_dict() for e in client.exchanges] if client else []


def _retries(client: ProviderClient | None) -> int:
    return sum(1 for e in client.exchanges if e.attempt > 1) if client else 0


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
