"""Alert deliveries from the pages and the CLI: on the queue (PostgreSQL) a check, a test run, a sweep or "Evaluate
alerts now" queues one retried ``deliver_alert`` job per event and channel (``tasks.alert_sender``), as the sweep
jobs do; embedded (SQLite) they deliver inline, since a CLI process could exit before the in-process runner had."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from db.models.health import AlertDelivery
from db.session import session_scope
from services.jobs import tasks
from services.monitoring.checks import check_connection
from services.monitoring.runs import run_test
from services.monitoring.sweep import run_sweep
from services.people.staff import Staff
from services.sandbox import faults
from tests.health_support import WebhookSink, clean_sandbox, organization, sandbox_connection  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Staff(3, "support@layers.example", "Sam", "support", True)
ALERTING = ("evaluate_and_deliver", "check_connection", "run_test", "run_sweep")


def test_alert_sender_queues_on_postgresql_and_is_inline_on_sqlite(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HUB_JOBS", raising=False)
    assert tasks.alert_sender("sqlite:///hub.db") is None
    assert tasks.alert_sender("postgresql+psycopg://hub@db.example/hub") is tasks.deliver_later
    monkeypatch.setenv("DATABASE_URL", "postgresql://hub@db.example/hub")      # the default: this process's database
    assert tasks.alert_sender() is tasks.deliver_later
    monkeypatch.setenv("HUB_JOBS", "embedded")                                 # PostgreSQL without workers
    assert tasks.alert_sender() is None


def _calls(path: Path) -> list[tuple[int, str, bool]]:
    """(line, function, passes send=) of each call of an alerting function in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in ALERTING:
                out.append((node.lineno, name, any(k.arg == "send" for k in node.keywords)))
    return out


def test_every_page_and_command_says_how_its_alerts_are_delivered():
    """A caller left on the default would deliver inline in the page request or CLI, never retried."""
    files = sorted([*(ROOT / "pages").rglob("*.py"), *(ROOT / "services" / "commands").rglob("*.py")])
    calls = {(str(p.relative_to(ROOT)), line, name): has_send for p in files for line, name, has_send in _calls(p)}
    assert {name for _, _, name in calls} == set(ALERTING), "the guard sees every kind of caller"
    assert [k for k, has_send in calls.items() if not has_send] == []


def _enterprise_wordpress_down(session) -> int:  # type: ignore[no-untyped-def]
    """A WordPress connection of an enterprise organization (alerts at 2 consecutive failures) whose calls fail."""
    org = organization(session, "Enterprise Agency", "enterprise")
    conn_id = sandbox_connection(session, org, "wordpress", "down")
    faults.arm(faults.Fault("wordpress", "*", "server_error", times=8))
    return conn_id


CALLERS: dict[str, Callable[[int, Any], object]] = {
    "check": lambda conn_id, send: check_connection(conn_id, actor=SUPPORT.email, send=send),
    "run": lambda conn_id, send: run_test(conn_id, "get_posts", {"per_page": 5}, staff=SUPPORT, send=send),
    "sweep": lambda conn_id, send: run_sweep(actor=SUPPORT.email, connection_ids=[conn_id], send=send),
}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("caller", list(CALLERS))
def test_a_page_or_cli_call_on_postgresql_queues_its_alert_deliveries(session, creds_env, caller: str,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUB_JOBS", "queue")
    conn_id = _enterprise_wordpress_down(session)
    with WebhookSink() as sink:
        monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("HUB_ALERT_EMAIL", "oncall@layers.example")
        CALLERS[caller](conn_id, tasks.alert_sender())
        with session_scope() as s:
            queued = s.execute(text("SELECT args, status::text FROM procrastinate_jobs "
                                    "WHERE task_name = 'deliver_alert'")).all()
            delivered = s.scalars(select(AlertDelivery)).all()
        assert sorted((args["channel"], args["event"]["event"], args["event"]["connection_id"], status)
                      for args, status in queued) == [("email", "alert.raised", conn_id, "todo"),
                                                      ("webhook", "alert.raised", conn_id, "todo")]
        assert delivered == [] and sink.received == [], "nothing delivered inline: a worker sends it, with retries"


def test_alerts_whose_deliveries_cannot_be_queued_are_delivered_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queueing fails (the database dropped the connection at that moment): the events are already recorded and
    would never be evaluated again, so they are delivered inline once rather than lost."""
    from contextlib import nullcontext

    from services.monitoring import alerts

    events = [object(), object()]
    delivered: list[list[object]] = []
    monkeypatch.setattr(alerts, "session_scope", lambda url=None: nullcontext(None))
    monkeypatch.setattr(alerts, "evaluate", lambda session, **kw: events)
    monkeypatch.setattr(alerts, "deliver", lambda evs, **kw: delivered.append(evs) or [])

    def failing(evs: list[object]) -> int:
        raise RuntimeError("server closed the connection unexpectedly")

    assert alerts.evaluate_and_deliver(send=failing) == events
    assert delivered == [events]
    assert alerts.evaluate_and_deliver(send=lambda evs: len(evs)) == events
    assert delivered == [events]                       # queued: not delivered inline as well
