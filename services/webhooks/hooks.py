"""What a provider folder tells the generic webhook code, and the accessors that code asks at call time.

A provider that needs anything beyond its catalog entry on the webhook side sets, in
``services/providers/<slug>/webhooks.py``, ``WEBHOOKS = WebhookHooks(...)``. Every field is optional and its
absence means the generic behaviour (noted per field). The generic modules (inbound, triggers, subscribe,
apps, bridge, routes) never import a provider folder: they call the functions below, which ask the provider
registry (services/catalog/providers.py) when they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from services.catalog.providers import part, parts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.routing import BaseRoute

    from db.models import Connection
    from db.models.webhooks import WebhookEvent

MODULE, CONSTANT = "webhooks", "WEBHOOKS"

Event = tuple[str | None, str | None, Any]     # (event type, provider event id, the event's own payload)
Mapped = tuple[str, dict[str, Any]]            # (catalog trigger key, the trigger's output fields)


class Verifier(Protocol):
    def __call__(self, secrets: list[str], *, method: str, url: str, body: bytes, headers: Mapping[str, str],
                 now: float | None) -> None:
        """Return when the delivery is authentic and fresh; raise SignatureError naming the failed check."""


@dataclass(frozen=True)
class SignatureScheme:
    """A provider's own signature scheme, registered under its catalog ``auth.signature`` name."""

    label: str                  # how the generated guides describe it
    verify: Verifier
    app_signed: bool = False    # signed with the OAuth app's client secret (services/webhooks/apps.py)


@dataclass(frozen=True)
class AppWebhooks:
    """Webhooks that belong to the Hub's own app at the provider, not to a connection: one target URL per app
    (``/hooks/<slug>/apps/<app id>``), every install's events sent there, credentials kept in ``provider_apps``."""

    check_app_id: Callable[[str], str]                    # the app id normalised; InvalidInput when malformed
    event_account: Callable[[Any], str | None]            # the install (account) one event belongs to
    connection_account: Callable[[Connection], str | None]   # the install a connection was made in
    sandbox_app_id: Callable[[], str] | None = None       # the sandbox demo app's id (``seed --demo``)


@dataclass(frozen=True)
class Subscriber:
    """Subscribe / unsubscribe a trigger at the provider (services/webhooks/subscribe.py does the checks,
    the parameters and the audit; these do the provider's calls)."""

    # subscribe(session, *, actor, conn, trigger, values, scope, requests) -> (resource, audit detail)
    subscribe: Callable[..., tuple[dict[str, Any], dict[str, Any]]]
    # unsubscribe(session, *, conn, trigger, values, requests) -> {removed, labels, ...where}
    unsubscribe: Callable[..., dict[str, Any]]
    summary: Callable[[dict[str, Any]], str]              # one line: what the provider now holds
    where: Callable[[dict[str, Any]], str] = lambda result: str(result["url"])   # where unsubscribe looked
    removed_note: str | None = None                       # added to the line when something was removed
    shared_by: Callable[[Session, Connection | None], str | None] | None = None   # who else an unsubscribe hits
    hub_filled: frozenset[str] = frozenset()              # subscribe inputs the Hub fills itself
    note: str | None = None                               # help shown beside the Subscribe button


@dataclass(frozen=True)
class Bridge:
    """A workflow tool the Hub triggers by webhook URL (services/webhooks/bridge.py)."""

    trigger_action: str                                   # the catalog action that posts the payload
    # fetch_result(connection_id, output, *, mode, service, **options) -> the result run as a dict, or None
    fetch_result: Callable[..., dict[str, Any] | None] | None = None


@dataclass(frozen=True)
class OutboundDeliveries:
    """Signed deliveries of handled events to subscribers outside the Hub (rows of ``webhook_deliveries``)."""

    fan_out: Callable[[Session, WebhookEvent], list[int]]   # queue a handled event; the delivery ids
    due: Callable[[Session], list[int]]                   # deliveries a pass should (re)send
    send: Callable[..., list[str]]                        # send(ids, *, db_url=None) -> per-id outcome


