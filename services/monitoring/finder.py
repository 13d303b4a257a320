"""Find a customer's connections by organization name, customer user email or connection id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Connection, Integration, Organization, TestRun, Tier, User


@dataclass(frozen=True)
class LastTest:
    ok: bool
    at: datetime
    what: str            # "check" or the action key
    mode: str


@dataclass(frozen=True)
class Match:
    id: int
    organization_id: int
    organization: str
    tier: str
    integration_slug: str
    integration: str
    auth_type: str
    status: str
    sandbox: bool
    expires_at: datetime | None
    last_checked_at: datetime | None
    last_error: str | None
    matched_by: str
    last_tests: tuple[LastTest, ...] = ()

    @property
    def label(self) -> str:
        # no status here: a chooser keeps its choice as this text, and a test may change the status
        return f"#{self.id} · {self.organization} · {self.integration}" + (" (sandbox)" if self.sandbox else "")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, query: str, *, limit: int = 100) -> list[Match]:
    """Connections matching ``query``: ``#12``/``12`` (connection id), an email (the customer's users) or
    part of an organization name; an empty query lists every connection (up to ``limit``)."""
    text = (query or "").strip()
    base = (select(Connection, Organization, Integration, Tier)
            .join(Organization, Organization.id == Connection.organization_id)
            .join(Integration, Integration.id == Connection.integration_id)
            .join(Tier, Tier.id == Organization.tier_id))
    matched_by: dict[int, str] = {}
    if re.fullmatch(r"#?\d+", text):
        query_ = base.where(Connection.id == int(text.lstrip("#")))
        reason = "connection id"
    elif "@" in text:
        users = session.execute(select(User.organization_id, User.email)
                                .where(func.lower(User.email).like(f"%{_escape(text.lower())}%", escape="\\"))
                                .order_by(User.email).limit(50)).all()
        matched_by = {org: f"user {email}" for org, email in reversed(users)}
        query_ = base.where(Connection.organization_id.in_(list(matched_by)))
        reason = "user email"
    elif text:
        pattern = f"%{_escape(text.lower())}%"
        query_ = base.where(or_(func.lower(Organization.name).like(pattern, escape="\\"),
                                func.lower(Integration.name).like(pattern, escape="\\")))
        reason = "name"
    else:
        query_, reason = base, "—"
    rows = session.execute(query_.order_by(Organization.name, Integration.name, Connection.id).limit(limit)).all()
    recent = last_tests(session, [c.id for c, *_ in rows])
    return [Match(c.id, o.id, o.name, t.name, i.slug, i.name, c.auth_type, c.status, c.sandbox, c.expires_at,
                  c.last_checked_at, c.last_error, matched_by.get(o.id, reason), tuple(recent.get(c.id, ())))
            for c, o, i, t in rows]


def last_tests(session: Session, connection_ids: list[int], per_connection: int = 3) -> dict[int, list[LastTest]]:
    """The latest test runs (checks and actions) of each connection, newest first."""
    if not connection_ids:
        return {}
    ranked = (select(TestRun.connection_id, TestRun.ok, TestRun.created_at, TestRun.action, TestRun.mode,
                     func.row_number().over(partition_by=TestRun.connection_id,
                                            order_by=(TestRun.created_at.desc(), TestRun.id.desc())).label("n"))
              .where(TestRun.connection_id.in_(connection_ids)).subquery())
    out: dict[int, list[LastTest]] = {}
    for cid, ok, at, action, mode, _ in session.execute(select(ranked).where(ranked.c.n <= per_connection)
                                                        .order_by(ranked.c.connection_id, ranked.c.n)):
        out.setdefault(cid, []).append(LastTest(ok, at, action or "check", mode))
    return out
