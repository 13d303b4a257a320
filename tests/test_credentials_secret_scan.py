"""Planted secrets never appear decrypted in the database (file and rows), the logs (DEBUG and up,
every logger), exception messages, the audit log or the rendered pages.

Every kind of credential is planted through the real code paths (form, CLI-equivalent service calls,
the OAuth flow over HTTP, refresh with rotation, webhook secrets, a rejected key), then everything the
Hub wrote or showed is scanned. Positive controls prove each scan would see a leaked value.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from db.base import utcnow
from db.models import Connection
from db.session import make_engine
from services.connect import connections as conns
from services.connect import refresh
from services.connect.store import read_secrets
from services.connect.webhook_secrets import rotate_webhook_secret
from services.runtime.provider_errors import CredentialRejected
from tests.test_credentials_oauth import connect
from tests.test_pages import signed_in


def rendered(at) -> bytes:  # type: ignore[no-untyped-def]
    """Every element the page sent to the browser, serialized (dataframes included, as Arrow bytes)."""
    chunks: list[bytes] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            chunks.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return b"\n".join(chunks)


def database_bytes(db_url: str) -> bytes:
    """The SQLite files as they are on disk, plus every row of every table read back (both backends)."""
    chunks: list[bytes] = []
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            file = Path(str(path) + suffix)
            if file.exists():
                chunks.append(file.read_bytes())
    engine = make_engine(db_url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    chunks.append(value if isinstance(value, bytes | memoryview) and not isinstance(value, str)
                                  else str(value).encode())
        conn.execute(text("SELECT 1"))
    return b"\n".join(bytes(c) for c in chunks)


def test_planted_secrets_appear_nowhere(session, world, db_url, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    uid = uuid.uuid4().hex[:12]
    planted: list[str] = []
    errors: list[str] = []

    def add(slug: str, auth_type: str, values: dict[str, str]) -> conns.Saved:
        saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug=slug,
                                     auth_type=auth_type, values=values, sandbox_connection=True)
        session.commit()
        return saved

    key = f"sbx_plant.apikey-{uid}"
    ac = add("activecampaign", "api_key", {"api_key": key})
    wp_password = f"sbx_plant wp {uid}"
    add("wordpress", "app_password", {"username": "editor", "app_password": wp_password})
    mc_key = f"sbx_plant.mc-{uid}-us21"
    add("mailchimp", "basic", {"password": mc_key})
    n8n = add("n8n", "webhook", {"api_key": f"sbx_plant.n8n-{uid}"})
    planted += [key, wp_password, mc_key, f"sbx_plant.n8n-{uid}", n8n.webhook_secret]
    planted.append(rotate_webhook_secret(session, actor=world.staff_email, connection_id=n8n.connection.id))
    session.commit()

    for slug in ("hubspot", "calendly", "salesforce"):             # real OAuth flow over HTTP
        conn = connect(session, world, slug, account=f"plant-{uid}")
        planted += list(read_secrets(conn).values())
        conn.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        if slug != "salesforce":
            refresh.access_token(conn.id, db_url=db_url)           # calendly rotates its refresh token
            session.expire_all()
            planted += list(read_secrets(conn).values())
        assert conns.test_connection(conn.id, actor=world.staff_email).ok

    rejected = f"rejected-{uid}-not-a-sandbox-key"
    with pytest.raises(CredentialRejected) as info:
        add("hubspot", "api_key", {"api_key": rejected})
    session.rollback()
    errors.append(str(info.value))
    planted.append(rejected)
    assert conns.test_connection(ac.connection.id, actor=world.staff_email).ok

    at = signed_in("admin")                                         # the pages staff see
    at.switch_page("connections.py").run()
    pages = rendered(at)
    at.button(key="conn_test").click().run()
    pages += rendered(at)
    for page in ("audit.py", "credential_test.py", "overview.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        pages += rendered(at)

    stored = database_bytes(db_url)
    out, err = capfd.readouterr()
    logs = (caplog.text + out + err).encode()
    planted = sorted({p for p in planted if p})
    assert len(planted) >= 12
    for secret in planted:
        needle = secret.encode()
        assert needle not in stored, f"secret ending {secret[-4:]} found in the database"
        assert needle not in logs, f"secret ending {secret[-4:]} found in the logs"
        assert needle not in pages, f"secret ending {secret[-4:]} found in a rendered page"
        assert all(secret not in e for e in errors), f"secret ending {secret[-4:]} in an error message"

    # Positive controls: each scan sees what is really there.
    row = session.get(Connection, ac.connection.id)
    assert row.secret_hint.encode() in pages                        # the dataframe bytes are scanned
    assert b"Sandbox Test Agency" in stored and b"connection.created" in stored
    assert b"/sandbox/" in logs                                    # the HTTP traffic was logged and scanned
    assert ac.connection.secret_hint[-4:] == key[-4:]
