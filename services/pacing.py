"""Client-side pacing from the catalog's rate limits, so the Hub does not trip providers' limits.

One limiter per (provider, scope key): a token bucket per `requests / per_seconds` limit and a
semaphore for `concurrency` limits (Mailchimp's 10 simultaneous connections). Shared by every thread
of the process; `acquire` blocks for at most `max_wait` seconds, else says how long to wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from services.catalog import IntegrationSpec


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    stamp: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self, now: float) -> float:
        """Take one token; return how long the caller must wait before using it."""
        with self.lock:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
            self.stamp = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.per_second


class Pacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[tuple[str, str, int], _Bucket] = {}
        self._semaphores: dict[tuple[str, str], threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _limits(self, spec: IntegrationSpec, key: str,
                action: str | None) -> tuple[list[_Bucket], threading.BoundedSemaphore | None]:
        buckets, semaphore = [], None
        with self._lock:
            for n, limit in enumerate(spec.rate_limits):
                if limit.applies_to and action not in limit.applies_to:
                    continue
                if limit.requests and limit.per_seconds:
                    k = (spec.slug, key, n)
                    if k not in self._buckets:
                        rate = limit.requests / limit.per_seconds
                        self._buckets[k] = _Bucket(float(limit.requests), rate, float(limit.requests), self._clock())
                    buckets.append(self._buckets[k])
                if limit.concurrency:
                    sk = (spec.slug, key)
                    if sk not in self._semaphores:
                        self._semaphores[sk] = threading.BoundedSemaphore(limit.concurrency)
                    semaphore = self._semaphores[sk]
        return buckets, semaphore

    @contextmanager
    def slot(self, spec: IntegrationSpec, key: str, *, action: str | None = None,
             max_wait: float = 30.0) -> Iterator[float]:
        """Wait for the provider's limits for this account (and action); yields the seconds waited."""
        buckets, semaphore = self._limits(spec, key, action)
        wait = max((b.reserve(self._clock()) for b in buckets), default=0.0)
        if wait > max_wait:
            raise TimeoutError(wait)
        if wait:
            self._sleep(wait)
        if semaphore is not None and not semaphore.acquire(timeout=max_wait):
            raise TimeoutError(max_wait)
        try:
            yield wait
        finally:
            if semaphore is not None:
                semaphore.release()


PACER = Pacer()
