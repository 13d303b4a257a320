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

Batches: a round trip per send costs more than a loopback call, so while an account's limits are not binding and
its sends come often, one statement reserves a batch of up to ``BATCH_MAX`` sends (never more than a tenth of a
window), usable by this process's threads from the batch's earliest allowed time ``start`` until ``start + span``.
The batch is recorded in each window as ``k`` send times at the end of its span, never earlier than a send can
really happen, and each window's times are kept sorted, its earliest send time computed from its latest times
(not their order). Why that never exceeds a limit: take ``capacity + 1`` sends in one window and the last
statement that reserved any of them, ``m`` (at most ``k``) of them; the other sends were recorded before it, each
at or after the window's first send, so that statement's ``start``, at least the window's ``capacity - k + 1``-th
latest time plus the spacing, is already past the window. Unused sends of a batch lapse with its span (budget
spent, never exceeded); a wait for the budget (the limit binds) makes the next reservation single again.
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

import psycopg
from psycopg.rows import namedtuple_row
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
BATCH_MAX = 16        # sends reserved by one statement while the limits do not bind (module docstring)
BATCH_SHARE = 10      # ... and at most a tenth of the account's smallest window
BATCH_SPAN_S = 0.1    # a batch's sends are usable this long after its start, then lapse
POOL_SIZE = 4         # database connections per process for reservations
# Spacing headroom of the shared windows, twice the in-process pacer's: sends from several processes jitter more
# than one process's (4 workers on 2 cores: 0-1 breaches in 2000 requests at 0.05 s, none at 0.1 s; costs 5% of
# a one-second window's rate, nothing measurable on longer ones). HUB_PACING_MARGIN_S widens it for a busy fleet.
SHARED_MARGIN_S = float(os.environ.get("HUB_PACING_MARGIN_S", "0.1"))



def _locked(windows: str) -> str:
    """The start of a statement over the window rows ``windows`` selects: ``w``, those rows locked in id order, and
    ``n``, the database's clock read once they are locked (``n`` reads ``w``). Read before, a statement that waited
    for another process's lock would record a send time already past, and the next send would be spaced from it."""
    return f"""
WITH w AS ({windows} ORDER BY id FOR UPDATE),
     n AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t FROM (SELECT count(*) FROM w) AS locked)"""


def _reservation(windows: str, *, guard: str = "", returning: str = "") -> TextClause:
    """The reservation statement over the window rows ``windows`` selects (``_locked``)."""
    return text(_locked(windows) + """,
     a AS (SELECT greatest((SELECT t FROM n), max(CASE WHEN cardinality(w.times) < w.capacity - :k + 1 THEN 0
                  ELSE w.times[cardinality(w.times) - w.capacity + :k] + w.per_seconds
                       + greatest(:margin, w.per_seconds * :share) END)) AS t FROM w)""" + f"""
UPDATE pacing_windows p
   SET times = array(SELECT x FROM (SELECT x FROM unnest(p.times || array_fill((SELECT t FROM a) + :span, ARRAY[:k])) x
                                     ORDER BY x DESC LIMIT p.capacity) latest ORDER BY x)
  FROM w
 WHERE p.id = w.id AND {guard}(SELECT t FROM a) - (SELECT t FROM n) <= :max_wait
RETURNING (SELECT t FROM a) - (SELECT t FROM n) AS wait, (SELECT t FROM a) AS at{returning}""")


_RESERVE = _reservation("SELECT id, capacity, per_seconds, times FROM pacing_windows WHERE id = ANY(:ids)")
# A process's first send for an account: the rows found by their key and the send reserved in one statement (it
# returns the rows' ids and limits); no row comes back when one is missing (a new account) or the wait is too long.
_RESERVE_KEYED = _reservation(
    "SELECT id, capacity, per_seconds, times FROM pacing_windows "
    "WHERE service = :service AND account_key = :key AND limit_index = ANY(CAST(:indexes AS integer[]))",
    guard="(SELECT count(*) FROM w) = :count AND ",
    returning=", p.id, p.limit_index, p.capacity, p.per_seconds")
