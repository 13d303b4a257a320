"""`layers-hub staff list|add|set-role` (issue 14): the Staff & roles page's service, from scripts; audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import ROLES, AuditEntry, StaffUser
from services.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _staff(session, email: str) -> StaffUser | None:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(StaffUser).where(StaffUser.email == email))


def _audit(session, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_add_list_and_set_role_are_audited(session, capsys, monkeypatch):
    monkeypatch.setenv("HUB_ACTOR", "ops@layers.example")
    monkeypatch.delenv("HUB_STAFF_DOMAINS", raising=False)
    code, out, err = run(capsys, "staff", "add", "Dana@Layers.example", "--role", "engineer", "--name", "Dana")
    assert code == 0 and err == "", err
    assert "dana@layers.example" in out and "engineer" in out
    row = _staff(session, "dana@layers.example")
    assert row is not None and (row.role, row.name, row.active) == ("engineer", "Dana", True)
    created = _audit(session, "staff.created")
    assert created[-1].actor == "ops@layers.example" and created[-1].after["role"] == "engineer"

    code, out, err = run(capsys, "staff", "set-role", "dana@layers.example", "pm")
    assert code == 0, err
    assert "engineer → pm" in out
    row = _staff(session, "dana@layers.example")
    assert row is not None and (row.role, row.name, row.active) == ("pm", "Dana", True)
    updated = _audit(session, "staff.updated")
    assert updated[-1].before["role"] == "engineer" and updated[-1].after["role"] == "pm"

    code, out, err = run(capsys, "staff", "list", "--format", "json")
    assert code == 0, err
    people = {p["email"]: p for p in json.loads(out)}
    assert people["dana@layers.example"] == {"id": row.id, "email": "dana@layers.example", "name": "Dana",
                                             "role": "pm", "active": True}
    code, out, err = run(capsys, "staff", "list")
    assert code == 0 and "dana@layers.example" in out and out.splitlines()[0].split()[:3] == ["id", "email", "name"]


def test_add_without_name_uses_the_address_and_refuses_an_existing_one(session, capsys):
    code, out, err = run(capsys, "staff", "add", "lee.park@layers.example", "--role", "support")
    assert code == 0, err
    row = _staff(session, "lee.park@layers.example")
    assert row is not None and row.name == "lee.park"
    code, out, err = run(capsys, "staff", "add", "lee.park@layers.example", "--role", "admin")
    assert code == 2 and "already" in err and "set-role" in err and len(err.strip().splitlines()) == 1
    row = _staff(session, "lee.park@layers.example")
    assert row is not None and row.role == "support"


@pytest.mark.parametrize("argv", [["add", "kim@layers.example", "--role", "boss"],
                                  ["set-role", "kim@layers.example", "boss"]])
def test_unknown_role_is_refused_naming_the_valid_ones(session, capsys, argv):
    if argv[0] == "set-role":
        assert run(capsys, "staff", "add", "kim@layers.example", "--role", "pm")[0] == 0
    before = len(_audit(session, "staff.created")) + len(_audit(session, "staff.updated"))
    code, out, err = run(capsys, "staff", *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "'boss'" in err and all(role in err for role in ROLES)
    assert len(_audit(session, "staff.created")) + len(_audit(session, "staff.updated")) == before
    row = _staff(session, "kim@layers.example")
    assert row is None if argv[0] == "add" else row is not None and row.role == "pm"


def test_set_role_of_someone_unknown_and_a_bad_address(session, capsys):
    code, _, err = run(capsys, "staff", "set-role", "nobody@layers.example", "pm")
    assert code == 2 and "nobody@layers.example" in err and "not found" in err
    code, _, err = run(capsys, "staff", "add", "not-an-address", "--role", "pm")
    assert code == 2 and "not an email address" in err


def test_address_outside_the_staff_domains_is_warned_about(session, capsys, monkeypatch):
    monkeypatch.setenv("HUB_STAFF_DOMAINS", "layers.example,layers.dev")
    code, out, err = run(capsys, "staff", "add", "contractor@gmail.com", "--role", "support")
    assert code == 0
    assert "warning" in err and "gmail.com" in err and "@layers.example, @layers.dev" in err
    assert _staff(session, "contractor@gmail.com") is not None
    code, out, err = run(capsys, "staff", "set-role", "contractor@gmail.com", "engineer")
    assert code == 0 and "warning" in err
    code, out, err = run(capsys, "staff", "add", "inside@layers.dev", "--role", "support")
    assert code == 0 and err == ""
