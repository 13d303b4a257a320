"""`layers-hub` commands: success paths and one-line errors on bad input."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from db.models import Integration, Tier, Upvote
from db.session import session_scope
from services.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits for --help and usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_migrates_and_syncs_reference_data_only(databases, capsys, monkeypatch):
    url = databases.new_empty()
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        code, out, _ = run(capsys, "db", "upgrade")
        assert code == 0 and "catalog: 58 added" in out
        with session_scope(url) as s:
            assert s.scalar(select(func.count()).select_from(Integration)) == 58
            assert {t.slug: t.weight for t in s.scalars(select(Tier))} == {
                "free": 1.0, "starter": 1.5, "pro": 2.0, "agency": 3.0, "enterprise": 5.0}
            assert s.scalar(select(func.count()).select_from(Upvote)) == 0
        code, out, _ = run(capsys, "db", "upgrade")   # re-running keeps data, adds nothing
        assert code == 0 and "catalog: 0 added, 0 updated" in out
    finally:
        databases.drop(url)


def test_seed_demo_then_if_empty_skips(db_url, capsys):
    code, out, _ = run(capsys, "seed", "--demo", "--orgs", "10", "--users", "50", "--upvotes", "300",
                       "--seed", "5", "--as-of", "2026-11-01")
    assert code == 0 and "300 upvotes" in out
    code, out, _ = run(capsys, "seed", "--demo", "--if-empty")
    assert code == 0 and "skipped" in out
    code, _, err = run(capsys, "seed", "--demo")
    assert code == 2 and err.count("\n") == 1 and "empty database" in err


def test_catalog_list_json_and_table(capsys):
    code, out, _ = run(capsys, "catalog", "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 58
    assert {r["slug"] for r in rows if r["top10"]} == {"hubspot", "activecampaign", "mailchimp", "calendly",
                                                        "wordpress", "webflow", "salesforce", "n8n", "make",
                                                        "zapier"}
    code, out, _ = run(capsys, "catalog", "list", "--category", "automation")
    assert code == 0 and "zapier" in out and "hubspot" not in out


@pytest.mark.parametrize("argv, message", [
    (["catalog", "list", "--format", "xml"], "invalid choice"),
    (["catalog", "list", "--category", "nope"], "unknown category 'nope'"),
    (["seed", "--demo", "--upvotes", "-5"], "must not be negative"),
    (["seed", "--demo", "--upvotes", "many"], "not a whole number"),
    (["seed", "--demo", "--as-of", "yesterday"], "not an ISO date"),
    (["seed"], "pass --demo"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_nonzero(db_url, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_help_describes_every_command(capsys):
    for argv in (["--help"], ["db", "upgrade", "--help"], ["seed", "--help"], ["catalog", "list", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "usage: layers-hub" in out
    _, out, _ = run(capsys, "seed", "--help")
    assert "--upvotes" in out and "same seed" in out


def test_console_script_and_module_entry_points(db_url):
    bindir = os.path.dirname(sys.executable)
    for cmd in ([os.path.join(bindir, "layers-hub"), "catalog", "list", "--format", "json"],
                [sys.executable, "-m", "services.cli", "catalog", "list", "--format", "json"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)) == 58
