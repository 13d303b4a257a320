"""`layers-hub webhooks events|failures|deliveries|replay`."""

from __future__ import annotations

import json

from sqlalchemy import select

from db.models import AuditEntry
from db.models.webhooks import WebhookEvent, WebhookRejection
from services.cli import main


def test_events_failures_and_replay(connect, session, capsys, monkeypatch):
    cid = connect("n8n")
    session.add(WebhookEvent(connection_id=cid, service="n8n", event_type=None, dedupe_key="sha256:1",
                             scheme="shared_header", status="received", attempts=0, payload={"a": 1}))
    session.add(WebhookRejection(connection_id=cid, service="n8n", status_code=401,
                                 reason="verification failed: shared secret does not match"))
    session.commit()
    assert main(["webhooks", "events", "--connection", str(cid), "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["status"] == "received" and row["service"] == "n8n"
    assert main(["webhooks", "failures"]) == 0
    assert "shared secret does not match" in capsys.readouterr().out
    assert main(["webhooks", "deliveries"]) == 0
    assert "attempt log" in capsys.readouterr().out
    monkeypatch.setenv("HUB_ACTOR", "ops@layers.example")
    event_id = session.scalar(select(WebhookEvent.id))
    assert main(["webhooks", "replay", str(event_id)]) == 0
    assert capsys.readouterr().out.strip() == f"event #{event_id}: handled (inbound_webhook)"
    session.expire_all()
    assert session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "webhook_event.replayed")) == \
        "ops@layers.example"
    assert main(["webhooks", "replay", "999999"]) != 0
    capsys.readouterr()
    assert main(["webhooks", "send"]) == 0
    assert capsys.readouterr().out.strip() == "sent 0 pending deliveries"