# A send found late (``_send_time_single``) whose reserved time is still the latest in every one of its windows (no
# send reserved after it, by any process): its time is moved to now, when it really goes, instead of a reservation
# anew that would wait a whole spacing. Moving the latest time later keeps each window sorted and every send before
# it spaced as reserved; a send reserved later is then spaced from the true time. No row: another send came after
# it (or a batch holds the same time), so the caller reserves anew.
_RESTAMP = text(_locked("SELECT id, times FROM pacing_windows WHERE id = ANY(:ids)") + """
UPDATE pacing_windows p
   SET times = p.times[1:cardinality(p.times) - 1] || (SELECT t FROM n)
  FROM w
 WHERE p.id = w.id
   AND (SELECT count(*) FROM w WHERE w.times[cardinality(w.times)] = CAST(:at AS float8)
           AND coalesce(w.times[cardinality(w.times) - 1] < CAST(:at AS float8), true)) = :count
RETURNING (SELECT t FROM n) AS at""")
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
# A window's row: read when it exists as the catalog describes it (a process meets each account once, then keeps the
# id), created or updated to the catalog's limit otherwise; one statement either way, a write only when needed.
_ROW = text("""
WITH found AS (SELECT id FROM pacing_windows
                WHERE service = :service AND account_key = :key AND limit_index = :index
                  AND capacity = CAST(:capacity AS integer)
                  AND per_seconds IS NOT DISTINCT FROM CAST(:per_seconds AS float8)),
     made AS (INSERT INTO pacing_windows (service, account_key, limit_index, kind, capacity, per_seconds, times)
              SELECT :service, :key, :index, :kind, CAST(:capacity AS integer), CAST(:per_seconds AS float8), '{}'
               WHERE NOT EXISTS (SELECT 1 FROM found)
              ON CONFLICT (service, account_key, limit_index) DO UPDATE SET capacity = EXCLUDED.capacity,
                  per_seconds = EXCLUDED.per_seconds
              RETURNING id)
SELECT id FROM found UNION ALL SELECT id FROM made""")


@dataclass
class _Batch:
    """Sends reserved by one statement: ``left`` of ``size`` may go between ``start`` and ``end`` (monotonic)."""
    start: float
    end: float
    left: int
    size: int


