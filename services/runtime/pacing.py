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
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

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
    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock, self._sleep = clock, sleep
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


PACER = Pacer()
