"""The sandbox's limiters count a request from when it arrived (``limits.ARRIVED``, set by a server in front such as
the benchmark sandbox), not from when the event loop got round to it: that lag is the sandbox's, not the client's."""

from __future__ import annotations

import time

from services.sandbox import limits


def _hit(window: limits.SlidingWindow | limits.FixedWindow, arrived: float | None) -> bool:
    token = limits.ARRIVED.set(arrived)
    try:
        return window.hit("acct").allowed
    finally:
        limits.ARRIVED.reset(token)


def test_a_sliding_window_counts_from_the_arrival_time() -> None:
    window = limits.SlidingWindow(2, 1.0)
    t0 = time.monotonic() - 10              # arrived well before this loop handles them
    assert _hit(window, t0) and _hit(window, t0 + 0.5)
    assert not _hit(window, t0 + 0.9)       # 3 within one second of arrival
    assert _hit(window, t0 + 1.01)          # the first has left the window by its arrival time


def test_out_of_order_arrivals_stay_counted_in_order() -> None:
    window = limits.SlidingWindow(2, 1.0)
    t0 = time.monotonic() - 10
    assert _hit(window, t0 + 0.6) and _hit(window, t0 + 0.2)    # handled in the other order
    assert not _hit(window, t0 + 1.1)       # t0+0.6 is still within the second before it
    assert _hit(window, t0 + 1.25)          # t0+0.2 has left: the earliest is dropped first


def test_a_fixed_window_starts_at_the_first_arrival() -> None:
    window = limits.FixedWindow(1, 1.0)
    t0 = time.monotonic() - 10
    assert _hit(window, t0)
    assert not _hit(window, t0 + 0.99)
    assert _hit(window, t0 + 1.0)


def test_a_limiter_on_an_injected_clock_ignores_the_arrival_time() -> None:
    now = [100.0]
    window = limits.SlidingWindow(1, 1.0, now=lambda: now[0])
    assert _hit(window, 5.0)
    now[0] = 100.5
    assert not _hit(window, 500.0)          # its own clock says half a second: refused
    assert _hit(window, None) is False
