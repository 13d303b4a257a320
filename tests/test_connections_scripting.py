"""Connections from the CLI and the Connections page's service (issue 14): the ids an import created, required
connection fields at add and import, sandbox hosts never resolved, and `connections webhook-secret`."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Connection
from services.cli import main
from services.connect import connections as conns
from services.connect.importer import import_connections
from services.connect.outbound import Outbound
from services.connect.webhook_secrets import live_webhook_secrets
from services.core.config import load_settings
from services.core.errors import InvalidInput
from services.runtime.netguard import UnsafeUrl

SITE = "0123456789abcdef01234567"   # the Webflow sandbox's site (the catalog's example site_id)


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _rows(session) -> list[Connection]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(Connection).order_by(Connection.id)))


def _write(tmp_path, lines) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "connections.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return str(path)


class Resolver:
    """A DNS that knows no name and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        raise UnsafeUrl(f"{host}: the host name does not resolve")


# -- 2. `connections import` prints the new ids -------------------------------------------------------------------

def test_import_prints_the_id_of_every_connection_it_created(session, world, monkeypatch, capsys, tmp_path):
    lines = [{"organization": world.org_name, "service": "activecampaign", "sandbox": True,
              "auth": {"type": "api_key", "api_key": "sbx_ids.ac-key-0001"}},
             {"organization": world.org_name, "service": "webflow", "sandbox": True,
              "auth": {"type": "api_key", "api_key": "sbx_ids.wf-key-0001"}, "config": {"site_id": SITE}}]
    code, out, err = run(monkeypatch, capsys, ["connections", "import", _write(tmp_path, lines)])
    assert code == 0, err
    rows = _rows(session)
    assert len(rows) == 2
    assert "imported 2 connection(s)" in out and "sbx_ids" not in out + err
    header, _, *body = out.splitlines()[1:]
    assert header.split() == ["line", "id", "organization", "service", "auth"]
    assert [tuple(map(int, r.split()[:2])) for r in body] == [(1, rows[0].id), (2, rows[1].id)]
    assert "activecampaign" in body[0] and "webflow" in body[1] and "api_key (sandbox)" in body[1]


def test_import_service_reports_the_ids_per_line(session, world):
    lines = [json.dumps({"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                         "auth": {"type": "api_key", "api_key": "sbx_ids.ac-key-0002"}}), "",
             json.dumps({"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                         "auth": {"type": "api_key", "api_key": "sbx_ids.ac-key-0003"}})]
    report = import_connections(lines, actor="cli")
    rows = _rows(session)
    assert report.ok and report.created == 2
    assert [(c.line, c.id, c.service) for c in report.connections] == [(1, rows[0].id, "activecampaign"),
                                                                      (3, rows[1].id, "activecampaign")]


# -- 3. a required connection field is required at add and at import ----------------------------------------------

@pytest.mark.parametrize("auth", [{"type": "oauth2", "access_token": "sbx_req.wf-access-0001",
                                   "refresh_token": "sbx_req.wf-refresh-0001", "expires_at": "2099-01-01T00:00:00Z"},
                                  {"type": "api_key", "api_key": "sbx_req.wf-key-0001"}])
def test_import_refuses_a_webflow_connection_without_site_id(session, world, monkeypatch, capsys, tmp_path, auth):
    lines = [{"organization": world.org_name, "service": "activecampaign", "sandbox": True,
              "auth": {"type": "api_key", "api_key": "sbx_req.ac-key-0001"}},
             {"organization": world.org_name, "service": "webflow", "sandbox": True, "auth": auth, "config": {}}]
    for verify in ([], ["--no-verify"]):
        code, out, err = run(monkeypatch, capsys, ["connections", "import", *verify, _write(tmp_path, lines)])
        assert code == 2 and "line 2: site_id is required for Webflow" in err, err
        assert "line 1:" not in err and "sbx_req" not in out + err
        assert _rows(session) == []


def test_import_takes_a_webflow_oauth_connection_with_its_site_id(session, world, monkeypatch, capsys, tmp_path):
    line = {"organization": world.org_name, "service": "webflow", "sandbox": True, "config": {"site_id": SITE},
            "auth": {"type": "oauth2", "access_token": "sbx_req.wf-access-0002", "expires_at": "2099-01-01T00:00:00Z"}}
    code, out, err = run(monkeypatch, capsys, ["connections", "import", "--no-verify", _write(tmp_path, [line])])
    assert code == 0, err
    assert [(r.auth_type, r.config) for r in _rows(session)] == [("oauth2", {"site_id": SITE})]


def test_add_refuses_a_webflow_connection_without_site_id(session, world, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service", "webflow",
                                               "--api-key-stdin", "--sandbox"], "sbx_req.wf-key-0002\n")
    assert code == 2 and err.strip() == "layers-hub: error: site_id is required for Webflow", err
    assert _rows(session) == []
    with pytest.raises(InvalidInput, match="^site_id is required for Webflow$"):   # the Connections page's call
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="webflow",
                             auth_type="api_key", values={"api_key": "sbx_req.wf-key-0003", "site_id": " "},
                             sandbox_connection=True, verify=False)
    assert _rows(session) == []
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "connection.created")).all()
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service", "webflow",
                                               "--api-key-stdin", "--sandbox", "--config", f"site_id={SITE}"],
                         "sbx_req.wf-key-0004\n")
    assert code == 0 and "verified" in out, err
    assert _rows(session)[0].config == {"site_id": SITE}