@dataclass(frozen=True)
class WebhookHooks:
    # Own signature schemes by catalog name; the generic ones (standard_webhooks, shared_header, url_secret)
    # need none.
    schemes: Mapping[str, SignatureScheme] = field(default_factory=dict)
    # One delivery → its events; default: the whole body is one event, id from the webhook-id-like headers.
    split: Callable[[Any, Mapping[str, str]], list[Event]] | None = None
    # The event type of a JSON-object delivery (lower-cased headers); default: ``event``, ``type`` or the
    # ``X-Layers-Event`` header.
    event_type: Callable[[dict[str, Any], Mapping[str, str]], Any] | None = None
    # (event type, event) → (trigger key, outputs) or None (ignored); default: none, except for webhook
    # bridges (catalog ``auth.method: webhook``), whose whole body is the ``inbound_webhook`` trigger's payload.
    map_event: Callable[[str | None, Any], Mapped | None] | None = None
    # (method, body) → whether the request only checks that the URL answers (200 without verification).
    url_probe: Callable[[str, bytes], bool] | None = None
    # A verification GET before any delivery (a challenge to echo): (query parameters, the connection's fields
    # and secrets) → the plain text to answer 200 with, or None to refuse it (403). Default: GET is 405.
    verify_get: Callable[[Mapping[str, str], Mapping[str, Any]], str | None] | None = None
    app: AppWebhooks | None = None
    subscriber: Subscriber | None = None
    bridge: Bridge | None = None
    outbound: OutboundDeliveries | None = None
    routes: Callable[[], list[BaseRoute]] | None = None   # HTTP routes the provider serves beside /hooks/...


def hooks_for(slug: str) -> WebhookHooks | None:
    return part(slug, MODULE, CONSTANT)


def all_hooks() -> dict[str, WebhookHooks]:
    return parts(MODULE, CONSTANT)


def scheme(name: str | None) -> SignatureScheme | None:
    """The provider scheme registered under ``name`` (None for a generic or unknown scheme)."""
    found = [h.schemes[name] for h in all_hooks().values() if name and name in h.schemes]
    if len(found) > 1:
        raise RuntimeError(f"two provider folders register the signature scheme {name!r}")
    return found[0] if found else None


def scheme_label(name: str | None) -> str | None:
    found = scheme(name)
    return found.label if found else None


def app_hooks(slug: str) -> AppWebhooks | None:
    hooks = hooks_for(slug)
    return hooks.app if hooks else None


def app_level_services() -> tuple[str, ...]:
    """Providers whose webhooks belong to the Hub's app (app id + developer key kept by the Hub)."""
    return tuple(slug for slug, h in all_hooks().items() if h.app is not None)


def subscriber(slug: str) -> Subscriber | None:
    hooks = hooks_for(slug)
    return hooks.subscriber if hooks else None


def url_probe(slug: str, method: str, body: bytes) -> bool:
    hooks = hooks_for(slug)
    return bool(hooks and hooks.url_probe and hooks.url_probe(method, body))


def verify_get(slug: str) -> Callable[[Mapping[str, str], Mapping[str, Any]], str | None] | None:
    hooks = hooks_for(slug)
    return hooks.verify_get if hooks else None


def bridge(slug: str) -> Bridge | None:
    hooks = hooks_for(slug)
    return hooks.bridge if hooks else None


def bridges() -> tuple[str, ...]:
    return tuple(slug for slug, h in all_hooks().items() if h.bridge is not None)


def routes() -> list[BaseRoute]:
    """Every provider's own HTTP routes (e.g. a REST-hook API), in folder order."""
    return [route for h in all_hooks().values() if h.routes for route in h.routes()]


def outbound() -> OutboundDeliveries | None:
    """The one provider that sends outbound deliveries: ``webhook_deliveries`` rows point at its hooks, so a
    second one would need its own table."""
    found = [h.outbound for h in all_hooks().values() if h.outbound is not None]
    if len(found) > 1:
        raise RuntimeError("two provider folders contribute outbound webhook deliveries")
    return found[0] if found else None


def fan_out(session: Session, event: WebhookEvent) -> list[int]:
    """Queue a handled event's outbound deliveries; the ids to ``send`` once the caller has committed."""
    out = outbound()
    return out.fan_out(session, event) if out else []


def due(session: Session) -> list[int]:
    out = outbound()
    return out.due(session) if out else []


def send(delivery_ids: list[int], *, db_url: str | None = None) -> list[str]:
    """Send queued deliveries (after the commit that queued them); per id, what the sender did."""
    out = outbound()
    return out.send(delivery_ids, db_url=db_url) if out and delivery_ids else []
