"""`layers-hub connections list|add|delete|import` and `rotate-keys`: secrets from stdin, never echoed."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from db.models import Connection
from services.cli import main
from services.connect.store import read_secrets
from tests.credentials_support import KEY_A, KEY_B


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _rows(session) -> list[Connection]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(Connection).order_by(Connection.id)).all()


def test_add_list_delete(session, world, monkeypatch, capsys):
    key = "sbx_cli.0123456789abcdef"
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service",
                                               "activecampaign", "--api-key-stdin", "--sandbox"], key + "\n")
    assert code == 0, err
    assert "verified" in out and "••••cdef" in out and key not in out + err
    code, out, _ = run(monkeypatch, capsys, ["connections", "list", "--org", str(world.org_id), "--format", "json"])
    rows = json.loads(out)
    assert code == 0 and rows[0]["service"] == "activecampaign" and rows[0]["sandbox"] is True
    assert rows[0]["secret"] == "••••cdef" and key not in out
    code, out, _ = run(monkeypatch, capsys, ["connections", "list"])
    assert code == 0 and "activecampaign" in out and "Sandbox Test Agency" in out
    code, out, err = run(monkeypatch, capsys, ["connections", "delete", str(rows[0]["id"])])
    assert code == 0 and "deleted" in out, err
    assert _rows(session) == []


def test_add_basic_with_password_from_stdin(session, world, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service",
                                               "wordpress", "--basic-user", "editor", "--basic-password-stdin",
                                               "--sandbox"], "sbx_cli wp01 pass\n")
    assert code == 0, err
    row = _rows(session)[0]
    assert row.auth_type == "app_password" and row.config["username"] == "editor"
    assert read_secrets(row) == {"app_password": "sbx_cli wp01 pass"}


def test_rejected_key_is_not_stored_and_not_echoed(session, world, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service",
                                               "hubspot", "--api-key-stdin", "--sandbox"], "pat-na1-fake-0000\n")
    assert code == 2 and "rejected the credentials: HTTP 401" in err
    assert "pat-na1-fake-0000" not in out + err and _rows(session) == []


@pytest.mark.parametrize("argv, message", [
    (["--service", "activecampaign", "--api-key-stdin", "--config", "api_key=x"], "stdin only"),
    (["--service", "salesforce", "--api-key-stdin"], "does not take an API key"),
    (["--service", "nope", "--api-key-stdin"], "no integration 'nope'"),
])
def test_bad_input_is_one_line(world, monkeypatch, capsys, argv, message):
    code, out, err = run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, *argv], "k\n")
    assert code == 2 and message in err and err.count("\n") == 1


def _lines(world, **overrides) -> list[dict]:  # type: ignore[no-untyped-def]
    org = world.org_name
    lines = [
        {"organization": org, "service": "hubspot", "sandbox": True,
         "auth": {"type": "oauth2", "access_token": "sbx_imp.hubspot-access-0001",
                  "refresh_token": "sbx_imp.hubspot-refresh-0001", "expires_at": "2099-01-01T00:00:00Z"},
         "config": {}},
        {"organization": org, "service": "activecampaign", "sandbox": True,
         "auth": {"type": "api_key", "api_key": "sbx_imp.ac-key-0001"}, "config": {}},
        {"organization": org, "service": "mailchimp", "sandbox": True,
         "auth": {"type": "basic", "username": "any", "password": "sbx_imp.mc-key-0001-us21"}, "config": {}},
        {"organization": org, "service": "n8n", "sandbox": True,
         "auth": {"type": "webhook", "secret": "whsec_aW1wb3J0ZWQtd2ViaG9vay1zZWNyZXQtMDAwMQ=="},
         "config": {"webhook_url": "http://127.0.0.1:9/sandbox/n8n/instance/webhook/x"}},
    ]
    for index, value in overrides.items():
        lines[int(index[1:])] = value
    return lines


def _write(tmp_path, lines) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "connections.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return str(path)


def test_import_checks_every_line_then_writes_all(session, world, monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, ["connections", "import", _write(tmp_path, _lines(world))])
    assert code == 0, err
    assert "imported 4 connection(s)" in out and "sbx_imp" not in out + err
    rows = _rows(session)
    assert [r.auth_type for r in rows] == ["oauth2", "api_key", "basic", "webhook"]
    assert read_secrets(rows[0])["refresh_token"] == "sbx_imp.hubspot-refresh-0001"
    assert rows[0].expires_at.year == 2099 and rows[0].last_checked_at is not None
    assert rows[2].config["dc"] == "us21"
    from services.connect.webhook_secrets import live_webhook_secrets
    assert live_webhook_secrets(session, rows[3].id) == ["whsec_aW1wb3J0ZWQtd2ViaG9vay1zZWNyZXQtMDAwMQ=="]


def test_import_is_all_or_nothing_and_reports_every_bad_line(session, world, monkeypatch, capsys, tmp_path):
    lines = _lines(world, l1="{not json", l2={"organization": "No Such Org", "service": "hubspot",
                                              "auth": {"type": "api_key", "api_key": "sbx_x.secret-in-bad-line"}})
    lines.append({"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                  "auth": {"type": "api_key", "api_key": "rejected-secret-value-0001"}})
    lines.append({"organization": world.org_name, "service": "activecampaign",
                  "auth": {"type": "api_key"}})
    code, out, err = run(monkeypatch, capsys, ["connections", "import", _write(tmp_path, lines)])
    assert code == 2
    assert "line 2: not valid JSON" in err
    assert "line 3: organization 'No Such Org' not found" in err
    assert "line 5: ActiveCampaign rejected the credentials: HTTP 403" in err
    assert "line 6: auth.api_key missing" in err
    assert "line 1:" not in err and "line 4:" not in err
    assert "4 of 6 line(s) failed; nothing imported" in err
    for value in ("secret-in-bad-line", "rejected-secret-value", "hubspot-access", "mc-key"):
        assert value not in out + err
    assert _rows(session) == []


def test_import_without_verify_and_expired_oauth_lines(session, world, monkeypatch, capsys, tmp_path):
    expired = {"organization": world.org_name, "service": "calendly", "sandbox": True,
               "auth": {"type": "oauth2", "access_token": "sbx_imp.cal-access", "refresh_token": "sbx_imp.cal-rt",
                        "expires_at": 1_600_000_000}, "config": {}}
    code, out, err = run(monkeypatch, capsys, ["connections", "import", _write(tmp_path, [expired])])
    assert code == 0 and "not verified" in out and "lines 1" in out, err
    unchecked = {"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                 "auth": {"type": "api_key", "api_key": "not-checked-key-0001"}}
    code, out, err = run(monkeypatch, capsys, ["connections", "import", "--no-verify",
                                               _write(tmp_path, [unchecked])])
    assert code == 0, err
    assert len(_rows(session)) == 2 and _rows(session)[1].last_checked_at is None


def test_rotate_keys_command(session, world, monkeypatch, capsys):
    run(monkeypatch, capsys, ["connections", "add", "--org", world.org_name, "--service", "activecampaign",
                              "--api-key-stdin", "--sandbox"], "sbx_rot.key-000000\n")
    monkeypatch.setenv("HUB_ENCRYPTION_KEYS", f"{KEY_B},{KEY_A}")
    code, out, err = run(monkeypatch, capsys, ["rotate-keys"])
    assert code == 0, err
    assert "1 value(s) re-encrypted" in out and "old keys can be removed" in out
    code, out, _ = run(monkeypatch, capsys, ["rotate-keys", "--generate-key"])
    assert code == 0 and len(out.strip()) == 44
