"""Per-account in-memory state of the sandbox providers (shared helper: any provider module may use it).

Each provider keeps one ``AccountStore``; each sandbox account gets its own dict, created from the
provider's ``seed(account)`` on first use. Handlers mutate the dict only inside ``with store.use(account)``
(one lock per provider, never held across an ``await``), so concurrent requests cannot interleave a
read-modify-write. Tests read a deep copy with ``snapshot(slug, account)`` (or the provider module's
``state(account)``) and compare before/after to prove that test mode changed nothing.

Reading a snapshot of an account that was never used returns its seed without creating it, so a
"before" snapshot taken ahead of any request equals an "after" one when nothing was written.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

State = dict[str, Any]

STORES: dict[str, AccountStore] = {}


class AccountStore:
    """The state of one sandbox provider: one dict per sandbox account."""

    def __init__(self, slug: str, seed: Callable[[str], State] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.slug = slug
        self._seed = seed or (lambda account: {})
        self._lock = threading.RLock()
        self._accounts: dict[str, State] = {}
        self.clock = clock          # tests may replace it (e.g. Webflow's one-publish-per-minute window)
        STORES[slug] = self

    @contextmanager
    def use(self, account: str) -> Iterator[State]:
        """The live state of ``account`` (seeded on first use), locked for the duration of the block."""
        with self._lock:
            data = self._accounts.get(account)
            if data is None:
                data = self._accounts[account] = self._seed(account)
            yield data

    def snapshot(self, account: str) -> State:
        """A deep copy of the account's state (its seed when it was never used; nothing is created)."""
        with self._lock:
            data = self._accounts.get(account)
            return copy.deepcopy(data) if data is not None else self._seed(account)

    def accounts(self) -> list[str]:
        with self._lock:
            return sorted(self._accounts)

    def reset(self, account: str | None = None) -> None:
        """Forget one account's state (or every account's): the next use starts from the seed again."""
        with self._lock:
            if account is None:
                self._accounts.clear()
            else:
                self._accounts.pop(account, None)


def next_id(data: State, counter: str, start: int = 1) -> int:
    """The next integer of a per-account counter (call inside ``use``)."""
    counters = data.setdefault("_counters", {})
    value = counters.get(counter, start)
    counters[counter] = value + 1
    return value


def snapshot(slug: str, account: str) -> State:
    """Deep copy of one provider's state for one account (KeyError for a provider without a store)."""
    return STORES[slug].snapshot(account)


def reset_all() -> None:
    for store in STORES.values():
        store.reset()
