"""Background work of the server process (st.App ``lifespan``, app.py): the webhook recovery pass every
``recovery.INTERVAL_S`` (inbound events answered 2xx whose handling was lost, services/webhooks/recovery.py), and
the deliveries it queued. Cron runs the same pass (``layers-hub webhooks send``); running both, or several server
processes, is safe: each event is claimed in the transaction that handles it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from db.outage import is_outage
from services.webhooks import hooks, recovery

log = logging.getLogger(__name__)


def recovery_pass(db_url: str | None = None) -> recovery.PassReport:
    report = recovery.run_pass(db_url=db_url)
    if report.queued:
        hooks.send(report.queued, db_url=db_url)
    return report


async def _every(interval: float) -> None:
    while True:
        await anyio.sleep(interval)
        try:   # abandoned at shutdown: a delivery interrupted mid-send is resent by the next pass (its lease)
            await anyio.to_thread.run_sync(recovery_pass, abandon_on_cancel=True)
        except Exception as exc:   # the loop outlives an outage
            if is_outage(exc) or is_outage(exc.__context__):
                log.warning("webhook recovery pass: the database is unreachable; next try in %.0f s", interval)
            else:
                log.exception("webhook recovery pass failed")


@asynccontextmanager
async def lifespan(app: Any, interval: float = recovery.INTERVAL_S) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        group.start_soon(_every, interval)
        try:
            yield None
        finally:
            group.cancel_scope.cancel()
