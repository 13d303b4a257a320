"""Layers as a Zapier app (REST hooks) and the Hub's signed outbound deliveries.

Zapier calls ``POST /api/zapier/hooks {event, target_url}`` when a Zap is turned on (we store the
target URL per event and answer ``{id}``), ``DELETE /api/zapier/hooks/<id>`` when it is turned off, and
``GET /api/zapier/samples/<event>`` for sample data (performList). The caller authenticates as a Zapier
connection: headers ``X-Layers-Connection: <id>`` and ``X-Layers-Key: <a live webhook secret of it>``.

Events are ``<service>.<trigger>`` (e.g. ``calendly.event_scheduled``); a handled inbound event of the
same organization is delivered to every active hook of that event. Deliveries carry Standard Webhooks
headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``, signed with the Zapier
connection's current secret), go through ProviderClient (pacing from the catalog's Zapier limits), are
retried with backoff on 429 (honouring Retry-After), 5xx and network errors, and a 410 answer disables
the hook (the Zap was deleted).

A sender claims a delivery (pending → sending, ``claimed_at`` set, committed) before any HTTP. The claim
is a lease: a row still ``sending`` ``CLAIM_LEASE`` after its claim (its sender died mid-send) is
reclaimed by the next delivery pass (``due`` + ``send``) and sent again with the same ``webhook-id``, so
the receiver can drop the copy if the first send did arrive.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from db.base import MAX_ID, utcnow
from db.models import Connection, Integration
from db.models.webhooks import WebhookDelivery, WebhookEvent, ZapierHook
from db.session import session_scope
from services.catalog import load_catalog
from services.connect.outbound import Outbound
from services.connect.signatures import sign_standard
from services.connect.webhook_secrets import live_webhook_secrets
from services.core import audit
from services.core.errors import InvalidInput, NotFound
from services.runtime.netguard import UnsafeUrl
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import IntegrationError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = 1.0        # seconds; doubled per attempt (1, 2, 4, 8)
MAX_RETRY_AFTER = 60.0
# A live send takes at most ~10 min (5 attempts x (15 s timeout + up to 60 s pacing) + 4 waits of up to 60 s).
# The lease must outlast that, or a slow sender that is still alive would see its row sent a second time.
CLAIM_LEASE = timedelta(minutes=15)
INTERRUPTED = "interrupted: no outcome recorded (the sender stopped); resent with the same webhook-id"
SLEEP: Callable[[float], None] = time.sleep


class Unauthorized(Exception):
    pass


def events() -> dict[str, dict[str, Any]]:
    """Every subscribable event: ``<service>.<trigger>`` → title and the trigger's output fields."""
    out: dict[str, dict[str, Any]] = {}
    for spec in load_catalog():
        for trigger in spec.triggers.values():
            out[f"{spec.slug}.{trigger.key}"] = {"title": f"{spec.name}: {trigger.title}",
                                                 "fields": list(trigger.outputs)}
    return out


def sample(event: str) -> dict[str, Any]:
    """A sample of the event's output built from the catalog examples (Zapier's performList)."""
    service, _, key = event.partition(".")
    try:
        trigger = load_catalog().get(service).triggers[key]
    except (KeyError, ValueError):
        raise NotFound(f"unknown event {event!r}") from None
    return {name: f.example for name, f in trigger.outputs.items()}


def _id(text: str) -> int | None:
    """A row id from client text (ASCII digits, 1..MAX_ID), or None: ``'²'.isdigit()`` is True and ``int()``
    takes Unicode digits, and an id past MAX_ID overflows SQLite / is out of range on PostgreSQL (a 500)."""
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    return int(text) if 1 <= int(text) <= MAX_ID else None


def authenticate(session: Session, connection_id: str | None, key: str | None) -> Connection:
    """The Zapier connection the caller proves it holds a live secret of (Unauthorized otherwise)."""
    if not connection_id or not key:
        raise Unauthorized("X-Layers-Connection and X-Layers-Key headers are required")
    cid = _id(connection_id)
    if cid is None:
        raise Unauthorized("X-Layers-Connection is not a connection id")
    conn = session.get(Connection, cid)
    slug = session.scalar(select(Integration.slug).where(Integration.id == conn.integration_id)) if conn else None
    if conn is None or slug != "zapier" or conn.status == "revoked":
        raise Unauthorized("unknown Zapier connection")
    if not any(hmac.compare_digest(s.encode(), key.strip().encode()) for s in live_webhook_secrets(session, conn.id)):
        raise Unauthorized("the key does not match")
    return conn