def test_the_secret_of_the_credential_type_is_required(session, world):
    """HubSpot's api_key is an alternative to OAuth, so the catalog cannot mark it required for every connection;
    an API-key connection without its key is still refused, by the field's name."""
    with pytest.raises(InvalidInput, match="^api_key is required for HubSpot$"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="hubspot",
                             auth_type="api_key", values={}, sandbox_connection=True, verify=False)
    assert _rows(session) == []


# -- 4. a sandbox connection's configured host is never resolved --------------------------------------------------

def test_sandbox_connection_with_a_made_up_account_host_is_checked_on_the_sandbox(session, world):
    dns = Resolver()
    out = Outbound(load_settings(), resolver=dns)
    saved = conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                                 slug="activecampaign", auth_type="api_key", sandbox_connection=True, out=out,
                                 values={"account_url": "https://x.api-us1.com", "api_key": "sbx_host.key-0001"})
    session.commit()
    assert saved.connection.last_checked_at is not None          # the check ran, on the sandbox
    assert saved.connection.config["account_url"] == "https://x.api-us1.com"
    assert dns.asked == []
    outcome = conns.test_connection(saved.connection.id, actor=world.staff_email, out=out)
    assert outcome.ok, outcome.message
    assert dns.asked == []


def test_sandbox_connection_host_via_cli_and_import(session, world, monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service",
                                               "activecampaign", "--api-key-stdin", "--sandbox", "--config",
                                               "account_url=https://x.api-us1.com"], "sbx_host.key-0002\n")
    assert code == 0 and "verified" in out, err
    line = {"organization": world.org_name, "service": "activecampaign", "sandbox": True,
            "auth": {"type": "api_key", "api_key": "sbx_host.key-0003"},
            "config": {"account_url": "https://y.api-us1.com"}}
    code, out, err = run(monkeypatch, capsys, ["connections", "import", _write(tmp_path, [line])])
    assert code == 0, err
    assert [r.config["account_url"] for r in _rows(session)] == ["https://x.api-us1.com", "https://y.api-us1.com"]


def test_sandbox_connection_host_the_sandbox_cannot_stand_in_for_is_refused(session, world):
    dns = Resolver()
    with pytest.raises(InvalidInput, match="API URL: the activecampaign sandbox has no stand-in"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                             slug="activecampaign", auth_type="api_key", sandbox_connection=True,
                             out=Outbound(load_settings(), resolver=dns),
                             values={"account_url": "https://intranet.example.com", "api_key": "sbx_host.key-0004"})
    assert _rows(session) == [] and dns.asked == []


def test_a_real_connection_host_is_still_resolved(session, world):
    dns = Resolver()
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                             slug="activecampaign", auth_type="api_key", out=Outbound(load_settings(), resolver=dns),
                             values={"account_url": "https://x.api-us1.com", "api_key": "real-key-00000000"})
    assert dns.asked == ["x.api-us1.com"] and _rows(session) == []


# -- 5. `connections webhook-secret ID [--rotate]` ----------------------------------------------------------------

def _add(monkeypatch, capsys, world, *argv: str, stdin: str) -> int:  # type: ignore[no-untyped-def]
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--sandbox", *argv],
                         stdin)
    assert code == 0, err
    return int(out.split(":")[0].split()[-1])


@pytest.mark.parametrize("argv, stdin", [
    (["--service", "wordpress", "--basic-user", "editor", "--basic-password-stdin"], "sbx_ws wp01 pass\n"),
    (["--service", "activecampaign", "--api-key-stdin"], "sbx_ws.ac-key-0001\n"),
])
def test_webhook_secret_is_created_once_then_rotated(session, world, monkeypatch, capsys, argv, stdin):
    conn_id = _add(monkeypatch, capsys, world, *argv, stdin=stdin)
    assert live_webhook_secrets(session, conn_id) == []

    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", str(conn_id)])
    assert code == 0, err
    first = live_webhook_secrets(session, conn_id)
    assert len(first) == 1 and out.count(first[0]) == 1 and "shown once" in out and first[0] not in err

    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", str(conn_id)])
    assert code == 2 and "already has a webhook secret" in err and "--rotate" in err
    assert out == "" and first[0] not in err and "whsec_" not in out + err
    session.expire_all()
    assert live_webhook_secrets(session, conn_id) == first

    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", str(conn_id), "--rotate"])
    assert code == 0, err
    session.expire_all()
    live = live_webhook_secrets(session, conn_id)
    assert len(live) == 2 and live[1] == first[0] and out.count(live[0]) == 1 and first[0] not in out
    assert "previous secret stays valid until" in out
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "connection",
                                                                   AuditEntry.entity_id == str(conn_id))
                                   .order_by(AuditEntry.id)))
    assert actions == ["connection.created", "webhook_secret.created", "webhook_secret.rotated"]


def test_webhook_secret_refuses_what_cannot_receive_webhooks(session, world, monkeypatch, capsys):
    conn_id = _add(monkeypatch, capsys, world, "--service", "sendgrid", "--api-key-stdin",
                   stdin="sbx_ws.sg-key-0001\n")
    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", str(conn_id)])
    assert code == 2 and "SendGrid" in err and "does not receive webhooks" in err and out == ""
    assert live_webhook_secrets(session, conn_id) == []
    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", "999999"])
    assert code == 2 and "connection 999999 not found" in err
    revoked = _add(monkeypatch, capsys, world, "--service", "activecampaign", "--api-key-stdin",
                   stdin="sbx_ws.ac-key-0002\n")
    conns.revoke_connection(revoked, actor="cli")
    code, out, err = run(monkeypatch, capsys, ["connections", "webhook-secret", str(revoked), "--rotate"])
    assert code == 2 and "revoked" in err and out == ""
