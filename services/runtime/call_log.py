"""The API call log: every provider call, written off the request path by a background writer.

Calls are queued and inserted in batches so logging adds microseconds, not a database round trip, to
each call. `flush()` waits until everything queued so far is stored (run_action calls it at the end).
URLs are redacted (query tokens, known secret values) before they are stored; nothing else that
could hold a secret is logged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert

from db.base import utcnow
from db.models import ApiCall
from db.session import database_url, session_scope
from services.runtime.redaction import redact_url

log = logging.getLogger(__name__)
# Core INSERT into the table (not the ORM's bulk path); a mapped class's __table__ is typed as a FromClause.
API_CALLS = cast(Table, ApiCall.__table__)


@dataclass(frozen=True)
class CallEntry:
    integration_id: int
    connection_id: int | None
    action: str | None
    mode: str
    method: str
    url: str
    status_code: int | None
    duration_ms: float
    attempt: int
    error_category: str | None
    created_at: datetime = field(default_factory=utcnow)
    # Secret values to redact from the URL; redaction happens in the writer thread, off the call path.
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)


# The stored columns: every field but the secrets. Read field by field, not with ``asdict``, which deep-copies
# (the secrets too) and was a twentieth of a sweep worker's CPU.
_COLUMNS = tuple(f.name for f in fields(CallEntry) if f.name != "secrets")


class CallLog:
    def __init__(self, db_url: str | None = None, batch: int = 200) -> None:
        self.db_url, self.batch = db_url, batch
        self._queue: queue.Queue[CallEntry | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, entry: CallEntry) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="api-call-log", daemon=True)
                self._thread.start()
        self._queue.put(entry)

    def flush(self) -> None:
        self._queue.join()

    def _run(self) -> None:
        while True:
            entries = [self._queue.get()]
            time.sleep(0.05)   # let a burst accumulate: one insert per batch, not per call
            while len(entries) < self.batch:
                try:
                    entries.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                rows = [{**{name: getattr(e, name) for name in _COLUMNS}, "url": redact_url(e.url, e.secrets)}
                        for e in entries if e is not None]
                # One Core INSERT (multi-row on PostgreSQL, db/session.py): the writer barely competes with callers
                # for the GIL.
                if rows:
                    with session_scope(self.db_url) as session:
                        session.execute(insert(API_CALLS), rows)
            except Exception:  # the log must never break a provider call
                log.exception("could not store %d API call log entries", len(entries))
            finally:
                for _ in entries:
                    self._queue.task_done()


_LOGS: dict[str | None, CallLog] = {}
_LOGS_LOCK = threading.Lock()


def call_log(db_url: str | None = None) -> CallLog:
    key = db_url or database_url()
    with _LOGS_LOCK:
        if key not in _LOGS:
            _LOGS[key] = CallLog(key)
        return _LOGS[key]
