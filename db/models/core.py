"""The Hub's tables. Later issues extend them through new migrations, never by editing old ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime, created, intpk, name, slug, utcnow

ROLES = ("pm", "engineer", "support", "leadership", "admin")
INTEGRATION_STATUSES = ("requested", "planned", "building", "testing", "available", "deprecated")
CHECKLIST_STATES = ("todo", "done", "not_applicable")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Tier(Base):
    """A customer plan; its weight multiplies every upvote of its users in the ranking."""

    __tablename__ = "tiers"
    id: Mapped[intpk]
    slug: Mapped[slug] = mapped_column(unique=True)
    name: Mapped[name]
    weight: Mapped[float] = mapped_column(Float)
    is_high: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (CheckConstraint("weight >= 0", name="weight_not_negative"),)


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[intpk]
    name: Mapped[name] = mapped_column(unique=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    created_at: Mapped[created]
    tier: Mapped[Tier] = relationship()


class User(Base):
    """A Layers customer user (an upvoter), not a Hub staff member."""

    __tablename__ = "users"
    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[name]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    created_at: Mapped[created]
    organization: Mapped[Organization] = relationship()
    tier: Mapped[Tier] = relationship()


class Integration(Base):
    __tablename__ = "integrations"
    id: Mapped[intpk]
    slug: Mapped[slug] = mapped_column(unique=True)
    name: Mapped[name]
    category: Mapped[str] = mapped_column(String(64), index=True)
    auth_method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    existing: Mapped[bool] = mapped_column(Boolean, default=False)
    upvoting_open: Mapped[bool] = mapped_column(Boolean, default=True)
    top10_rank: Mapped[int | None] = mapped_column(Integer)
    seed_priority: Mapped[str | None] = mapped_column(String(16))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner: Mapped[str | None] = mapped_column(String(254))  # staff email (build tracker)
    target_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    __table_args__ = (CheckConstraint(_in("status", INTEGRATION_STATUSES), name="status_known"),)


class Upvote(Base):
    __tablename__ = "upvotes"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    created_at: Mapped[created]
    comment: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("user_id", "integration_id"),
        Index("ix_upvotes_integration_id_created_at", "integration_id", "created_at"),
    )


class ChecklistItem(Base):
    """One item of an integration's build or testing checklist (template key is stable)."""

    __tablename__ = "checklist_items"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    step: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), default="todo")
    note: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    na_reason: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        UniqueConstraint("integration_id", "key"),
        CheckConstraint(_in("state", CHECKLIST_STATES), name="state_known"),
    )


class Connection(Base):
    """A customer's credentials for one integration; secrets live only in the encrypted blob."""

    __tablename__ = "connections"
    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(200))
    auth_type: Mapped[str] = mapped_column(String(32))
    credential_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Added by 0004 (credentials): see services/connections.py
    created_by: Mapped[str | None] = mapped_column(String(254))
    base_url: Mapped[str | None] = mapped_column(String(500))
    provider_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    secret_hint: Mapped[str | None] = mapped_column(String(16))
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class OAuthState(Base):
    """Server-side OAuth `state` (session state does not survive the provider redirect)."""

    __tablename__ = "oauth_states"
    id: Mapped[intpk]
    state: Mapped[str] = mapped_column(String(128), unique=True)
    code_verifier: Mapped[str | None] = mapped_column(String(256))
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    created_at: Mapped[created]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Added by 0004 (credentials): the exact redirect URI sent, a reconnect target, sandbox flows
    redirect_uri: Mapped[str | None] = mapped_column(String(500))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ApiCall(Base):
    __tablename__ = "api_calls"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    action: Mapped[str | None] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(8), default="test")
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    error_category: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[created]
    __table_args__ = (Index("ix_api_calls_integration_id_created_at", "integration_id", "created_at"),)


class TestRun(Base):
    __tablename__ = "test_runs"
    __test__ = False  # not a pytest class
    id: Mapped[intpk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    action: Mapped[str | None] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(8), default="test")
    input: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ok: Mapped[bool] = mapped_column(Boolean)
    staff_email: Mapped[str] = mapped_column(String(254))
    ticket: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created]


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[intpk]
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[created]
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    """Outbox row: one per upvoter when an integration becomes Available; sent separately."""

    __tablename__ = "notifications"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (UniqueConstraint("user_id", "integration_id", "channel"),)


class StaffUser(Base):
    """A Hub user (Layers staff); the role decides which pages they see."""

    __tablename__ = "staff_users"
    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[name]
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created]
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[intpk]
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[created]
    __table_args__ = (Index("ix_audit_log_entity_type_entity_id", "entity_type", "entity_id"),)