class SharedPacer:
    """The pacer's windows and slots in PostgreSQL (``pacing_windows``): one budget for every process."""

    def __init__(self, url: str, sleep: Callable[[float], None] = time.sleep) -> None:
        # Autocommit: a reservation is one statement, one round trip (~2 ms), so a few connections serve every
        # thread of the process; a thread waits for one rather than the process opening one per thread, which
        # with several workers ran PostgreSQL out of connections (max_connections, docs/deployment.md).
        # No pre-ping: it would double the round trips of every reservation; a connection found dead (database
        # restarted) is replaced and the statement sent once more (``_scalar``).
        # synchronous_commit off: a reservation's commit does not wait for the WAL flush (one round trip, not one
        # plus a disk flush). A database crash may lose the last few reservations, i.e. allow a send or two early
        # within a second of the crash; pacing state is seconds deep, never worth a flush per send.
        self._engine: Engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE,
                                             connect_args={"options": "-c synchronous_commit=off"},
                                             max_overflow=0, pool_timeout=60, pool_recycle=600)
        self._ids: dict[tuple[str, str, int], int] = {}
        self._compiled: dict[TextClause, str] = {}
        self._capacity: dict[int, int] = {}                       # window id -> its capacity
        self._batches: dict[tuple[int, ...], list[_Batch]] = {}   # live batches by window ids
        self._batch_size: dict[tuple[int, ...], int] = {}         # the next batch's size
        self._last_reserved: dict[tuple[int, ...], float] = {}
        self._lock = threading.Lock()
        self._sleep = sleep

    def _scalar(self, statement: TextClause, params: dict[str, Any]) -> Any:
        """The statement's first value (None without a row or RETURNING)."""
        row = self._first(statement, params)
        return None if row is None else row[0]

    def _first(self, statement: TextClause, params: dict[str, Any]) -> Any:
        rows = self._all(statement, params)
        return rows[0] if rows else None

    def _sql(self, statement: TextClause) -> str:
        """The statement in the driver's own parameter style, compiled once."""
        sql = self._compiled.get(statement)
        if sql is None:
            sql = self._compiled[statement] = str(statement.compile(dialect=self._engine.dialect))
        return sql

    def _all(self, statement: TextClause, params: dict[str, Any]) -> list[Any]:
        """The statement's rows (none without RETURNING). Sent to the driver on a connection of the engine's pool,
        without SQLAlchemy's execution layer: a reservation precedes every paced call, and that layer was two thirds
        of its CPU (0.13 ms against psycopg's 0.06). Sent again once on a fresh connection when the pooled one turns
        out dead: a repeated reservation only spends budget, never exceeds it."""
        sql = self._sql(statement)
        for attempt in (1, 2):
            raw = self._engine.raw_connection()
            driver: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
            try:
                with driver.cursor(row_factory=namedtuple_row) as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            except psycopg.Error as exc:
                if isinstance(exc, psycopg.OperationalError) and driver.closed and attempt == 1:
                    raw.invalidate()     # the database dropped it: a new connection, the statement once more
                    continue
                # As SQLAlchemy would raise it: callers (e.g. the routes' outage handler) know DBAPIError.
                raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
            finally:
                raw.close()          # back to the pool (an invalidated one is discarded)
        raise AssertionError("unreachable")

    def _row(self, slug: str, key: str, index: int, kind: str, capacity: int, per_seconds: float | None) -> int:
        k = (slug, key[:300], index)
        with self._lock:
            found = self._ids.get(k)
        if found is not None:
            return found
        row_id = int(self._scalar(_ROW, {"service": slug, "key": k[1], "index": index, "kind": kind,
                                         "capacity": capacity, "per_seconds": per_seconds}))
        self._remember(k, row_id, capacity)
        return row_id

    def _remember(self, k: tuple[str, str, int], row_id: int, capacity: int) -> None:
        with self._lock:
            self._ids[k] = row_id
            self._capacity[row_id] = capacity

    @staticmethod
    def _wanted(spec: IntegrationSpec, action: str | None) -> tuple[list[tuple[int, int, float]], int | None]:
        """The catalog's windows for this action, as (limit index, capacity, per seconds), and its concurrency."""
        windows, slots = [], None
        for n, limit in enumerate(spec.rate_limits):
            if limit.applies_to and action not in limit.applies_to:
                continue
            if limit.requests and limit.per_seconds:
                requests, per = int(limit.requests), float(limit.per_seconds)
                if requests > TRACKED:   # same average rate over the last TRACKED sends
                    requests, per = TRACKED, per * TRACKED / requests
                windows.append((n, requests, per))
            if limit.concurrency:
                slots = int(limit.concurrency)
        return windows, slots

    def _limits(self, spec: IntegrationSpec, key: str, action: str | None) -> tuple[list[int], int | None]:
        """The rows of the account's windows and concurrency slots (found or created)."""
        wanted, slots = self._wanted(spec, action)
        return ([self._row(spec.slug, key, n, "window", capacity, per) for n, capacity, per in wanted],
                self._row(spec.slug, key, -1, "slots", slots, None) if slots else None)

    def reserve(self, window_ids: list[int], max_wait: float, *, count: int = 1, span: float = 0.0) -> float:
        """``count`` sends for all of the account's windows, recorded in each at ``span`` after the earliest time
        they may all be sent; the seconds to wait for that time (module docstring: batches)."""
        return self._reserve(window_ids, max_wait, count=count, span=span)[0]

    def _reserve(self, window_ids: list[int], max_wait: float, *, count: int = 1,
                 span: float = 0.0) -> tuple[float, float]:
        """``reserve``'s wait, and the send time itself on the database's clock (epoch seconds)."""
        params = {"ids": window_ids, "margin": SHARED_MARGIN_S, "share": MARGIN_SHARE, "max_wait": max_wait,
                  "k": count, "span": span}
        row = self._first(_RESERVE, params)
        if row is None:   # past max_wait: nothing reserved; say how long it would have been
            needed = self._scalar(_NEEDED, {"ids": window_ids})
            raise TimeoutError(max(float(needed or max_wait), max_wait))
        return max(0.0, float(row[0])), float(row[1])

    def _from_batch(self, key: tuple[int, ...]) -> tuple[float, float] | None:
        """A send from one of this process's live batches for these windows: the seconds until it may go, and the
        monotonic time after which it may not."""
        now = time.monotonic()
        with self._lock:
            live = []
            for batch in self._batches.get(key, []):
                if batch.end <= now:
                    if batch.left:          # sends lapsed unused: demand was lower than the batch
                        self._batch_size[key] = max(1, batch.size // 2)
                    continue
                live.append(batch)
            self._batches[key] = live
            for batch in live:
                if batch.left:
                    batch.left -= 1
                    if not batch.left:      # used up within its span: sends come faster than batches
                        self._batch_size[key] = min(self._batch_max(key), batch.size * 2)
                    return max(0.0, batch.start - now), batch.end
        return None

    def _batch_max(self, key: tuple[int, ...]) -> int:
        return max(1, min(BATCH_MAX, min(self._capacity[i] for i in key) // BATCH_SHARE))

    def _batched(self, key: tuple[int, ...], max_wait: float) -> tuple[float, float] | None:
        """Reserve a batch when the windows allow one and the sends come often (None: reserve a single send)."""
        now = time.monotonic()
        with self._lock:
            size = self._batch_size.get(key, 1)
            recent, self._last_reserved[key] = self._last_reserved.get(key), now
            if size == 1 and recent is not None and now - recent < BATCH_SPAN_S and self._batch_max(key) > 1:
                size = 2                    # a second send within a span: start batching
        if size == 1:
            return None
        sent = time.monotonic()
        wait = self.reserve(list(key), max_wait, count=size, span=BATCH_SPAN_S)
        got = time.monotonic()
        with self._lock:
            if wait > 0:                    # the budget binds: single sends again
                self._batch_size[key] = 1
            # Local times on the safe side of the database's: usable from after the answer, until before the span
            # counted from when the statement left.
            batch = _Batch(start=got + wait, end=sent + wait + BATCH_SPAN_S, left=size - 1, size=size)
            self._batches.setdefault(key, []).append(batch)
        return wait, batch.end

    def _send_time(self, windows: list[int], max_wait: float) -> float:
        """Wait for a send time in these windows (from a batch, a new batch or a single reservation); the seconds
        waited."""
        key = tuple(windows)
        batched = self._from_batch(key) or self._batched(key, max_wait)
        if batched is None:
            return self._send_time_single(key, max_wait)
        wait, end = batched
        if wait:
            self._sleep(wait)
        if time.monotonic() < end:
            return wait
        # Woke up past the batch's span (a busy machine): its send would be later than recorded; reserve anew.
        return wait + self._send_time_single(key, max(0.0, max_wait - wait))

    def _first_send_time(self, slug: str, key: str, wanted: list[tuple[int, int, float]], max_wait: float) -> float:
        """Wait for a send time in the account's windows; the first time this process sends for the account, its
        rows are found and the send reserved in one statement rather than two."""
        with self._lock:
            ids = [self._ids.get((slug, key[:300], n)) for n, _, _ in wanted]
        known = [i for i in ids if i is not None]
        if len(known) == len(wanted):
            return self._send_time(known, max_wait)
        sent = time.monotonic()
        rows = self._all(_RESERVE_KEYED, {"service": slug, "key": key[:300], "indexes": [n for n, _, _ in wanted],
                                          "count": len(wanted), "margin": SHARED_MARGIN_S, "share": MARGIN_SHARE,
                                          "max_wait": max_wait, "k": 1, "span": 0.0})
        found = {int(r.limit_index): r for r in rows}
        if len(found) != len(wanted):   # a new account (rows created now) or a wait past max_wait (refused there)
            return self._send_time([self._row(slug, key, n, "window", c, p) for n, c, p in wanted], max_wait)
        for n, capacity, per in wanted:
            row = found[n]
            if (int(row.capacity), row.per_seconds) != (capacity, per):
                self._row(slug, key, n, "window", capacity, per)   # the catalog's limit changed: the row follows
            else:
                self._remember((slug, key[:300], n), int(row.id), capacity)
        first = (sent, max(0.0, float(rows[0].wait)), float(rows[0].at))
        return self._send_time_single(tuple(int(found[n].id) for n, _, _ in wanted), max_wait, first=first)

    def _send_time_single(self, key: tuple[int, ...], max_wait: float,
                          first: tuple[float, float, float] | None = None) -> float:
        """One send time reserved alone (again when the process wakes up late for it); the seconds waited.
        ``first``: a reservation already made (when sent, its wait, its time)."""
        windows = list(key)
        waited = 0.0
        for _ in range(LATE_RETRIES):
            if first is not None:
                (sent, wait, at), first = first, None
            else:
                sent = time.monotonic()
                wait, at = self._reserve(windows, max(0.0, max_wait - waited))
            if wait > 0:
                with self._lock:
                    self._batch_size[key] = 1
            if wait:
                self._sleep(wait)   # counted from the answer: never before the reserved time
            waited += wait
            # A send later than its reserved time would land closer to the sends reserved after it than the window
            # allows: move its time to now while no send was reserved after it (_RESTAMP), else reserve again (the
            # late reservation stays, which only costs throughput). Late by the wall
            # clock against the database's (one host's clock, or NTP-close ones), and by no more than if the
            # database's time had been when the statement left (a slow answer: a lock wait, a busy process).
            late = min(time.monotonic() - (sent + wait), time.time() - at)
            if late <= MARGIN_S / 2:
                break
            sent = time.monotonic()
            moved = self._scalar(_RESTAMP, {"ids": windows, "at": at, "count": len(windows)})
            if moved is not None:   # still the latest send: it goes now, recorded now, with no second wait
                first = (sent, 0.0, float(moved))
        return waited

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
        wanted, concurrency = self._wanted(spec, action)
        slots = self._row(spec.slug, key, -1, "slots", concurrency, None) if concurrency else None
        mine = self._acquire(slots, max_wait) if slots is not None else None
        try:
            yield self._first_send_time(spec.slug, key, wanted, max_wait) if wanted else 0.0
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
