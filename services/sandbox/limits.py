"""Rate limiters of the sandbox that behave like the providers' (shared helper: any provider module may
use it): a sliding window (ActiveCampaign 5 requests/s per account), a fixed window that resets
(Calendly 500 per user per minute, with X-RateLimit-Reset = seconds left) and a concurrency cap
(Mailchimp 10 simultaneous connections per user).

Limiters are real, not fault switches: a client that does not pace itself gets the provider's 429.
``reset_all()`` forgets every count (tests call it between cases, next to ``store.reset_all()``).

A provider counts a request when it reaches its edge. A server in front of the sandbox may say when that was
(``ARRIVED``, e.g. the benchmark sandbox, services/bench/sandbox.py): the limiters on the process clock then count
from it, not from when this one event loop got round to the request, whose lag on a loaded machine is the
sandbox's own and not the client's pacing.
"""

from __future__ import annotations

import bisect
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_LIMITERS: weakref.WeakSet[Any] = weakref.WeakSet()
ARRIVED: ContextVar[float | None] = ContextVar("sandbox_request_arrived", default=None)   # time.monotonic()


def _arrival(now: Callable[[], float]) -> float:
    arrived = ARRIVED.get()
    return arrived if arrived is not None and now is time.monotonic else now()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: float          # seconds until a request is free again (sliding) or the window resets (fixed)


class SlidingWindow:
    """At most ``limit`` requests in any ``per_seconds`` per key."""

    def __init__(self, limit: int, per_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.per_seconds, self.now = limit, per_seconds, now
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        _LIMITERS.add(self)

    def hit(self, key: str) -> Decision:
        with self._lock:
            now = _arrival(self.now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.per_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return Decision(False, self.limit, 0, max(0.0, hits[0] + self.per_seconds - now))
            bisect.insort(hits, now)        # arrival times may come slightly out of order
            return Decision(True, self.limit, self.limit - len(hits), hits[0] + self.per_seconds - now)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class FixedWindow:
    """``limit`` requests per window of ``per_seconds``; a key's window starts with its first request."""

    def __init__(self, limit: int, per_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.per_seconds, self.now = limit, per_seconds, now
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}   # key -> [started, count]
        _LIMITERS.add(self)

    def hit(self, key: str) -> Decision:
        with self._lock:
            now = _arrival(self.now)
            window = self._windows.get(key)
            if window is None or now >= window[0] + self.per_seconds:
                window = self._windows[key] = [now, 0]
            reset = window[0] + self.per_seconds - now
            if window[1] >= self.limit:
                return Decision(False, self.limit, 0, reset)
            window[1] += 1
            return Decision(True, self.limit, self.limit - int(window[1]), reset)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class Concurrency:
    """At most ``limit`` requests in flight per key; ``peak`` records the highest count seen."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        _LIMITERS.add(self)

    def acquire(self, key: str) -> bool:
        with self._lock:
            active = self._active.get(key, 0)
            if active >= self.limit:
                return False
            self._active[key] = active + 1
            self.peak[key] = max(self.peak.get(key, 0), active + 1)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._active[key] = max(0, self._active.get(key, 0) - 1)

    def active(self, key: str) -> int:
        with self._lock:
            return self._active.get(key, 0)

    @contextmanager
    def slot(self, key: str) -> Iterator[bool]:
        """``with limiter.slot(key) as ok:`` — ok is False when the cap is reached (nothing to release)."""
        ok = self.acquire(key)
        try:
            yield ok
        finally:
            if ok:
                self.release(key)

    def reset(self) -> None:
        with self._lock:
            self._active.clear()
            self.peak.clear()


def reset_all() -> None:
    """Forget every limiter's counts (all providers)."""
    for limiter in list(_LIMITERS):
        limiter.reset()
