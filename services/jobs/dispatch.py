"""Queue a job: through procrastinate (``queue``) or to the in-process runner (``embedded``), by ``HUB_JOBS`` and
the database (``registry.uses_queue``). Callers pass row ids; deferring never replaces the row's own state."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from db.session import database_url
from services.jobs import embedded, queue
from services.jobs.registry import uses_queue

log = logging.getLogger(__name__)


def defer(name: str, payloads: Iterable[Mapping[str, Any]], *, url: str | None = None,
          lock: str | None = None) -> int:
    """Queue ``name`` once per payload; how many were queued (a ``lock`` skips those already queued)."""
    url = url or database_url()
    payloads = list(payloads)
    if not payloads:
        return 0
    if uses_queue(url):
        return len(queue.defer(url, name, payloads, lock=lock))
    return len(embedded.RUNNER.submit(name, payloads))
