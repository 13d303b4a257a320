"""The CLI in scripts (issue 14): piped into `head` it exits quietly; `success show --format json`."""

from __future__ import annotations

import json
import subprocess
import sys

from db.base import utcnow
from services.cli import main
from tests.success_fixtures import known_pace


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits for --help and usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_a_closed_pipe_ends_the_cli_quietly(db_url):
    """The reader is gone before the CLI writes (what `| head` does once it has its lines): no traceback, no
    "Exception ignored" at exit, exit status 1 (the Python docs' recipe for SIGPIPE)."""
    for argv in (["catalog", "list"], ["catalog", "list", "--format", "json"], ["--help"]):
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.close()            # nobody reads: every write to stdout fails with EPIPE
        _, err = proc.communicate(timeout=60)
        assert err == "", err
        assert proc.returncode == (0 if argv == ["--help"] else 1)   # argparse itself ignores a failed write


def test_piped_into_head_prints_the_lines_and_nothing_else(db_url):
    proc = subprocess.run(["sh", "-c", f"'{sys.executable}' -m services.cli catalog list | head -2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert len(proc.stdout.splitlines()) == 2 and proc.stdout.startswith("slug")


def test_success_show_json_has_every_criterion_with_its_numbers_and_rows(session, capsys):
    now = utcnow().replace(microsecond=0)
    known_pace(session, now)
    session.commit()
    code, out, err = run(capsys, "success", "show", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["period_days"] == 90 and report["as_of"]
    criteria = {c["key"]: c for c in report["criteria"]}
    assert list(criteria) == ["1-seed", "1-demand", "2", "3", "4", "5", "6"]
    assert {c["number"] for c in report["criteria"]} == {1, 2, 3, 4, 5, 6}
    breadth = criteria["6"]
    assert (breadth["numerator"], breadth["denominator"], breadth["value"]) == (11, 30, "11 / 30")
    assert breadth["met"] is False and breadth["note"] == "11 built before the Hub + 0 built in Phase 4."
    assert isinstance(breadth["rows"], list) and len(breadth["rows"]) == 11
    assert {"slug", "name", "built"} <= set(breadth["rows"][0])
    for c in report["criteria"]:
        assert isinstance(c["rows"], list) and c["title"] and c["measure"]
        assert c["share"] is None or 0 <= c["share"] <= 1
    assert criteria["1-seed"]["numerator"] == 1 and any(r.get("slug") == "activecampaign"
                                                          for r in criteria["1-seed"]["rows"])


def test_success_show_table_and_period(session, capsys):
    code, out, err = run(capsys, "success", "show", "--period-days", "30")
    assert code == 0, err
    assert "1-seed" in out and "6" in out and "period: last 30 days" in out
    code, out, err = run(capsys, "success", "show", "--format", "json", "--period-days", "all")
    assert code == 0 and json.loads(out)["period_days"] is None, err
    code, out, err = run(capsys, "success", "show", "--period-days", "soon")
    assert code == 2 and "not a number of days" in err and len(err.strip().splitlines()) == 1
