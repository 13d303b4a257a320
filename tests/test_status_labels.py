"""Issue 14, pages 8: one name per connection status, everywhere (it read "Needs reconnect", "needs reauth" and
"NEEDS REAUTH" on three pages); counts with the right plural; no literal "None" in tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from services.connect.connections import ConnectionView, connections_frame
from services.connect.status import STATUS_LABELS, status_label
from services.core.text import BLANK, blank_missing, plural
from services.monitoring.finder import Match

ROOT = Path(__file__).resolve().parent.parent


def test_one_label_per_status():
    assert status_label("needs_reauth") == "Needs reconnect"
    assert [status_label(s) for s in STATUS_LABELS] == ["Active", "Needs reconnect", "Error", "Revoked"]
    now = datetime.now(UTC)
    view = ConnectionView(1, 1, "Acme", "calendly", "Calendly", "oauth2", "needs_reauth", False, None, now, None,
                          None, now, None, None, None, "label", {}, 0)
    assert connections_frame([view])["status"].tolist() == ["Needs reconnect"]


def test_no_page_or_service_spells_a_status_its_own_way():
    spelled = re.compile(r"needs[ -]reauth|NEEDS REAUTH|\.status\.replace\(", re.IGNORECASE)
    found = [f"{p.relative_to(ROOT)}:{n}" for folder in ("pages", "services/connect", "services/monitoring",
                                                          "services/guides", "services/build", "services/core",
                                                          "services/runtime", "services/commands")
             for p in sorted((ROOT / folder).rglob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if spelled.search(line)]
    assert found == []


def test_a_connection_chooser_label_does_not_hold_its_status():
    """A selectbox keeps its choice as the label's text: a status in it goes stale when a test changes it."""
    match = Match(7, 1, "Acme", "Pro", "calendly", "Calendly", "oauth2", "needs_reauth", False, None, None, None, "id")
    assert "reauth" not in match.label.lower() and "reconnect" not in match.label.lower()


def test_plural():
    assert plural(1, "upvote") == "1 upvote"
    assert plural(0, "upvote") == "0 upvotes"
    assert plural(1200, "organization") == "1,200 organizations"
    assert plural(2, "entry", "entries") == "2 entries"


def test_blank_missing_replaces_none_in_text_columns_only():
    frame = pd.DataFrame({"name": ["Ana", None], "n": [1.0, None], "when": [pd.Timestamp("2026-01-01"), None]})
    shown = blank_missing(frame)
    assert shown["name"].tolist() == ["Ana", BLANK]
    assert shown["n"].isna().tolist() == [False, True] and shown["when"].isna().tolist() == [False, True]


def test_the_cli_connections_table_names_the_status_as_the_pages_do(session, world, monkeypatch, capsys):
    """`layers-hub connections list` printed the raw ``needs_reauth``; the table is for people, JSON for scripts."""
    import json

    from db.models import Connection
    from services.cli import main
    from tests.health_support import sandbox_connection

    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    session.get(Connection, conn_id).status = "needs_reauth"
    session.commit()
    assert main(["connections", "list"]) == 0
    out = capsys.readouterr().out
    assert "Needs reconnect" in out and "needs_reauth" not in out
    assert main(["connections", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "needs_reauth", "scripts keep the stored value"


def test_a_run_on_a_connection_that_needs_reconnecting_names_the_status_once(session, world):
    from db.models import Connection
    from services.runtime.executors.run import run_action
    from tests.health_support import sandbox_connection

    conn_id = sandbox_connection(session, world.org_id, "calendly", "acme")
    session.get(Connection, conn_id).status = "needs_reauth"
    session.commit()
    result = run_action(conn_id, "get_scheduled_events", {})
    assert not result.ok and "is marked Needs reconnect" in result.error["message"], result.error