def subscribe(session: Session, conn: Connection, *, event: str, target_url: str,
              out: Outbound | None = None) -> ZapierHook:
    if event not in events():
        raise InvalidInput(f"unknown event {event!r}")
    try:
        (out or Outbound()).check(target_url, "target_url")
    except UnsafeUrl as exc:
        raise InvalidInput(str(exc)) from None
    hook = ZapierHook(connection_id=conn.id, event=event, target_url=target_url, active=True)
    session.add(hook)
    session.flush()
    audit.record(session, actor=f"zapier:{conn.id}", action="zapier_hook.subscribed", entity_type="zapier_hook",
                 entity_id=hook.id, after={"event": event, "connection_id": conn.id})
    return hook


def unsubscribe(session: Session, conn: Connection, hook_id: int) -> None:
    hook = session.get(ZapierHook, hook_id) if 1 <= hook_id <= MAX_ID else None
    if hook is None or hook.connection_id != conn.id:
        raise NotFound(f"hook {hook_id} not found")
    audit.record(session, actor=f"zapier:{conn.id}", action="zapier_hook.unsubscribed", entity_type="zapier_hook",
                 entity_id=hook.id, before={"event": hook.event, "active": hook.active})
    session.delete(hook)
    session.flush()


def hook_view(hook: ZapierHook) -> dict[str, Any]:
    return {"id": hook.id, "event": hook.event, "active": hook.active, "created_at": hook.created_at.isoformat()}


def list_hooks(session: Session, conn: Connection) -> list[dict[str, Any]]:
    rows = session.scalars(select(ZapierHook).where(ZapierHook.connection_id == conn.id).order_by(ZapierHook.id))
    return [hook_view(h) for h in rows]


def fan_out(session: Session, event: WebhookEvent) -> list[int]:
    """Queue a handled event for the active hooks of its organization subscribed to its trigger.

    Only rows are written here (status pending); ``send`` does the HTTP after the caller commits, so no
    database transaction is held open while a target is slow or being retried."""
    if not event.trigger:
        return []
    source = session.get_one(Connection, event.connection_id)
    name = f"{event.service}.{event.trigger}"
    hooks = session.scalars(select(ZapierHook).join(Connection, Connection.id == ZapierHook.connection_id)
                            .where(ZapierHook.event == name, ZapierHook.active.is_(True),
                                   Connection.organization_id == source.organization_id)
                            .order_by(ZapierHook.id)).all()
    return [enqueue(session, hook, {"event": name, "id": event.id, "data": event.output}, event_id=event.id)
            for hook in hooks]


def enqueue(session: Session, hook: ZapierHook, payload: dict[str, Any], *, event_id: int | None = None) -> int:
    """A pending delivery of ``payload`` to the hook (sent by ``send`` once committed); returns its id."""
    delivery = WebhookDelivery(hook_id=hook.id, event_id=event_id, msg_id="msg_" + uuid.uuid4().hex,
                               event=hook.event, status="pending", attempts=0, log=[], payload=payload)
    session.add(delivery)
    session.flush()
    return delivery.id


def _expired(now: datetime) -> Any:
    """A ``sending`` row whose claim is older than the lease (rows claimed before claims carried a time: by
    creation time)."""
    claimed = func.coalesce(WebhookDelivery.claimed_at, WebhookDelivery.created_at)
    return and_(WebhookDelivery.status == "sending", claimed < now - CLAIM_LEASE)


def due(session: Session, now: datetime | None = None) -> list[int]:
    """What a delivery pass sends: pending deliveries, and deliveries whose claim expired mid-send."""
    when = now or utcnow()
    return list(session.scalars(select(WebhookDelivery.id)
                                .where(or_(WebhookDelivery.status == "pending", _expired(when)))
                                .order_by(WebhookDelivery.id)))


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": ts,
            "webhook-signature": sign_standard(secret, msg_id, ts, body)}


def _client(session: Session, hook: ZapierHook, out: Outbound | None) -> ProviderClient:
    conn = session.get_one(Connection, hook.connection_id)
    return ProviderClient(spec=load_catalog().get("zapier"), base_url="", auth=None,
                          integration_id=conn.integration_id, connection_id=conn.id,
                          account_key=f"zapier-hook:{hook.id}", mode="live", action="delivery",
                          out=out or Outbound(), max_retries=0, max_wait=MAX_RETRY_AFTER)


def _delay(attempt: int, error: IntegrationError | None) -> float:
    if error is not None and error.status == 429 and error.retry_after:   # Retry-After (or the provider's reset)
        return min(MAX_RETRY_AFTER, float(error.retry_after))
    return BACKOFF_BASE * 2 ** (attempt - 1)


