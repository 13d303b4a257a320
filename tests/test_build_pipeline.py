"""The status pipeline: gates per forward move, override, Available's effects, idempotence, CLI."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from db.base import utcnow
from db.models import AuditEntry, ChecklistItem, Integration, Notification
from db.models.build import StatusChange
from db.session import session_scope
from services.build import notifications, pipeline, tracker
from services.build.evidence import GUIDE_ITEMS
from services.cli import main
from services.core.errors import InvalidInput, PermissionDenied
from services.guides import publishing, written
from tests.build_fixtures import ADMIN, ENGINEER, LEADER, PM, add_staff, add_upvoters, complete_steps

ALL_STEPS = set(range(1, 9))


def status(session, slug: str) -> str:
    return session.scalar(select(Integration.status).where(Integration.slug == slug))


def move(session, to: str, slug: str = "hubspot", actor: str = ENGINEER, reason: str | None = None) -> Integration:
    return pipeline.change_status(session, actor=actor, slug=slug, to_status=to, override_reason=reason)


@pytest.fixture
def staffed(session):
    add_staff(session)
    return session


def test_requested_to_planned_needs_nothing_and_a_pm_may_plan(staffed):
    row = move(staffed, "planned", actor=PM)
    assert row.status == "planned"
    change = staffed.scalar(select(StatusChange))
    assert (change.from_status, change.to_status, change.actor, change.override_reason) == (
        "requested", "planned", PM, None)
    audit = staffed.scalar(select(AuditEntry).where(AuditEntry.action == "integration.status_changed"))
    assert audit.before["status"] == "requested" and audit.after["status"] == "planned"


@pytest.mark.parametrize(("target", "steps_needed"), [
    ("building", {1}), ("testing", {1, 2, 3, 4, 5}), ("available", ALL_STEPS)])
def test_each_forward_move_is_refused_until_its_steps_are_done_then_allowed(staffed, target, steps_needed):
    previous = pipeline.PIPELINE[pipeline.PIPELINE.index(target) - 1]
    staffed.get(Integration, staffed.scalar(select(Integration.id).where(Integration.slug == "hubspot"))).status = \
        previous
    staffed.flush()
    # everything but one item of the last needed step
    last = max(steps_needed)
    open_item = next(i for s in tracker.checklist(staffed, "hubspot", with_evidence=False) if s.number == last
                     for i in s.items if i.state == "open" and i.key not in pipeline.DONE_BY_AVAILABLE)
    complete_steps(staffed, "hubspot", steps_needed, skip={open_item.key})
    with pytest.raises(pipeline.TransitionRefused) as refused:
        move(staffed, target)
    assert refused.value.missing == [open_item.key]
    assert open_item.title in str(refused.value) and open_item.key in str(refused.value)
    assert status(staffed, "hubspot") == previous

    tracker.tick(staffed, actor=ENGINEER, slug="hubspot", key=open_item.key)
    assert move(staffed, target).status == target


def test_refusal_names_every_missing_item_of_the_earlier_steps(staffed):
    move(staffed, "planned")
    with pytest.raises(pipeline.TransitionRefused) as refused:
        move(staffed, "testing")       # skipping ahead needs the same items as going step by step
    missing = refused.value.missing
    assert "research.review_api_docs" in missing and "executor.errors" in missing
    assert not any(k.startswith(("testing.", "docs.", "check.")) for k in missing)
    assert "credentials.webhook.secret" in missing           # HubSpot has triggers (webhooks)
    lines = str(refused.value).splitlines()                  # grouped under each step, as on the page
    step4 = lines.index(next(line for line in lines if line.startswith("  Step 4 · API Client Implementation (")))
    assert "    - Handle rate limits (retry with backoff) [client.errors.rate_limits]" in lines[step4:]


def test_not_applicable_items_count_as_done_for_the_gate(staffed):
    move(staffed, "planned", slug="make")
    for step in tracker.checklist(staffed, "make", with_evidence=False):
        for item in step.items:
            if step.number == 1 and item.state == "open":
                tracker.mark_not_applicable(staffed, actor=ENGINEER, slug="make", key=item.key, reason="covered")
    assert move(staffed, "building", slug="make").status == "building"


def test_admin_override_with_a_reason_is_kept_audited_and_shown(staffed):
    move(staffed, "planned")
    with pytest.raises(PermissionDenied, match="only an admin"):
        move(staffed, "building", reason="I am sure")
    row = move(staffed, "building", actor=ADMIN, reason="Research done in the RFC, ticking later")
    assert row.status == "building"
    shown = pipeline.last_override(staffed, "hubspot")
    assert shown.override_reason == "Research done in the RFC, ticking later" and shown.actor == ADMIN
    assert "research.review_api_docs" in shown.skipped
    audit = staffed.scalars(select(AuditEntry).where(AuditEntry.action == "integration.status_changed")
                            .order_by(AuditEntry.id.desc())).first()
    assert audit.actor == ADMIN and audit.after["override_reason"].startswith("Research done")
    assert "research.review_api_docs" in audit.after["skipped"]


@pytest.mark.parametrize("actor", [PM, LEADER])
def test_only_engineers_and_admins_move_beyond_planning(staffed, actor):
    move(staffed, "planned")
    complete_steps(staffed, "hubspot", {1})
    with pytest.raises(PermissionDenied):
        move(staffed, "building", actor=actor)


def test_backward_moves_are_free_and_available_only_deprecates(staffed):
    move(staffed, "planned")
    assert move(staffed, "requested").status == "requested"
    with pytest.raises(InvalidInput, match="deprecated"):
        move(staffed, "deprecated")
    with pytest.raises(InvalidInput, match="can only move to deprecated"):
        move(staffed, "testing", slug="stripe")          # an existing integration is Available
    assert move(staffed, "deprecated", slug="stripe").status == "deprecated"
    assert move(staffed, "available", slug="stripe").status == "available"   # existing: no build gate
    with pytest.raises(InvalidInput, match="status"):
        move(staffed, "shipped")


def make_ready(session, slug: str = "hubspot") -> None:
    integration = session.scalar(select(Integration).where(Integration.slug == slug))
    integration.status = "testing"
    complete_steps(session, slug, ALL_STEPS, skip=set(pipeline.DONE_BY_AVAILABLE))


def test_available_closes_upvoting_ticks_step_7_and_writes_one_notification_per_upvoter(staffed):
    fans = add_upvoters(staffed, "hubspot", 5)
    add_upvoters(staffed, "salesforce", 3, prefix="other")       # not notified
    make_ready(staffed)
    row = move(staffed, "available")
    assert row.status == "available" and row.upvoting_open is False
    rows = staffed.scalars(select(Notification).where(Notification.integration_id == row.id)).all()
    assert sorted(n.user_id for n in rows) == sorted(u.id for u in fans)
    assert {(n.channel, n.status, n.attempts) for n in rows} == {("email", "pending", 0)}
    assert staffed.scalar(select(func.count()).select_from(Notification)) == 5
    items = {i.key: i for s in tracker.checklist(staffed, "hubspot") for i in s.items}
    assert all(items[k].state == "done" for k in pipeline.DONE_BY_AVAILABLE)
    assert items["docs.remove_upvote"].evidence.summary == "upvoting closed"
    audit = staffed.scalars(select(AuditEntry).where(AuditEntry.action == "integration.status_changed")).all()[-1]
    assert audit.after["notifications_written"] == 5 and audit.after["upvoting_open"] is False


def test_available_needs_the_guide_published_now_not_just_ticked(staffed, tmp_path, monkeypatch):
    make_ready(staffed)                                   # publishing hubspot's guide ticked the guide items
    guide_keys = list(GUIDE_ITEMS)
    assert pipeline.missing_items(staffed, "hubspot", "available") == []
    # an edit that drops a section: the publication row stays, the ticks stay, but the guide is not published
    text = (written.GUIDES_DIR / "hubspot.md").read_text()
    (tmp_path / "hubspot.md").write_text(text.split("## Common use cases")[0])
    monkeypatch.setattr(written, "GUIDES_DIR", tmp_path)
    with pytest.raises(pipeline.TransitionRefused) as refused:
        move(staffed, "available")
    assert refused.value.missing == guide_keys
    assert "Write integration guide (ticked, but the guide is incomplete)" in str(refused.value)
    monkeypatch.undo()
    assert move(staffed, "available").status == "available"


def test_unpublishing_reopens_the_guide_items_and_a_tick_written_around_the_tracker_does_not_pass(staffed):
    make_ready(staffed)
    publishing.unpublish(staffed, actor=ENGINEER, slug="hubspot")
    items = {i.key: i for s in tracker.checklist(staffed, "hubspot", with_evidence=False) for i in s.items}
    assert {items[k].state for k in GUIDE_ITEMS} == {"open"} and items["docs.guide"].note == "guide unpublished"
    with pytest.raises(pipeline.TransitionRefused) as refused:
        move(staffed, "available")
    assert refused.value.missing == list(GUIDE_ITEMS)
    integration_id = staffed.scalar(select(Integration.id).where(Integration.slug == "hubspot"))
    staffed.execute(update(ChecklistItem).where(ChecklistItem.integration_id == integration_id,
                                                ChecklistItem.key.in_(GUIDE_ITEMS)).values(state="done"))
    with pytest.raises(pipeline.TransitionRefused, match=r"\(ticked, but the guide is ready to publish\)"):
        move(staffed, "available")
    publishing.publish(staffed, actor=ENGINEER, slug="hubspot")
    assert move(staffed, "available").status == "available"


def test_writing_the_outbox_twice_adds_nothing(staffed):
    add_upvoters(staffed, "hubspot", 4)
    make_ready(staffed)
    row = move(staffed, "available")
    assert move(staffed, "available") is row                         # same status: no-op
    assert notifications.enqueue_for_upvoters(staffed, row) == 0
    move(staffed, "deprecated")
    move(staffed, "available")                                       # back again: nobody twice
    assert staffed.scalar(select(func.count()).select_from(Notification)) == 4


def test_a_refused_available_changes_nothing(staffed):
    add_upvoters(staffed, "hubspot", 2)
    staffed.scalar(select(Integration).where(Integration.slug == "hubspot")).status = "testing"
    with pytest.raises(pipeline.TransitionRefused):
        move(staffed, "available")
    assert staffed.scalar(select(func.count()).select_from(Notification)) == 0
    assert staffed.scalar(select(Integration.upvoting_open).where(Integration.slug == "hubspot")) is True


def _concurrently(n: int, work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    barrier, errors = threading.Barrier(n), []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_moves_to_available_write_one_notification_per_upvoter(db_url, session):
    """Threads on their own connections (PostgreSQL: real row locks; SQLite: the write lock)."""
    add_staff(session)
    add_upvoters(session, "hubspot", 40)
    make_ready(session)
    session.commit()

    def make_available() -> None:
        with session_scope(db_url) as s:
            move(s, "available")
    assert _concurrently(6, make_available) == []
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Notification)) == 40
    assert session.scalar(select(func.count()).select_from(StatusChange)
                          .where(StatusChange.to_status == "available")) == 1


def test_concurrent_outbox_writes_insert_each_upvoter_once(db_url, session):
    """No row lock here: only ON CONFLICT DO NOTHING on the unique key keeps rows single."""
    add_upvoters(session, "calendly", 60)
    session.commit()
    written: list[int] = []

    def enqueue() -> None:
        with session_scope(db_url) as s:
            integration = s.scalar(select(Integration).where(Integration.slug == "calendly"))
            written.append(notifications.enqueue_for_upvoters(s, integration))
    assert _concurrently(8, enqueue) == []
    assert sum(written) == 60 and sorted(written)[-1] == 60          # one writer inserted all, the rest nothing
    assert session.scalar(select(func.count()).select_from(Notification)) == 60


def test_sequential_moves_on_separate_connections_stay_single(db_url, session):
    add_staff(session)
    add_upvoters(session, "hubspot", 3)
    make_ready(session)
    session.commit()
    for _ in range(2):
        with session_scope(db_url) as s:
            move(s, "available")
    assert session.scalar(select(func.count()).select_from(Notification)) == 3
    assert session.scalar(select(Integration.status_changed_at).where(Integration.slug == "hubspot")) <= utcnow()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_status_set_refused_lists_items_and_override(db_url, session, capsys):
    add_staff(session)
    session.commit()
    code, out, _ = run(capsys, "status", "set", "hubspot", "planned")
    assert code == 0 and "hubspot is now planned" in out
    code, _, err = run(capsys, "status", "set", "hubspot", "building")
    assert code == 3 and "research.review_api_docs" in err and "Review integration's API documentation" in err
    headers = [line for line in err.splitlines() if line.startswith("  Step ")]
    assert [h.split(" · ")[0] for h in headers] == [f"  Step {n}" for n in range(1, len(headers) + 1)], err
    assert "    - Review integration's API documentation [research.review_api_docs]" in err.splitlines()
    code, _, err = run(capsys, "status", "set", "hubspot", "building", "--override-reason", "spike", "--as", ENGINEER)
    assert code == 2 and "only an admin" in err
    code, out, _ = run(capsys, "status", "set", "hubspot", "building", "--override-reason", "spike", "--as", ADMIN)
    assert code == 0 and "building" in out
    code, _, err = run(capsys, "status", "set", "hubspot", "shipped")
    assert code == 2 and "invalid choice" in err
