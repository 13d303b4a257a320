"""Inbound webhooks: verify the provider's signature, de-duplicate, store, then handle (map to a trigger).

``receive`` runs in the request (it only verifies and stores); ``handle_events`` runs after the 2xx
answer (route background task) and on "Replay" from the inbox page. Nothing is stored for unknown
connections, oversized or malformed bodies, or failed verifications (a known connection gets a
``webhook_rejections`` row naming why, without the body).

Schemes (catalog ``auth.signature``): the generic standard_webhooks (HMAC, timestamp tolerance 5 minutes),
shared_header (n8n / Make / Zapier / WordPress plugin: ``X-Layers-Webhook-Secret`` or the connection's
``webhook_header``) and url_secret (Mailchimp audiences, ActiveCampaign: ``?secret=``), and the providers' own
(hubspot_v3, calendly, webflow), registered in their folders' ``webhooks.py`` (services/webhooks/hooks.py).
The keys are the connection's live webhook secrets (services/credentials/webhook_secrets.py), so a
rotation keeps the previous secret valid for its overlap window, plus, for OAuth connections of providers whose
scheme is app-signed (HubSpot, Webflow), the OAuth app's client secret (services/webhooks/apps.py). A provider's
``url_probe`` hook lets a URL check through unverified (Mailchimp's GET); a ``verify_get`` hook answers a
verification GET with its challenge as plain text when the connection's verify token matches (else 403).
``receive_app`` serves the app-level URL
``/hooks/<service>/apps/<app id>`` of providers with ``WebhookHooks.app`` (HubSpot) and stores each event on the
connection(s) of its install (HubSpot: its ``portalId``). ``handle`` queues the outbound deliveries of a handled
event through the provider that contributes them (Zapier REST hooks).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import MAX_ID, utcnow
from db.models import Connection, Integration
from db.models.webhooks import WebhookEvent, WebhookRejection
from db.outage import is_outage
from db.session import session_scope
from services.catalog import load_catalog
from services.connect import signatures
from services.connect.signatures import SignatureError
from services.connect.store import read_secrets
from services.connect.webhook_secrets import live_webhook_secrets
from services.core import audit
from services.core.errors import NotFound
from services.core.forms import parse as _form  # bracketed keys as nested dicts
from services.webhooks import apps, bodies, hooks
from services.webhooks.triggers import map_event, split

log = logging.getLogger(__name__)

MAX_BODY = bodies.MAX_BODY        # 1 MiB; larger deliveries get 413 before they are read in full
REJECTIONS_PER_MINUTE = 20        # rejection rows stored per connection (or app); past it only one log line a minute
SHARED_HEADER = "X-Layers-Webhook-Secret"
URL_SECRET_PARAM = "secret"
_SECRET_KEY = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|signature|credential)", re.I)
REDACTED = "[redacted]"


@dataclass
class Outcome:
    status: int
    message: str
    event_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    text: str | None = None      # answered as text/plain instead of the JSON body (a verification GET's challenge)

    @property
    def body(self) -> dict[str, Any]:
        return {"ok": 200 <= self.status < 300, "message": self.message, "events": len(self.event_ids),
                "duplicates": self.duplicates}


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def redact(value: Any) -> Any:
    """A copy of a payload with values under secret-looking keys replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) and v not in (None, "") else redact(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def parse_body(body: bytes, content_type: str) -> Any:
    """JSON (object or array) or a form post; anything else raises Rejected(400)."""
    ctype = content_type.split(";")[0].strip().lower()
    try:
        if ctype == "application/x-www-form-urlencoded":
            parsed: Any = _form(body)
            if not parsed:
                raise ValueError("empty form")
            if bodies.too_deep(parsed):
                raise bodies.TooDeep(f"form keys nested deeper than {bodies.MAX_DEPTH} levels")
            return parsed
        parsed = bodies.loads_json(body)
    except bodies.TooDeep as exc:
        raise Rejected(400, f"malformed body: {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "malformed body: expected a JSON object/array or a form post") from None
    if not isinstance(parsed, dict | list) or not parsed:
        raise Rejected(400, "malformed body: expected a non-empty JSON object or array")
    return parsed


def inbound_url(base_url: str, service: str, connection_id: int) -> str:
    """Where the provider posts (url_secret schemes add ``?secret=<the connection's webhook secret>``)."""
    return f"{base_url.rstrip('/')}/hooks/{service}/{connection_id}"


def _connection(session: Session, service: str, connection_id: int) -> Connection:
    row = session.execute(select(Connection, Integration.slug).join(Integration,
                                                                    Integration.id == Connection.integration_id)
                          .where(Connection.id == connection_id)).first()
    if row is None or row[1] != service:
        raise NotFound(f"unknown connection {connection_id} for {service}")
    return row[0]


def scheme_for(service: str) -> str | None:
    try:
        return load_catalog().get(service).auth.signature
    except (KeyError, ValueError):
        return None


def _shared(secrets: list[str], given: str | None) -> None:
    if not given:
        raise SignatureError("missing shared secret header")
    if not any(hmac.compare_digest(s.encode(), given.strip().encode()) for s in secrets):
        raise SignatureError("shared secret does not match")


def verify(scheme: str, secrets: list[str], *, conn: Connection, method: str, url: str, headers: Mapping[str, str],
           query: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise SignatureError (with the failed check) unless the delivery is authentic and fresh."""
    if not secrets:
        raise SignatureError("the connection has no webhook secret yet (create one on the Connections page or "
                             "with `layers-hub connections webhook-secret ID`)")
    own = hooks.scheme(scheme)
    if own is not None:
        own.verify(secrets, method=method, url=url, body=body, headers=headers, now=now)
    elif scheme == "standard_webhooks":
        signatures.verify_standard(secrets, body=body, headers=headers, now=now)
    elif scheme == "shared_header":
        name = str((conn.config or {}).get("webhook_header") or SHARED_HEADER).lower()
        _shared(secrets, {k.lower(): v for k, v in headers.items()}.get(name))
    elif scheme == "url_secret":
        _shared(secrets, query.get(URL_SECRET_PARAM))
    else:
        raise SignatureError(f"no inbound signature scheme for this integration ({scheme})")


_flood_logged: dict[tuple[str, str], float] = {}


def _rejection_flood(session: Session, service: str, connection_id: int | None, app_id: str | None) -> bool:
    """Whether the connection (app) already has ``REJECTIONS_PER_MINUTE`` rejections stored in the last minute
    (then log it, at most once a minute per connection)."""
    owner = (WebhookRejection.connection_id == connection_id if connection_id is not None
             else (WebhookRejection.app_id == app_id) & (WebhookRejection.service == service))
    recent = select(WebhookRejection.id).where(owner, WebhookRejection.received_at >= utcnow() - timedelta(minutes=1))
    if (session.scalar(select(func.count()).select_from(recent.limit(REJECTIONS_PER_MINUTE).subquery())) or 0) \
            < REJECTIONS_PER_MINUTE:
        return False
    who = (service, f"app {app_id}" if connection_id is None else f"#{connection_id}")
    if time.monotonic() - _flood_logged.get(who, -120.0) >= 60:
        _flood_logged[who] = time.monotonic()
        log.warning("webhook rejections of %s %s not stored: over %s a minute (further ones this minute are "
                    "answered but not logged)", *who, REJECTIONS_PER_MINUTE)
    return True


def _reject(session: Session, service: str, status: int, reason: str, *, connection_id: int | None = None,
            app_id: str | None = None) -> Outcome:
    """Store why a delivery to a connection's URL, or to a provider app's URL (``app_id``), was refused: at most
    ``REJECTIONS_PER_MINUTE`` rows per connection (app) a minute, so a flood of bad deliveries cannot fill the
    database; the rest get the same answer and one log line a minute."""
    if _rejection_flood(session, service, connection_id, app_id):
        return Outcome(status, reason)
    session.add(WebhookRejection(connection_id=connection_id, app_id=app_id, service=service, status_code=status,
                                 reason=reason[:300]))
    log.info("webhook rejected: %s %s: %s", service, f"app {app_id}" if app_id else f"#{connection_id}", reason)
    return Outcome(status, reason)


def receive(session: Session, *, service: str, connection_id: int, method: str, url: str,
            headers: Mapping[str, str], query: Mapping[str, str], body: bytes, now: float | None = None) -> Outcome:
    """Verify and store one delivery; the caller answers with ``Outcome.status`` / ``body``."""
    if len(body) > MAX_BODY:
        return Outcome(413, f"payload over {MAX_BODY} bytes")
    if not 1 <= connection_id <= MAX_ID:   # past it SQLite overflows, PostgreSQL says "out of range": a 500
        return Outcome(404, f"unknown connection {str(connection_id)[:40]} for {service}")
    try:
        conn = _connection(session, service, connection_id)
    except NotFound as exc:
        return Outcome(404, str(exc))
    if conn.status == "revoked":
        return Outcome(410, f"connection {connection_id} is revoked")
    scheme = scheme_for(service)
    if hooks.url_probe(service, method, body):
        return Outcome(200, "webhook URL validated")   # e.g. Mailchimp checks the URL with a GET (or empty POST)
    challenge = hooks.verify_get(service) if method == "GET" else None
    if challenge is not None:
        answer = challenge(query, {**(conn.config or {}), **read_secrets(conn)})
        if answer is None:
            return _reject(session, service, 403, "verification GET refused (mode or verify token does not match)",
                           connection_id=conn.id)
        return Outcome(200, "webhook URL verified", text=answer)
    if method != "POST":
        return Outcome(405, "only POST is accepted")
    # The connection's own secrets, plus the OAuth app's client secret where the provider signs with it
    # (an app-signed scheme: services/webhooks/apps.py).
    secrets = live_webhook_secrets(session, conn.id) + apps.signing_secrets(service, conn)
    try:
        verify(scheme or "", secrets, conn=conn, method=method, url=url,
               headers=headers, query=query, body=body, now=now)
    except SignatureError as exc:
        return _reject(session, service, 401, f"verification failed: {exc}", connection_id=conn.id)
    try:
        payload = parse_body(body, {k.lower(): v for k, v in headers.items()}.get("content-type", ""))
    except Rejected as exc:
        return _reject(session, service, exc.status, exc.reason, connection_id=conn.id)
    items = split(service, payload, headers)
    outcome = Outcome(200, "accepted")
    _store(session, conn, service, scheme or "", list(enumerate(items)), len(items), body, outcome)
    if not outcome.event_ids and outcome.duplicates:
        outcome.message = "duplicate (already received)"
    return outcome


def _store(session: Session, conn: Connection, service: str, scheme: str,
           items: list[tuple[int, tuple[str | None, str | None, Any]]], total: int, body: bytes,
           outcome: Outcome) -> None:
    """Store the (index, event) pairs of one delivery of ``total`` events on ``conn``, de-duplicated."""
    body_hash = "sha256:" + hashlib.sha256(body).hexdigest()
    for index, (event_type, provider_id, item) in items:
        key = f"id:{provider_id}"[:200] if provider_id else (body_hash if total == 1 else f"{body_hash}#{index}")
        if session.scalar(select(WebhookEvent.id).where(WebhookEvent.connection_id == conn.id,
                                                        WebhookEvent.dedupe_key == key)) is not None:
            outcome.duplicates += 1
            continue
        event = WebhookEvent(connection_id=conn.id, service=service, event_type=event_type, dedupe_key=key,
                             scheme=scheme, status="received", payload=redact(item), attempts=0)
        try:
            with session.begin_nested():
                session.add(event)
                session.flush()
        except IntegrityError:   # a concurrent delivery of the same event won the race
            outcome.duplicates += 1
            continue
        outcome.event_ids.append(event.id)


def app_url(base_url: str, service: str, app_id: str) -> str:
    """The app-level target URL (the provider app's webhook settings): ``/hooks/<service>/apps/<app id>``."""
    return f"{base_url.rstrip('/')}/hooks/{service}/apps/{app_id}"


def _account_connections(session: Session, service: str, sandbox: bool,
                         app: hooks.AppWebhooks) -> dict[str, list[Connection]]:
    """OAuth connections (not revoked) of ``service`` by the install (account) they were made in, e.g. the
    HubSpot hub id learned from the token response or at Subscribe. Read in Python: the id sits in a JSON column;
    a provider has few connections compared with events, and an index on a JSON path differs between SQLite and
    PostgreSQL."""
    rows = session.scalars(select(Connection).join(Integration, Integration.id == Connection.integration_id)
                           .where(Integration.slug == service, Connection.sandbox == sandbox,
                                  Connection.auth_type == "oauth2", Connection.status != "revoked")
                           .order_by(Connection.id)).all()
    out: dict[str, list[Connection]] = {}
    for conn in rows:
        account = app.connection_account(conn)
        if account is not None:
            out.setdefault(str(account), []).append(conn)
    return out


def receive_app(session: Session, *, service: str, app_id: str, method: str, url: str,
                headers: Mapping[str, str], body: bytes, now: float | None = None) -> Outcome:
    """``POST /hooks/<service>/apps/<app id>``: a provider with app-level webhooks (``WebhookHooks.app``, e.g.
    HubSpot) sends the events of every install of the app to the app's one target URL. Verify with the app's
    client secret (the provider's app-signed scheme), then store each event on the connection(s) of the event's
    install (HubSpot: the connection whose hub id is the event's ``portalId``); events of installs without a
    connection are counted and dropped (answered 200, so the provider does not retry them). A failed verification
    is stored as the app's rejection (``webhook_rejections.app_id``, no connection) and shown in the inbox."""
    if len(body) > MAX_BODY:
        return Outcome(413, f"payload over {MAX_BODY} bytes")
    routing = hooks.app_hooks(service)
    app = apps.find_app(session, service, app_id) if routing is not None else None
    if routing is None or app is None:
        return Outcome(404, f"unknown {service} app {app_id}")
    if method != "POST":
        return Outcome(405, "only POST is accepted")
    scheme = scheme_for(service) or ""
    secret = apps.client_secret(service, sandbox=app[1])
    try:
        if not secret:
            raise SignatureError("the app's OAuth client secret is not configured")
        own = hooks.scheme(scheme)
        if own is None or not own.app_signed:
            raise SignatureError(f"no app-signed signature scheme for this integration ({scheme})")
        own.verify([secret], method=method, url=url, body=body, headers=headers, now=now)
        payload = parse_body(body, {k.lower(): v for k, v in headers.items()}.get("content-type", ""))
    except SignatureError as exc:
        return _reject(session, service, 401, f"verification failed: {exc}", app_id=app_id)
    except Rejected as exc:
        return _reject(session, service, exc.status, exc.reason, app_id=app_id)
    items = split(service, payload, headers)
    by_account: dict[str, list[tuple[int, tuple[str | None, str | None, Any]]]] = {}
    for index, event in enumerate(items):
        by_account.setdefault(str(routing.event_account(event[2])), []).append((index, event))
    connections = _account_connections(session, service, app[1], routing)
    outcome, unmatched = Outcome(200, "accepted"), 0
    for account, group in by_account.items():
        targets = connections.get(account, [])
        unmatched += 0 if targets else len(group)
        for conn in targets:
            _store(session, conn, service, scheme, group, len(items), body, outcome)
    if unmatched:
        log.info("webhook: %s app %s: %s event(s) for portals without a connection", service, app_id, unmatched)
        outcome.message = f"accepted; {unmatched} event(s) for portals without a connection were dropped"
    elif not outcome.event_ids and outcome.duplicates:
        outcome.message = "duplicate (already received)"
    return outcome


def handle(session: Session, event: WebhookEvent) -> list[int]:
    """Map the stored event to its trigger and queue its outbound deliveries (the REST hooks subscribed to it).

    Returns the queued delivery ids: the caller sends them (``hooks.send``) after committing."""
    event.attempts += 1
    event.handled_at = utcnow()
    try:
        mapped = map_event(event.service, event.event_type, event.payload)
        if mapped is None:
            event.status, event.trigger, event.output, event.error = "ignored", None, None, None
            return []
        event.trigger, event.output = mapped
        event.status, event.error = "handled", None
        with session.begin_nested():
            return hooks.fan_out(session, event)
    except Exception as exc:  # a handler bug marks the event failed (replayable), never loses it
        if is_outage(exc) or is_outage(exc.__context__):
            raise   # not the event's fault and nothing can commit: it stays received for the recovery pass
        event.status, event.error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("webhook event %s failed: %s", event.id, type(exc).__name__)
        return []


def handle_received(event_id: int, *, before: datetime | None = None,
                    db_url: str | None = None) -> tuple[str | None, list[int]]:
    """Handle one event if it is still ``received`` (and arrived before ``before``: the recovery pass), in one
    transaction that starts by claiming it with a conditional UPDATE: of concurrent handlers (the after-2xx task,
    passes in the server and from cron) one wins, the others wait for its row and then find it handled
    (PostgreSQL re-checks the WHERE on the row version it waited for; SQLite has one writer). The claim and the
    outcome commit together, so a handler that dies, or loses its database connection, leaves the event
    ``received`` for the next pass, and a committed outcome is never redone: exactly once.

    Returns the event's new status (None when it was not ``received`` any more) and the queued delivery ids, which
    the caller sends (``hooks.send``) once this has committed."""
    claim = [WebhookEvent.id == event_id, WebhookEvent.status == "received"]
    if before is not None:
        claim.append(WebhookEvent.received_at < before)
    with session_scope(db_url) as session:
        stmt = update(WebhookEvent).where(*claim).values(handled_at=utcnow()).execution_options(
            synchronize_session=False)
        if cast("CursorResult[Any]", session.execute(stmt)).rowcount != 1:
            return None, []
        event = session.get_one(WebhookEvent, event_id)
        queued = handle(session, event)
        return event.status, queued


def handle_events(event_ids: list[int], db_url: str | None = None) -> None:
    """After the 2xx: handle each received event (``handle_received``: own transaction), then send its deliveries.

    Runs after the answer (a route background task), so it never raises: an exception there is only "Exception in
    ASGI application" in the log. An event whose transaction did not commit (rolled back, the session closed) stays
    ``received`` and the recovery pass handles it (services/webhooks/recovery.py); deliveries not sent stay pending
    for the delivery pass (``layers-hub webhooks send``)."""
    for index, event_id in enumerate(event_ids):
        try:
            queued = handle_received(event_id, db_url=db_url)[1]
        except Exception as exc:
            outage = is_outage(exc) or is_outage(exc.__context__)
            left = event_ids[index:] if outage else [event_id]
            log.warning("webhook event(s) %s not handled (%s%s); left for the recovery pass",
                        ", ".join(map(str, left)), type(exc).__name__, ": database unreachable" if outage else "")
            if outage:
                return   # the rest would fail the same way
            continue
        try:
            hooks.send(queued, db_url=db_url)
        except Exception as exc:
            log.warning("webhook event %s: deliveries %s not sent (%s); left for the delivery pass", event_id,
                        queued, type(exc).__name__)


def replay(session: Session, *, actor: str, event_id: int) -> tuple[WebhookEvent, list[int]]:
    """Run a stored event through its handler again (inbox page, CLI); audited. Returns the event and the
    queued delivery ids, which the caller sends with ``hooks.send`` after its unit of work commits."""
    event = session.get(WebhookEvent, event_id)
    if event is None:
        raise NotFound(f"webhook event {event_id} not found")
    before = {"status": event.status, "trigger": event.trigger}
    queued = handle(session, event)
    audit.record(session, actor=actor, action="webhook_event.replayed", entity_type="webhook_event",
                 entity_id=event.id, before=before, after={"status": event.status, "trigger": event.trigger})
    session.flush()
    return event, queued
