"""Sandbox connections for demo organizations, so a new user can test, refresh, reconnect and connect
offline. Written directly (no provider calls: the sandbox may not be running while seeding); every
credential follows the sandbox rule (``sbx_<account>...``) and is sealed like a real one. Which organization
gets which connection, with what status, expiry and secrets, is each provider folder's ``DEMO.connection``
(services/demo/plan.py); the connection fields are its sandbox fixture's (services/sandbox/fixtures.py).
Every other integration that has actions and a sandbox fixture gets one active connection in the first
organization from its fixture alone, so support can try each on the credential-test page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, Connection, Integration, Organization
from services import sandbox
from services.catalog import load_catalog
from services.connect.fields import render
from services.connect.store import write_secrets
from services.connect.webhook_secrets import rotate_webhook_secret
from services.core import audit
from services.core.config import load_settings
from services.demo.plan import DemoConnection, plans
from services.sandbox.fixtures import connection_config, fixtures

FROM_FIXTURES = 100   # positions of the fixture-only connections: after every planned one


def demo_connections() -> dict[str, DemoConnection]:
    """The sandbox connection the demo gives each integration: its ``DEMO.connection``, else (when it has
    actions and a sandbox) one active connection of the first organization with its fixture's credential."""
    catalog, planned = load_catalog(), {slug: p.connection for slug, p in plans().items() if p.connection}
    runnable = sorted(slug for slug, fx in fixtures().items()
                      if slug not in planned and slug in sandbox.providers() and catalog.get(slug).actions)
    defaults = {slug: DemoConnection(0, FROM_FIXTURES + n, fixtures()[slug].auth_type,
                                     expires_in=_token_life(slug), secrets=dict(fixtures()[slug].secrets))
                for n, slug in enumerate(runnable)}
    return {**planned, **defaults}


def _token_life(slug: str) -> timedelta | None:
    """An OAuth access token that expires is shown (and refreshed) as one: an hour from seeding."""
    fixture, auth = fixtures()[slug], load_catalog().get(slug).auth
    return timedelta(hours=1) if fixture.auth_type == "oauth2" and auth.token_expires else None


def _plan() -> list[list[tuple[str, DemoConnection]]]:
    """(slug, connection) per demo organization, in each organization's ``position`` order."""
    found = sorted(((c.organization, c.position, slug, c) for slug, c in demo_connections().items()),
                   key=lambda c: c[:3])
    orgs: list[list[tuple[str, DemoConnection]]] = [[] for _ in range(max((c[0] for c in found), default=-1) + 1)]
    for org, _, slug, conn in found:
        orgs[org].append((slug, conn))
    return orgs


def seed_sandbox_connections(session: Session, *, actor: str = "system", organizations: int = 3) -> int:
    """Give the first demo organizations sandbox connections; returns how many were created."""
    catalog, settings = load_catalog(), load_settings()
    orgs = session.scalars(select(Organization).order_by(Organization.id).limit(organizations)).all()
    integrations = {i.slug: i for i in session.scalars(select(Integration))}
    created = 0
    for org, plan in zip(orgs, _plan(), strict=False):
        account = re.sub(r"[^a-z0-9]+", "-", org.name.lower()).strip("-")
        for slug, demo in plan:
            auth_type, status, expires_in, secrets = demo.auth_type, demo.status, demo.expires_in, demo.secrets
            spec, integration = catalog.get(slug), integrations.get(slug)
            if integration is None:
                continue
            config = connection_config(slug, settings.base_url, account)
            base = sandbox.rewrite(slug, render(spec.base_url, config, slug), settings.base_url) \
                if spec.base_url else None
            conn = Connection(organization_id=org.id, integration_id=integration.id, auth_type=auth_type,
                              config=config, base_url=base, sandbox=True, status=status, created_by=actor,
                              label="demo", expires_at=utcnow() + expires_in if expires_in else None,
                              last_refreshed_at=utcnow() - timedelta(hours=4) if auth_type == "oauth2" else None)
            session.add(conn)
            session.flush()
            write_secrets(conn, {k: v.format(a=account) for k, v in secrets.items()})
            if status == "needs_reauth":
                conn.last_error = "the provider refused the refresh token (invalid_grant)"
                session.add(Alert(integration_id=integration.id, connection_id=conn.id, kind="needs_reauth",
                                  message=f"{spec.name} connection #{conn.id} needs to be reconnected"))
            if auth_type == "webhook":
                rotate_webhook_secret(session, actor=actor, connection_id=conn.id)
            audit.record(session, actor=actor, action="connection.created", entity_type="connection",
                         entity_id=conn.id, after={"organization": org.name, "integration": slug,
                                                   "auth_type": auth_type, "sandbox": True, "demo": True})
            created += 1
    session.flush()
    return created
