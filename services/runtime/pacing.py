"""Client-side pacing from the catalog's rate limits, so the Hub does not trip providers' limits.

One limiter per (provider, scope key): a sliding window per `requests / per_seconds` limit and a
semaphore for `concurrency` limits (Mailchimp's 10 simultaneous connections). Shared by every thread
of the process; `slot` blocks for at most `max_wait` seconds, else says how long to wait.

Why a sliding window and not a token bucket: a full bucket lets a burst of `requests` through and then
refills, so up to twice the limit can land in one window, which a provider counting a sliding window
(ActiveCampaign's 5 per second) answers with 429s. Here each request gets a send time no earlier than
`per_seconds` (plus a margin for network jitter) after the request `requests` places before it, so no
window of `per_seconds` ever holds more than `requests` sends; that also keeps a fixed window (Calendly's
per minute) under its limit.

On PostgreSQL (``SharedPacer``) the same windows and slots live in the ``pacing_windows`` table, so every process
(web replicas, workers) draws from one budget: a reservation is one atomic statement (the account's window rows
locked, the send time computed from them on the database's clock and appended, in a single UPDATE ... RETURNING),
a concurrency slot a lease (an expiry time) added under the same kind of statement and removed after the call; a
killed process's slot frees itself when its lease ends. Limits above ``TRACKED`` requests per window (daily
quotas) keep the same average rate over ``TRACKED`` sends, a tighter burst. SQLite keeps the in-process pacer.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Engine, TextClause, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from db.session import database_url
from services.catalog import IntegrationSpec

MARGIN_S = 0.05        # at least this much spacing headroom per window: arrival times jitter
MARGIN_SHARE = 0.02   # and 2% of longer windows


@dataclass
class _Window:
    """At most ``limit`` send times in any ``per_seconds`` (times are reserved, possibly in the future)."""
    limit: int
    per_seconds: float
    times: deque[float] = field(default_factory=deque)

    @property
    def spacing(self) -> float:
        return self.per_seconds + max(MARGIN_S, self.per_seconds * MARGIN_SHARE)

    def earliest(self, now: float) -> float:
        """The earliest send time this window allows now (call with the pacer's lock held)."""
        return now if len(self.times) < self.limit else max(now, self.times[-self.limit] + self.spacing)

    def add(self, at: float) -> None:
        self.times.append(at)
        while len(self.times) > self.limit:
            self.times.popleft()


class Pacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 *, share_on_postgresql: bool = False):
        self._clock, self._sleep = clock, sleep
        self._share = share_on_postgresql   # the process-wide PACER: the shared budget when the database is PG
        self._windows: dict[tuple[str, str, int], _Window] = {}
        self._semaphores: dict[tuple[str, str], threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _limits(self, spec: IntegrationSpec, key: str,
                action: str | None) -> tuple[list[_Window], threading.BoundedSemaphore | None]:
        windows, semaphore = [], None
        with self._lock:
            for n, limit in enumerate(spec.rate_limits):
                if limit.applies_to and action not in limit.applies_to:
                    continue
                if limit.requests and limit.per_seconds:
                    k = (spec.slug, key, n)
                    if k not in self._windows:
                        self._windows[k] = _Window(int(limit.requests), float(limit.per_seconds))
                    windows.append(self._windows[k])
                if limit.concurrency:
                    sk = (spec.slug, key)
                    if sk not in self._semaphores:
                        self._semaphores[sk] = threading.BoundedSemaphore(limit.concurrency)
                    semaphore = self._semaphores[sk]
        return windows, semaphore

    def _reserve(self, windows: list[_Window], max_wait: float) -> float:
        with self._lock:   # one send time for all of the account's windows, recorded in each
            now = self._clock()
            at = max(w.earliest(now) for w in windows)
            if at - now > max_wait:
                raise TimeoutError(at - now)     # nothing reserved: the caller gives up
            for w in windows:
                w.add(at)
        return at - now

    @contextmanager
    def slot(self, spec: IntegrationSpec, key: str, *, action: str | None = None,
             max_wait: float = 30.0) -> Iterator[float]:
        """Wait for the provider's limits for this account (and action); yields the seconds waited."""
        if not spec.rate_limits:
            yield 0.0
            return
        shared = shared_pacer() if self._share else None
        if shared is not None:
            with shared.slot(spec, key, action=action, max_wait=max_wait) as waited:
                yield waited
            return
        windows, semaphore = self._limits(spec, key, action)
        # The concurrency slot first: a send time is reserved only once nothing else can delay the send.
        if semaphore is not None and not semaphore.acquire(timeout=max_wait):
            raise TimeoutError(max_wait)
        try:
            wait = self._reserve(windows, max_wait) if windows else 0.0
            if wait:
                self._sleep(wait)
            yield wait
        finally:
            if semaphore is not None:
                semaphore.release()


TRACKED = 1000        # send times kept per shared window (see the module docstring)
LEASE_S = 120.0       # a shared concurrency slot frees itself this long after it was taken (a killed holder)
LATE_RETRIES = 3      # reservations per send when the process wakes up late for its send time
POOL_SIZE = 4         # database connections per process for reservations
# Spacing headroom of the shared windows, twice the in-process pacer's: sends from several processes jitter more
# than one process's (4 workers on 2 cores: 0-1 breaches in 2000 requests at 0.05 s, none at 0.1 s; costs 5% of
# a one-second window's rate, nothing measurable on longer ones). HUB_PACING_MARGIN_S widens it for a busy fleet.
SHARED_MARGIN_S = float(os.environ.get("HUB_PACING_MARGIN_S", "0.1"))

_RESERVE = text("""
WITH w AS (SELECT id, capacity, per_seconds, times FROM pacing_windows WHERE id = ANY(:ids) ORDER BY id FOR UPDATE),
     n AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t),
     a AS (SELECT greatest((SELECT t FROM n), max(CASE WHEN cardinality(w.times) < w.capacity THEN 0
                  ELSE w.times[cardinality(w.times) - w.capacity + 1] + w.per_seconds
                       + greatest(:margin, w.per_seconds * :share) END)) AS t FROM w)
UPDATE pacing_windows p
   SET times = p.times[greatest(1, cardinality(p.times) - p.capacity + 2) : cardinality(p.times)] || (SELECT t FROM a)
  FROM w
 WHERE p.id = w.id AND (SELECT t FROM a) - (SELECT t FROM n) <= :max_wait
RETURNING (SELECT t FROM a) - (SELECT t FROM n) AS wait""")
_NEEDED = text("""
SELECT max(w.times[cardinality(w.times) - w.capacity + 1] + w.per_seconds) - extract(epoch FROM clock_timestamp())
  FROM pacing_windows w WHERE w.id = ANY(:ids) AND cardinality(w.times) >= w.capacity""")
_ACQUIRE = text("""
UPDATE pacing_windows
   SET times = array(SELECT x FROM unnest(times) x WHERE x > extract(epoch FROM clock_timestamp()))
               || (extract(epoch FROM clock_timestamp()) + :lease + random() * 0.001)
 WHERE id = :id
   AND (SELECT count(*) FROM unnest(times) x WHERE x > extract(epoch FROM clock_timestamp())) < capacity
RETURNING times[cardinality(times)] AS mine""")
_RELEASE = text("UPDATE pacing_windows SET times = array_remove(times, :mine) WHERE id = :id")
_ROW = text("""
INSERT INTO pacing_windows (service, account_key, limit_index, kind, capacity, per_seconds, times)
VALUES (:service, :key, :index, :kind, :capacity, :per_seconds, '{}')
ON CONFLICT (service, account_key, limit_index) DO UPDATE SET capacity = EXCLUDED.capacity,
    per_seconds = EXCLUDED.per_seconds
RETURNING id""")


class SharedPacer:
    """The pacer's windows and slots in PostgreSQL (``pacing_windows``): one budget for every process."""

    def __init__(self, url: str, sleep: Callable[[float], None] = time.sleep) -> None:
        # Autocommit: a reservation is one statement, one round trip (~2 ms), so a few connections serve every
        # thread of the process; a thread waits for one rather than the process opening one per thread, which
        # with several workers ran PostgreSQL out of connections (max_connections, docs/deployment.md).
        # No pre-ping: it would double the round trips of every reservation; a connection found dead (database
        # restarted) is replaced and the statement sent once more (``_scalar``).
        self._engine: Engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE,
                                             max_overflow=0, pool_timeout=60, pool_recycle=600)
        self._ids: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()
        self._sleep = sleep

    def _scalar(self, statement: TextClause, params: dict[str, Any]) -> Any:
        """The statement's first value (None without a row or RETURNING). Sent again once on a fresh connection when
        the pooled one turns out dead: a repeated reservation only spends budget, never exceeds it."""
        for attempt in (1, 2):
            try:
                with self._engine.connect() as conn:
                    result = conn.execute(statement, params)
                    return result.scalar() if result.returns_rows else None
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _row(self, slug: str, key: str, index: int, kind: str, capacity: int, per_seconds: float | None) -> int:
        k = (slug, key[:300], index)
        with self._lock:
            found = self._ids.get(k)
        if found is not None:
            return found
        row_id = int(self._scalar(_ROW, {"service": slug, "key": k[1], "index": index, "kind": kind,
                                         "capacity": capacity, "per_seconds": per_seconds}))
        with self._lock:
            self._ids[k] = row_id
        return row_id

    def _limits(self, spec: IntegrationSpec, key: str, action: str | None) -> tuple[list[int], int | None]:
        windows, slots = [], None
        for n, limit in enumerate(spec.rate_limits):
            if limit.applies_to and action not in limit.applies_to:
                continue
            if limit.requests and limit.per_seconds:
                requests, per = int(limit.requests), float(limit.per_seconds)
                if requests > TRACKED:   # same average rate over the last TRACKED sends
                    requests, per = TRACKED, per * TRACKED / requests
                windows.append(self._row(spec.slug, key, n, "window", requests, per))
            if limit.concurrency:
                slots = self._row(spec.slug, key, -1, "slots", int(limit.concurrency), None)
        return windows, slots

    def reserve(self, window_ids: list[int], max_wait: float) -> float:
        """One send time for all of the account's windows, recorded in each; the seconds to wait for it."""
        params = {"ids": window_ids, "margin": SHARED_MARGIN_S, "share": MARGIN_SHARE, "max_wait": max_wait}
        wait = self._scalar(_RESERVE, params)
        if wait is None:   # past max_wait: nothing reserved; say how long it would have been
            needed = self._scalar(_NEEDED, {"ids": window_ids})
            raise TimeoutError(max(float(needed or max_wait), max_wait))
        return max(0.0, float(wait))

    def _acquire(self, slots_id: int, max_wait: float) -> float:
        deadline = time.monotonic() + max_wait
        while True:
            mine = self._scalar(_ACQUIRE, {"id": slots_id, "lease": LEASE_S})
            if mine is not None:
                return float(mine)
            if time.monotonic() >= deadline:
                raise TimeoutError(max_wait)
            self._sleep(0.01 + random.random() * 0.02)

    def _release(self, slots_id: int, mine: float) -> None:
        self._scalar(_RELEASE, {"id": slots_id, "mine": mine})

    @contextmanager
    def slot(self, spec: IntegrationSpec, key: str, *, action: str | None = None,
             max_wait: float = 30.0) -> Iterator[float]:
        windows, slots = self._limits(spec, key, action)
        mine = self._acquire(slots, max_wait) if slots is not None else None
        try:
            waited = 0.0
            for _ in range(LATE_RETRIES):
                if not windows:
                    break
                wait = self.reserve(windows, max(0.0, max_wait - waited))
                due = time.monotonic() + wait
                if wait:
                    self._sleep(wait)
                waited += wait
                # A send that wakes up late (a busy machine) would land closer to the sends reserved after it than
                # the window allows: reserve again (the late reservation stays, which only costs throughput).
                if time.monotonic() - due <= MARGIN_S / 2:
                    break
            yield waited
        finally:
            if slots is not None and mine is not None:
                self._release(slots, mine)


_SHARED: dict[str, SharedPacer] = {}
_SHARED_LOCK = threading.Lock()


@cache
def _is_postgresql(url: str) -> bool:   # asked on every paced call: parse each URL once
    return make_url(url).get_backend_name() == "postgresql"


def shared_pacer(url: str | None = None) -> SharedPacer | None:
    """The shared budget of the configured database when it is PostgreSQL (``HUB_PACING=local`` keeps the
    in-process pacer: one process only); None on SQLite."""
    url = url or database_url()
    if os.environ.get("HUB_PACING", "").strip() == "local" or not _is_postgresql(url):
        return None
    with _SHARED_LOCK:
        if url not in _SHARED:
            _SHARED[url] = SharedPacer(url)
        return _SHARED[url]


def close_shared() -> None:
    """Dispose of the shared pacers' pools (tests and benchmarks, before dropping a scratch database)."""
    with _SHARED_LOCK:
        for pacer in _SHARED.values():
            pacer._engine.dispose()
        _SHARED.clear()


PACER = Pacer(share_on_postgresql=True)
