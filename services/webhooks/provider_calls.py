"""Calls the Hub makes at a provider to subscribe or unsubscribe webhooks (the providers' ``Subscriber`` hooks in
services/providers/<slug>/webhooks.py, driven by services/webhooks/subscribe.py): a refusal becomes ``InvalidInput``
quoting the provider, the redacted exchanges are kept for the page and the CLI, and the catalog's request paths
are filled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from services.catalog import RequestSpec
from services.core.errors import InvalidInput
from services.runtime.provider_client import ProviderClient
from services.runtime.provider_errors import IntegrationError, NotFoundError, ProviderUnreachable, ReauthRequired


@contextmanager
def calling(client: ProviderClient, requests: list[dict[str, Any]] | None, refusal: str,
            removed: list[str] | None = None) -> Iterator[None]:
    """Provider refusals become ``InvalidInput`` quoting the provider (and what was already deleted, since a
    later DELETE may fail); the redacted exchanges are appended to ``requests`` (when a list) and the client
    closed either way."""
    try:
        yield
    except (ReauthRequired, ProviderUnreachable):
        raise    # the connection's token (refresh refused or failing), not the provider's answer: as it is
    except IntegrationError as exc:
        done = f" (already removed: {', '.join(removed)})" if removed else ""
        raise InvalidInput(f"{refusal}: {exc}{done}") from None
    finally:
        if requests is not None:
            requests.extend(e.as_dict() for e in client.exchanges)
        client.close()


def request_path(request: RequestSpec, **values: Any) -> str:
    """A catalog request's path with its ``{name}`` placeholders filled (URL-quoted)."""
    return re.sub(r"\{(\w+)\}", lambda m: quote(str(values[m.group(1)]), safe=""), request.path)


def delete(client: ProviderClient, request: RequestSpec, **values: Any) -> bool:
    """Send the trigger's unsubscribe request; False when the provider no longer has the subscription (deleted
    meanwhile, e.g. by a retried or concurrent call): the wanted end state, so not an error."""
    try:
        client.request(request.method, request_path(request, **values))
    except NotFoundError:
        return False
    return True
