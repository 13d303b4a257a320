"""Sandbox connections for executor tests: real connection rows (sealed secrets) whose provider is the
in-process sandbox served by `hub_server` (tests/credentials_support.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Connection, Integration
from services import sandbox
from services.catalog import load_catalog
from services.connect.fields import render
from services.connect.store import write_secrets
from services.sandbox.fixtures import connection_config as sandbox_config
from services.sandbox.fixtures import fixtures

# slug -> (auth type, secrets with {a} = the sandbox account): each provider folder's fixtures.py
SECRETS = {slug: (f.auth_type, f.secrets) for slug, f in fixtures().items()}


def make_connection(session, world, slug: str, account: str = "acme", *, config: dict | None = None) -> int:  # type: ignore[no-untyped-def]
    """A sandbox connection of `slug` for the world's organization; returns its id."""
    import os

    base = os.environ["HUB_BASE_URL"]
    spec = load_catalog().get(slug)
    auth_type, secrets = SECRETS[slug]
    values = {**sandbox_config(slug, base, account), **(config or {})}
    integration = session.scalar(select(Integration).where(Integration.slug == slug))
    base_url = sandbox.rewrite(slug, render(spec.base_url, values, slug), base) if spec.base_url else None
    conn = Connection(organization_id=world.org_id, integration_id=integration.id, auth_type=auth_type,
                      config=values, base_url=base_url, sandbox=True, status="active", created_by="test",
                      expires_at=utcnow() + timedelta(hours=1) if auth_type == "oauth2" else None)
    session.add(conn)
    session.flush()
    write_secrets(conn, {k: v.format(a=account) for k, v in secrets.items()})
    session.commit()
    return conn.id


@pytest.fixture
def connect(session, world):  # type: ignore[no-untyped-def]
    """connect(slug, account="acme", config=None) -> connection id."""
    def factory(slug: str, account: str = "acme", config: dict | None = None) -> int:
        return make_connection(session, world, slug, account, config=config)
    return factory
