"""Sending the outbox: through a fake SMTP server on loopback, retried, never twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Integration, Notification, User
from services.build import notifications
from services.cli import main
from services.core.errors import HubError, InvalidInput
from tests.build_fixtures import add_upvoters
from tests.fake_smtp import FakeSMTP


@pytest.fixture
def outbox(session):
    """Five upvoters of HubSpot with pending notifications (as the move to Available leaves them)."""
    fans = add_upvoters(session, "hubspot", 5)
    hubspot = session.scalar(select(Integration).where(Integration.slug == "hubspot"))
    assert notifications.enqueue_for_upvoters(session, hubspot) == 5
    session.commit()
    return [u.email for u in fans]


@pytest.fixture
def smtp():
    with FakeSMTP() as server:
        yield server


def statuses(session) -> dict[str, str]:
    session.expire_all()
    return dict(session.execute(select(User.email, Notification.status)
                                .join(User, User.id == Notification.user_id)).all())


def test_sends_each_pending_notification_once(db_url, session, outbox, smtp):
    report = notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    assert (report.sent, report.failed, report.skipped) == (5, 0, 0)
    assert sorted(smtp.recipients()) == sorted(outbox)
    first = smtp.messages[0].message
    assert first["Subject"] == "HubSpot is now available in Layers" and first["From"] == "hub@layers.example"
    assert "You upvoted HubSpot" in first.get_payload(decode=True).decode()
    assert set(statuses(session).values()) == {"sent"}
    assert all(n.sent_at is not None and n.attempts == 1 for n in session.scalars(select(Notification)))

    again = notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    assert again.sent == 0 and len(smtp.messages) == 5              # never twice
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notifications.sent")).all()
    assert audit[0].after["sent"] == 5 and audit[0].after["smtp"].startswith("127.0.0.1:")


def test_a_temporary_refusal_is_retried_later_without_duplicates(db_url, session, outbox, smtp):
    unlucky = outbox[2]
    smtp.fail_times[unlucky] = 1
    report = notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    assert (report.sent, report.failed) == (4, 1) and unlucky in report.errors[0]
    row = session.scalars(select(Notification).where(Notification.status == "failed")).one()
    assert row.attempts == 1 and "451" in row.last_error

    retry = notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    assert (retry.sent, retry.failed) == (1, 0)
    assert sorted(smtp.recipients()) == sorted(outbox)              # each exactly once
    assert set(statuses(session).values()) == {"sent"}
    session.expire_all()
    assert session.get(Notification, row.id).attempts == 2 and session.get(Notification, row.id).last_error is None


def test_gives_up_after_max_attempts(db_url, session, outbox, smtp):
    smtp.fail_times[outbox[0]] = 99
    for _ in range(notifications.MAX_ATTEMPTS + 2):
        notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    session.expire_all()
    stuck = session.scalars(select(Notification).where(Notification.status == "failed")).one()
    assert stuck.attempts == notifications.MAX_ATTEMPTS
    assert smtp.fail_times[outbox[0]] == 99 - notifications.MAX_ATTEMPTS


def test_concurrent_senders_never_send_twice(db_url, session, smtp):
    add_upvoters(session, "calendly", 30)
    calendly = session.scalar(select(Integration).where(Integration.slug == "calendly"))
    notifications.enqueue_for_upvoters(session, calendly)
    session.commit()
    reports, errors = [], []
    barrier = threading.Barrier(4)

    def sender() -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(notifications.send_pending(smtp_url=smtp.url, actor="cron"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.sent for r in reports) == 30
    assert len(smtp.recipients()) == len(set(smtp.recipients())) == 30


def test_a_row_left_in_sending_is_not_retried(db_url, session, outbox, smtp):
    row = session.scalars(select(Notification).order_by(Notification.id)).first()
    row.status = "sending"                       # a sender died after claiming it
    session.commit()
    stuck = session.get(User, row.user_id).email
    report = notifications.send_pending(smtp_url=smtp.url, actor="eng@layers.example")
    assert report.sent == 4 and stuck not in smtp.recipients()
    assert statuses(session)[stuck] == "sending"


def test_dry_run_and_missing_smtp_change_nothing(db_url, session, outbox):
    report = notifications.send_pending(smtp_url=None, actor="x", dry_run=True)
    assert report.dry_run and sorted(report.recipients) == sorted(outbox) and report.sent == 0
    with pytest.raises(HubError, match="SMTP_URL is not set: 5 notifications stay in the outbox"):
        notifications.send_pending(smtp_url=None, actor="x")
    with pytest.raises(HubError, match="cannot reach the SMTP server 127.0.0.1:9"):
        notifications.send_pending(smtp_url="smtp://user:secret@127.0.0.1:9", actor="x")
    assert set(statuses(session).values()) == {"pending"}          # nothing claimed


def test_smtp_url_forms_and_errors_hide_the_password():
    s = notifications.parse_smtp_url("smtp+starttls://mailer%40layers:p%40ss@mail.example?from=hub@layers.example")
    assert (s.host, s.port, s.security, s.username, s.password, s.sender) == (
        "mail.example", 587, "starttls", "mailer@layers", "p@ss", "hub@layers.example")
    assert notifications.parse_smtp_url("smtps://mail.example").port == 465
    assert "p@ss" not in s.where
    with pytest.raises(InvalidInput):
        notifications.parse_smtp_url("http://mail.example")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_notify_send_dry_run_then_send_then_list(db_url, session, outbox, smtp, capsys, monkeypatch):
    monkeypatch.delenv("SMTP_URL", raising=False)
    code, out, _ = run(capsys, "notify", "send", "--dry-run")
    assert code == 0 and "5 notifications would be sent" in out and outbox[0] in out
    code, _, err = run(capsys, "notify", "send")
    assert code == 2 and "SMTP_URL is not set" in err
    monkeypatch.setenv("SMTP_URL", smtp.url)
    code, out, _ = run(capsys, "notify", "send")
    assert code == 0 and "sent 5, failed 0" in out and len(smtp.messages) == 5
    code, out, _ = run(capsys, "notify", "list", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("id,integration,email") and out.count(",sent,") == 5
