"""Client-side pacing: no window of a catalog limit ever holds more sends than the limit allows."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalog import load_catalog
from services.runtime.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:   # the caller's send happens after its wait
        self.now += seconds


def sends(slug: str, gaps: list[float], action: str | None = None) -> list[float]:
    """Send times of one caller issuing requests ``gaps`` apart (its own clock advanced by waits)."""
    t = FakeTime()
    pacer, spec, out = Pacer(clock=t.clock, sleep=t.sleep), load_catalog().get(slug), []
    for gap in gaps:
        t.now += gap
        with pacer.slot(spec, "acct", action=action, max_wait=1e9):
            out.append(t.now)
    return out


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max((sum(1 for u in times if t <= u < t + seconds) for t in times), default=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=40))
def test_activecampaign_never_more_than_five_in_any_second(gaps):
    assert most_in_any_window(sends("activecampaign", gaps), 1.0) <= 5


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=60))
def test_hubspot_search_keeps_its_own_limit_and_the_general_one(gaps):
    times = sends("hubspot", gaps, action="search")
    assert most_in_any_window(times, 1.0) <= 4 and most_in_any_window(times, 10.0) <= 110


def test_a_full_burst_is_not_followed_by_a_second_one_in_the_same_window():
    # A token bucket starts full and refills: 5 at t=0 then 5 more by t=1 would be 10 in one second.
    times = sends("activecampaign", [0.0] * 10)
    assert times[:5] == [0.0] * 5 and all(t >= 1.0 for t in times[5:])


def test_threads_sharing_an_account_share_its_window():
    pacer, spec, lock = Pacer(), load_catalog().get("activecampaign"), threading.Lock()
    import time
    stamps: list[float] = []

    def call() -> None:
        with pacer.slot(spec, "shared"), lock:
            stamps.append(time.monotonic())
    threads = [threading.Thread(target=call) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # Real threads: a stamp may lag its reserved send time on a loaded machine, so a 0.9 s window (not 1.0 s)
    # leaves 100 ms for that; without a shared window all 12 would land within milliseconds.
    assert len(stamps) == 12 and most_in_any_window(sorted(stamps), 0.9) <= 5