def send(delivery_ids: list[int], *, out: Outbound | None = None, sleep: Callable[[float], None] | None = None,
         max_attempts: int = MAX_ATTEMPTS, db_url: str | None = None) -> list[str]:
    """Send due deliveries (each: a short claim, the HTTP attempts outside any transaction, a short write).

    Returns, per delivery, what this sender did: its final status when it sent it, "skipped" when it did not
    (another sender holds it, its lease not expired, or it is finished: the row's own status may already be
    another sender's "delivered", which must not be counted twice), "reclaimed" when this sender outlived its
    lease and another sender took the delivery over."""
    return [_send_one(i, out=out, sleep=sleep or SLEEP, max_attempts=max_attempts, db_url=db_url)
            for i in delivery_ids]


def _claim(session: Session, delivery_id: int, now: datetime) -> str | None:
    """pending → sending, or take over a ``sending`` row whose lease expired: each a conditional UPDATE, so of
    concurrent senders one wins (PostgreSQL re-checks the WHERE on the row version it waited for)."""
    values = {"status": "sending", "claimed_at": now}
    for how, condition in (("claimed", WebhookDelivery.status == "pending"), ("reclaimed", _expired(now))):
        stmt = (update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, condition).values(**values)
                .execution_options(synchronize_session=False))
        if cast("CursorResult[Any]", session.execute(stmt)).rowcount == 1:
            return how
    return None


def _send_one(delivery_id: int, *, out: Outbound | None, sleep: Callable[[float], None], max_attempts: int,
              db_url: str | None) -> str:
    claimed_at = utcnow()
    with session_scope(db_url) as session:   # the claim, committed before any HTTP
        how = _claim(session, delivery_id, claimed_at)
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or how is None:
            return "skipped"
        earlier, prior = list(delivery.log or []), delivery.attempts or 0
        if how == "reclaimed":   # the interrupted send counts as an attempt: it may have reached the target
            prior += 1
            earlier.append({"at": claimed_at.isoformat(), "status": None, "error": INTERRUPTED})
            delivery.attempts, delivery.log = prior, earlier
            log.warning("webhook delivery %s: claim expired mid-send, resending", delivery_id)
        hook = session.get_one(ZapierHook, delivery.hook_id)
        secrets = live_webhook_secrets(session, hook.connection_id)
        if not secrets or not hook.active or prior >= max_attempts:
            reason = ("the connection has no signing secret" if not secrets
                      else "the hook is disabled" if not hook.active else f"gave up after {prior} attempts")
            delivery.status, delivery.finished_at = "failed", utcnow()
            delivery.log = [*earlier, {"at": utcnow().isoformat(), "status": None, "error": reason}]
            return delivery.status
        client = _client(session, hook, out)
        hook_id, target, secret = hook.id, hook.target_url, secrets[0]
        msg_id = delivery.msg_id   # the webhook-id: the same on every send, so receivers can drop copies
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        payload = delivery.payload
    attempts: list[dict[str, Any]] = []
    status: int | None = None
    outcome = "failed"
    try:
        while True:
            error: IntegrationError | None = None
            try:
                response = client._send(client._http().build_request(   # one request: retries are ours
                    "POST", target, content=body, headers=signed_headers(secret, msg_id, body)), payload, True)
                status = response.status_code
            except IntegrationError as exc:
                error, status = exc, exc.status
            except Exception as exc:  # the SSRF guard (target moved to a private address) or a bug: no retry
                attempts.append({"at": utcnow().isoformat(), "status": None, "error": f"{type(exc).__name__}: {exc}"})
                status = None
                break
            attempts.append({"at": utcnow().isoformat(), "status": status,
                             "error": None if error is None else type(error).__name__})
            if error is None:
                outcome = "delivered"
                break
            if status == 410:
                outcome = "disabled"
                break
            retryable = status is None or status == 429 or status >= 500
            if not retryable or prior + len(attempts) >= max_attempts:
                break
            sleep(_delay(prior + len(attempts), error))
    finally:
        client.close()
    with session_scope(db_url) as session:
        # Only while the claim is still ours: past the lease another sender may have taken the row over.
        mine = and_(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "sending",
                    WebhookDelivery.claimed_at == claimed_at)
        stmt = (update(WebhookDelivery).where(mine)
                .values(status=outcome, attempts=prior + len(attempts), log=[*earlier, *attempts],
                        last_status_code=status, finished_at=utcnow())
                .execution_options(synchronize_session=False))
        if cast("CursorResult[Any]", session.execute(stmt)).rowcount != 1:
            log.warning("webhook delivery %s: lease lost to another sender; its outcome stands", delivery_id)
            return "reclaimed"
        if outcome == "disabled":
            hook = session.get_one(ZapierHook, hook_id)
            hook.active, hook.disabled_at = False, utcnow()
            hook.disabled_reason = "the target answered 410 Gone"
            audit.record(session, actor="system", action="zapier_hook.disabled", entity_type="zapier_hook",
                         entity_id=hook_id, after={"reason": hook.disabled_reason, "delivery": delivery_id})
    return outcome
