"""Retention of the webhook tables (services/webhooks/retention.py): what is pruned and what is kept on
hand-built rows, dry runs delete nothing, one audit row per real run, and the CLI's output and exit codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import AuditEntry
from db.models.webhooks import WebhookDelivery, WebhookEvent, WebhookRejection, ZapierHook
from db.session import session_scope
from services.cli import main
from services.webhooks import retention


def _ago(days: float):  # type: ignore[no-untyped-def]
    return utcnow() - timedelta(days=days)


@pytest.fixture
def history(session, connect):  # type: ignore[no-untyped-def]
    """Rows on both sides of every rule; names say whether the default retention keeps them."""
    cal, zap = connect("calendly"), connect("zapier")

    def event(name: str, status: str, received: float, handled: float | None = None) -> WebhookEvent:
        row = WebhookEvent(connection_id=cal, service="calendly", event_type="invitee.created", dedupe_key=name,
                           scheme="calendly", status=status, payload={"name": name}, attempts=1,
                           received_at=_ago(received), handled_at=None if handled is None else _ago(handled))
        session.add(row)
        return row

    events = {"old_handled": event("old_handled", "handled", 120, 120),
              "old_ignored": event("old_ignored", "ignored", 100, 100),
              "recent_handled": event("recent_handled", "handled", 10, 10),
              "old_failed": event("old_failed", "failed", 200, 200),            # needs attention: replay it
              "old_received": event("old_received", "received", 200),          # never handled yet
              "old_replayed_recently": event("old_replayed_recently", "handled", 200, 3),
              "old_with_pending_delivery": event("old_with_pending_delivery", "handled", 150, 150)}
    hook = ZapierHook(connection_id=zap, event="calendly.event_scheduled", target_url="https://hooks.zapier.com/x")
    session.add(hook)
    session.flush()

    def delivery(name: str, status: str, created: float, finished: float | None,
                 event_row: WebhookEvent | None = None) -> WebhookDelivery:
        row = WebhookDelivery(hook_id=hook.id, event_id=event_row.id if event_row else None, msg_id=f"msg_{name}",
                              event=hook.event, payload={}, status=status, attempts=1, log=[],
                              created_at=_ago(created), finished_at=None if finished is None else _ago(finished))
        session.add(row)
        return row

    deliveries = {"old_delivered": delivery("old_delivered", "delivered", 100, 100),
                  "old_failed": delivery("old_failed", "failed", 100, 100),
                  "old_disabled": delivery("old_disabled", "disabled", 100, 100),
                  "recent_delivered_of_old_event": delivery("recent_delivered_of_old_event", "delivered", 5, 5,
                                                            events["old_handled"]),
                  "old_pending": delivery("old_pending", "pending", 150, None, events["old_with_pending_delivery"]),
                  "old_sending": delivery("old_sending", "sending", 150, 150)}
    for name, days in (("old", 20), ("recent", 5)):
        session.add(WebhookRejection(connection_id=cal, service="calendly", status_code=401,
                                     reason=f"verification failed: {name}", received_at=_ago(days)))
    session.commit()
    return {"events": {k: v.id for k, v in events.items()}, "deliveries": {k: v.id for k, v in deliveries.items()}}


def _left() -> dict[str, set[str]]:
    with session_scope() as s:
        return {"events": set(s.scalars(select(WebhookEvent.dedupe_key))),
                "deliveries": {m.removeprefix("msg_") for m in s.scalars(select(WebhookDelivery.msg_id))},
                "rejections": {r.removeprefix("verification failed: ")
                               for r in s.scalars(select(WebhookRejection.reason))}}


def _audits() -> list[AuditEntry]:
    with session_scope() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "webhooks.pruned")).all()
        s.expunge_all()
        return list(rows)


def test_default_retention_prunes_old_finished_rows_and_keeps_what_needs_attention(history):
    with session_scope() as s:
        report = retention.prune(s, actor="ops@layers.example")
    assert (report.deliveries, report.events, report.rejections) == (3, 2, 1)
    assert _left() == {
        "events": {"recent_handled", "old_failed", "old_received", "old_replayed_recently",
                   "old_with_pending_delivery"},
        "deliveries": {"recent_delivered_of_old_event", "old_pending", "old_sending"},
        "rejections": {"recent"}}
    with session_scope() as s:   # the kept delivery of a pruned event lost only its link
        kept = s.get(WebhookDelivery, history["deliveries"]["recent_delivered_of_old_event"])
        assert kept.event_id is None and kept.status == "delivered"
    [entry] = _audits()
    assert entry.actor == "ops@layers.example" and entry.entity_type == "webhooks"
    assert entry.after == {"deliveries": 3, "events": 2, "rejections": 1, "event_days": 90, "rejection_days": 14}


def test_a_dry_run_counts_the_same_rows_and_deletes_nothing(history):
    before = _left()
    with session_scope() as s:
        dry = retention.prune(s, actor="ops", dry_run=True)
    assert dry.dry_run and (dry.deliveries, dry.events, dry.rejections) == (3, 2, 1) and dry.total == 6
    assert _left() == before and _audits() == []


def test_shorter_limits_prune_more_but_never_open_work(history):
    seen: list[tuple[str, int]] = []
    with session_scope() as s:
        report = retention.prune(s, actor="ops", event_days=0, rejection_days=0,
                                 progress=lambda table, rows: seen.append((table, rows)))
    assert seen == [("webhook_deliveries", 4), ("webhook_events", 4), ("webhook_rejections", 2)]
    assert report.total == 10
    assert _left() == {"events": {"old_failed", "old_received", "old_with_pending_delivery"},
                       "deliveries": {"old_pending", "old_sending"}, "rejections": set()}


def test_negative_days_are_refused(session):
    with pytest.raises(ValueError):
        retention.prune(session, actor="ops", event_days=-1)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits on usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prune_prints_counts_per_table_and_is_audited(history, capsys, monkeypatch):
    code, out, _ = run(capsys, "webhooks", "prune", "--dry-run")
    assert code == 0 and out.splitlines()[-1] == "dry run: would delete 6 rows, nothing deleted"
    lines = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:5]}
    assert lines == {"webhook_deliveries": ["3", "90"], "webhook_events": ["2", "90"],
                     "webhook_rejections": ["1", "14"]}
    assert _audits() == []

    monkeypatch.setenv("HUB_ACTOR", "ops@layers.example")
    code, out, _ = run(capsys, "webhooks", "prune", "--older-than", "365", "--rejections-older-than", "0")
    assert code == 0 and out.splitlines()[-1] == "deleted 2 rows (audited as webhooks.pruned)"
    assert _left()["rejections"] == set() and len(_left()["events"]) == 7
    [entry] = _audits()
    assert entry.actor == "ops@layers.example" and entry.after["rejections"] == 2 and entry.after["event_days"] == 365


@pytest.mark.parametrize("argv", [["--older-than", "-1"], ["--older-than", "soon"],
                                  ["--rejections-older-than", "-3"], ["--days", "3"]])
def test_cli_prune_refuses_bad_input_with_status_2(argv, history, capsys):
    code, out, err = run(capsys, "webhooks", "prune", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(WebhookRejection)) == 2


def test_cli_prune_as_an_unknown_staff_user_fails_and_deletes_nothing(history, capsys):
    code, _, err = run(capsys, "webhooks", "prune", "--as", "nobody@layers.example")
    assert code == 2 and "not an active staff user" in err
    assert len(_left()["rejections"]) == 2 and _audits() == []
