"""Sandbox connections for demo organizations, so a new user can test, refresh, reconnect and connect
offline. Written directly (no provider calls: the sandbox may not be running while seeding); every
credential follows the sandbox rule (``sbx_<account>...``) and is sealed like a real one."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

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

# (auth_type, status, expires in, secrets) per integration; {a} is the organization's sandbox account.
_PLAN: list[list[tuple[str, str, str, timedelta | None, dict[str, str]]]] = [
    [("activecampaign", "api_key", "active", None, {"api_key": "sbx_{a}.demo-ac-key"}),
     ("hubspot", "oauth2", "active", timedelta(minutes=-5),        # expired: the first use refreshes it
      {"access_token": "sbx_{a}.demo-hubspot-at", "refresh_token": "sbx_{a}.demo-hubspot-rt"}),
     ("calendly", "oauth2", "needs_reauth", timedelta(hours=-3),   # shows the Reconnect path
      {"access_token": "sbx_{a}.demo-calendly-at", "refresh_token": "sbx_{a}.demo-calendly-rt"}),
     ("n8n", "webhook", "active", None, {"api_key": "sbx_{a}.demo-n8n-key"})],
    [("salesforce", "oauth2", "active", None,
      {"access_token": "sbx_{a}.demo-sf-at", "refresh_token": "sbx_{a}.demo-sf-rt"}),
     ("wordpress", "app_password", "active", None, {"app_password": "sbx_{a} demo wp01 pass"}),
     ("mailchimp", "basic", "active", None, {"password": "sbx_{a}.demo-mc-key-us21"})],
    [("webflow", "api_key", "active", None, {"api_key": "sbx_{a}.demo-site-token"})],
]


def _config(slug: str, root_base: str, account: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(sandbox.default_config(slug, root_base))
    if slug == "salesforce":
        config["instance_url"] = f"{sandbox.root_url(root_base)}/salesforce/instance"
    if slug == "mailchimp":
        config.update(dc="us21", username="demo")
    if slug == "wordpress":
        config["username"] = account
    if slug == "webflow":
        config["site_id"] = "0123456789abcdef01234567"   # the sandbox site (the catalog example)
    return config


def seed_sandbox_connections(session: Session, *, actor: str = "system", organizations: int = 3) -> int:
    """Give the first demo organizations sandbox connections; returns how many were created."""
    catalog, settings = load_catalog(), load_settings()
    orgs = session.scalars(select(Organization).order_by(Organization.id).limit(organizations)).all()
    integrations = {i.slug: i for i in session.scalars(select(Integration))}
    created = 0
    for org, plan in zip(orgs, _PLAN, strict=False):
        account = re.sub(r"[^a-z0-9]+", "-", org.name.lower()).strip("-")
        for slug, auth_type, status, expires_in, secrets in plan:
            spec, integration = catalog.get(slug), integrations.get(slug)
            if integration is None:
                continue
            config = _config(slug, settings.base_url, account)
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
