"""Models round-trip on the configured database; constraints hold."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import (
    ApiCall,
    AuditEntry,
    ChecklistItem,
    Connection,
    Integration,
    Notification,
    OAuthState,
    Organization,
    StaffUser,
    TestRun,
    Tier,
    Upvote,
    User,
)


@pytest.fixture
def people(session):
    tier = session.scalar(select(Tier).where(Tier.slug == "agency"))
    org = Organization(name="Round Trip Agency", tier_id=tier.id)
    session.add(org)
    session.flush()
    user = User(email="ana@roundtrip.example", name="Ana", organization_id=org.id, tier_id=tier.id)
    staff = StaffUser(email="eng@layers.example", name="Eng", role="engineer")
    session.add_all([user, staff])
    session.flush()
    return org, user, staff


def hubspot(session) -> Integration:
    return session.scalar(select(Integration).where(Integration.slug == "hubspot"))


def test_every_model_round_trips(session, people):
    org, user, staff = people
    integration = hubspot(session)
    when = datetime(2026, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    conn = Connection(organization_id=org.id, integration_id=integration.id, auth_type="oauth2",
                      credential_blob=b"\x00\x01ciphertext\xff", key_id="k1", config={"portal": 42},
                      expires_at=when)
    session.add_all([
        Upvote(user_id=user.id, integration_id=integration.id, created_at=when, comment="please"),
        conn,
        Notification(user_id=user.id, integration_id=integration.id, channel="email"),
        AuditEntry(actor=staff.email, action="x.y", entity_type="integration", entity_id="hubspot",
                   before={"a": 1}, after={"a": [1, 2], "b": None}),
    ])
    session.flush()
    session.add_all([
        OAuthState(state="s" * 40, code_verifier="v" * 50, staff_user_id=staff.id, organization_id=org.id,
                   integration_id=integration.id, expires_at=when + timedelta(minutes=10)),
        ApiCall(integration_id=integration.id, connection_id=conn.id, action="create_contact", method="POST",
                url="https://api.hubapi.com/crm/v3/objects/contacts", status_code=201, duration_ms=12.5),
        TestRun(connection_id=conn.id, action="create_contact", input={"email": "a@b.example"},
                result={"ok": True}, ok=True, staff_email=staff.email, ticket="SUP-1"),
    ])
    session.commit()
    session.expunge_all()

    up = session.scalar(select(Upvote).where(Upvote.user_id == user.id))
    assert up.comment == "please"
    assert up.created_at == when and up.created_at.tzinfo is not None
    stored = session.scalar(select(Connection).where(Connection.id == conn.id))
    assert stored.credential_blob == b"\x00\x01ciphertext\xff"
    assert stored.config == {"portal": 42}
    assert stored.expires_at == when
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "x.y"))
    assert entry.after == {"a": [1, 2], "b": None}
    assert session.scalar(select(TestRun.input)) == {"email": "a@b.example"}
    assert session.scalar(select(ApiCall.duration_ms)) == 12.5
    assert session.scalar(select(OAuthState.expires_at)) == when + timedelta(minutes=10)
    assert session.scalar(select(Notification.status)) == "pending"


def test_one_upvote_per_user_per_integration(session, people):
    _, user, _ = people
    integration = hubspot(session)
    session.add(Upvote(user_id=user.id, integration_id=integration.id))
    session.flush()
    session.add(Upvote(user_id=user.id, integration_id=integration.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_unknown_role_and_status_are_refused(session):
    session.add(StaffUser(email="x@layers.example", name="X", role="intern"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    hubspot(session).status = "done"
    with pytest.raises(IntegrityError):
        session.flush()


def test_user_email_is_unique(session, people):
    org, user, _ = people
    session.add(User(email=user.email, name="Dup", organization_id=org.id, tier_id=user.tier_id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_naive_datetimes_are_refused(session, people):
    _, user, _ = people
    session.add(Upvote(user_id=user.id, integration_id=hubspot(session).id, created_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_checklist_state_constraint(session):
    item = session.scalar(select(ChecklistItem).limit(1))
    item.state = "half-done"
    with pytest.raises(IntegrityError):
        session.flush()


def test_utc_is_returned(session, people):
    _, user, _ = people
    session.add(Upvote(user_id=user.id, integration_id=hubspot(session).id,
                       created_at=datetime(2026, 1, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5)))))
    session.commit()
    got = session.scalar(select(Upvote.created_at))
    assert got == datetime(2026, 1, 2, 4, 0, tzinfo=UTC)
