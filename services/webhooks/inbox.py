"""Read side of the webhook inbox page: received events, failed verifications, hooks and deliveries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Connection, Integration, Organization
from db.models.webhooks import WebhookDelivery, WebhookEvent, WebhookRejection, ZapierHook
from services.catalog import load_catalog
from services.webhooks.inbound import inbound_url, scheme_for

LIMIT = 200


def connections(session: Session) -> list[dict[str, Any]]:
    """Connections whose integration receives webhooks (it has triggers or a signature scheme)."""
    catalog = load_catalog()
    rows = session.execute(select(Connection.id, Integration.slug, Organization.name, Connection.label)
                           .join(Integration, Integration.id == Connection.integration_id)
                           .join(Organization, Organization.id == Connection.organization_id)
                           .order_by(Connection.id)).all()
    out = []
    for cid, slug, org, label in rows:
        try:
            spec = catalog.get(slug)
        except (KeyError, ValueError):
            continue
        if spec.triggers or spec.auth.signature:
            out.append({"id": cid, "service": slug, "label": f"#{cid} {spec.name} · {label or org}",
                        "scheme": scheme_for(slug)})
    return out


def url_for(base_url: str, service: str, connection_id: int) -> str:
    url = inbound_url(base_url, service, connection_id)
    return url + "?secret=<webhook secret>" if scheme_for(service) == "url_secret" else url


def events(session: Session, connection_id: int | None = None, limit: int = LIMIT) -> pd.DataFrame:
    q = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
    if connection_id is not None:
        q = q.where(WebhookEvent.connection_id == connection_id)
    rows = [{"id": e.id, "received": e.received_at, "connection": e.connection_id, "service": e.service,
             "event type": e.event_type or "", "verification": f"verified ({e.scheme})", "status": e.status,
             "trigger": e.trigger or "", "error": e.error or "", "attempts": e.attempts}
            for e in session.scalars(q)]
    return pd.DataFrame(rows, columns=["id", "received", "connection", "service", "event type", "verification",
                                       "status", "trigger", "error", "attempts"])


def event_detail(session: Session, event_id: int) -> dict[str, Any] | None:
    e = session.get(WebhookEvent, event_id)
    if e is None:
        return None
    return {"id": e.id, "status": e.status, "trigger": e.trigger, "payload": e.payload, "output": e.output,
            "error": e.error}


def rejections(session: Session, connection_id: int | None = None, limit: int = LIMIT) -> pd.DataFrame:
    q = select(WebhookRejection).order_by(WebhookRejection.id.desc()).limit(limit)
    if connection_id is not None:
        q = q.where(WebhookRejection.connection_id == connection_id)
    # A rejection on a provider app's URL has no connection: it names the app instead.
    rows = [{"received": r.received_at, "service": r.service,
             "connection": r.connection_id if r.connection_id is not None else f"{r.service} app {r.app_id}",
             "HTTP status": r.status_code, "reason": r.reason} for r in session.scalars(q)]
    return pd.DataFrame(rows, columns=["received", "connection", "service", "HTTP status", "reason"])


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"   # the path is the Zap's secret


def hooks(session: Session, connection_id: int | None = None) -> pd.DataFrame:
    q = select(ZapierHook).order_by(ZapierHook.id.desc())
    if connection_id is not None:
        q = q.where(ZapierHook.connection_id == connection_id)
    rows = [{"id": h.id, "connection": h.connection_id, "event": h.event, "target": _host(h.target_url),
             "active": h.active, "created": h.created_at, "disabled reason": h.disabled_reason or ""}
            for h in session.scalars(q)]
    return pd.DataFrame(rows, columns=["id", "connection", "event", "target", "active", "created",
                                       "disabled reason"])


def deliveries(session: Session, connection_id: int | None = None, limit: int = LIMIT) -> pd.DataFrame:
    q = (select(WebhookDelivery, ZapierHook.connection_id).join(ZapierHook, ZapierHook.id == WebhookDelivery.hook_id)
         .order_by(WebhookDelivery.id.desc()).limit(limit))
    if connection_id is not None:
        q = q.where(ZapierHook.connection_id == connection_id)
    rows = [{"created": d.created_at, "hook": d.hook_id, "connection": cid, "event": d.event, "status": d.status,
             "attempts": d.attempts, "last HTTP status": d.last_status_code,
             "attempt log": ", ".join(str(a.get("status") or a.get("error")) for a in d.log or [])}
            for d, cid in session.execute(q)]
    return pd.DataFrame(rows, columns=["created", "hook", "connection", "event", "status", "attempts",
                                       "last HTTP status", "attempt log"])
