"""Helpers for the webhook tests: sign deliveries the way each provider documents, post them to the
in-process Hub (``hub_server``), wait for background handling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from sqlalchemy import func, select

from db.models.webhooks import WebhookEvent, WebhookRejection
from db.session import session_scope
from services.connect.webhook_secrets import rotate_webhook_secret
from services.runtime import http

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OTHER = "whsec_" + base64.b64encode(bytes(range(50, 82))).decode()


def with_secret(session, connection_id: int, secret: str = SECRET) -> str:  # type: ignore[no-untyped-def]
    rotate_webhook_secret(session, actor="test", connection_id=connection_id, secret=secret)
    session.commit()
    return secret


def hubspot(secret: str, url: str, body: bytes, ts_ms: int | None = None) -> dict[str, str]:
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    mac = hmac.new(secret.encode(), b"POST" + url.encode() + body + ts.encode(), hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(mac).decode(), "X-HubSpot-Request-Timestamp": ts,
            "content-type": "application/json"}


def calendly(secret: str, body: bytes, ts: int | None = None) -> dict[str, str]:
    t = str(ts if ts is not None else int(time.time()))
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Calendly-Webhook-Signature": f"t={t},v1={mac}", "content-type": "application/json"}


def webflow(secret: str, body: bytes, ts_ms: int | None = None) -> dict[str, str]:
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    mac = hmac.new(secret.encode(), ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-webflow-timestamp": ts, "x-webflow-signature": mac, "content-type": "application/json"}


def shared(secret: str) -> dict[str, str]:
    return {"X-Layers-Webhook-Secret": secret, "content-type": "application/json"}


def dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> Any:
    with http.make_client() as client:
        return client.post(url, content=body, headers=headers)


def counts(connection_id: int) -> tuple[int, int]:
    with session_scope() as s:
        events = s.scalar(select(func.count()).select_from(WebhookEvent)
                          .where(WebhookEvent.connection_id == connection_id))
        rejections = s.scalar(select(func.count()).select_from(WebhookRejection)
                              .where(WebhookRejection.connection_id == connection_id))
    return events or 0, rejections or 0


def handled(connection_id: int, expected: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The connection's events once ``expected`` of them left the "received" state."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as s:
            rows = s.scalars(select(WebhookEvent).where(WebhookEvent.connection_id == connection_id)
                             .order_by(WebhookEvent.id)).all()
            views = [{"id": r.id, "status": r.status, "trigger": r.trigger, "output": r.output,
                      "event_type": r.event_type, "payload": r.payload, "error": r.error} for r in rows]
        if len([v for v in views if v["status"] != "received"]) >= expected or time.monotonic() > deadline:
            return views
        time.sleep(0.05)
