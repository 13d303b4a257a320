"""Pacing shared across processes on PostgreSQL (issue 16): every process draws from one budget in
``pacing_windows`` (services/runtime/pacing.SharedPacer), so two processes together never exceed a provider's
limit. Real extra processes against the test PostgreSQL; the send times are checked, no speed is."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from services.catalog import load_catalog
from services.runtime.pacing import PACER, SharedPacer, close_shared, shared_pacer

# A pacer error inside a worker thread (e.g. releasing a slot) must fail the test, not pass as a warning.
pytestmark = [pytest.mark.postgresql_only,
              pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")]

ROOT = Path(__file__).resolve().parent.parent
SENDER = """
import sys, time
from services.catalog import load_catalog
from services.runtime.pacing import PACER
spec, key, n = load_catalog().get("activecampaign"), sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()                      # start together
for _ in range(n):
    with PACER.slot(spec, key, max_wait=60) as waited:
        print(time.time(), flush=True)
"""


@pytest.fixture(autouse=True)
def _pools(db_url: str):  # type: ignore[no-untyped-def]
    yield
    close_shared()


def busiest(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + window) for i, t in enumerate(times))


def test_two_processes_draw_from_one_budget(db_url: str) -> None:
    """ActiveCampaign allows 5 requests per second per account: two processes sending 12 each for the same account
    land at most 5 in any second, together."""
    key = f"acct-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": db_url}
    procs = [subprocess.Popen([sys.executable, "-c", SENDER, key, "12"], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    sends = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        sends += [float(line) for line in out.split()]
    assert len(sends) == 24
    assert busiest(sends, 1.0) <= 5, sorted(sends)
    assert max(sends) - min(sends) >= 3.0          # 24 sends at 5 a second: the budget bound them


def test_the_process_pacer_uses_the_shared_budget_on_postgresql(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(shared_pacer(), SharedPacer)
    monkeypatch.setenv("HUB_PACING", "local")
    assert shared_pacer() is None


def test_a_reservation_past_max_wait_reserves_nothing(db_url: str) -> None:
    pacer, spec, key = SharedPacer(db_url), load_catalog().get("activecampaign"), f"k-{uuid.uuid4().hex[:8]}"
    windows, _ = pacer._limits(spec, key, None)
    for _ in range(5):
        assert pacer.reserve(windows, 0.0) == 0.0         # the first five of the second: at once
    with pytest.raises(TimeoutError) as caught:
        pacer.reserve(windows, 0.0)
    assert 0.5 < caught.value.args[0] <= 1.1              # when the window frees
    assert 0.5 < pacer.reserve(windows, 5.0) <= 1.1       # nothing was reserved by the refused call
    pacer._engine.dispose()


def test_concurrency_slots_are_shared_and_released(db_url: str) -> None:
    """Mailchimp: 10 simultaneous connections per account; 14 threads holding a slot overlap at most 10."""
    spec, key = load_catalog().get("mailchimp"), f"mc-{uuid.uuid4().hex[:8]}"
    inside, peak, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal inside, peak
        with PACER.slot(spec, key, max_wait=30):
            with lock:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.3)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=call) for _ in range(14)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 10
    pacer = shared_pacer()
    assert pacer is not None
    _, slots = pacer._limits(spec, key, None)
    with pacer._engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT cardinality(times) FROM pacing_windows WHERE id = :id"),
                            {"id": slots}).scalar() == 0   # every slot given back


def _window_times(pacer: SharedPacer, window: int) -> list[float]:
    from sqlalchemy import text

    with pacer._engine.connect() as conn:
        return list(conn.execute(text("SELECT times FROM pacing_windows WHERE id = :id"), {"id": window}).scalar())


def test_a_late_wake_up_still_the_latest_send_is_recorded_when_it_really_goes(db_url: str) -> None:
    """A process that wakes up well after its reserved send time (a busy machine) sends later than recorded. While
    no send was reserved after it, its recorded time moves to when it really goes: no second wait (a reservation
    anew waited a whole spacing: Klaviyo's one check a second made 2-second stragglers in the sweep benchmark)."""
    overslept: list[float] = []

    def late_sleep(seconds: float) -> None:
        overslept.append(seconds)
        time.sleep(seconds + 0.3)                 # every wait oversleeps, as a starved thread would

    pacer, spec, key = SharedPacer(db_url, sleep=late_sleep), load_catalog().get("notion"), f"n-{uuid.uuid4().hex[:8]}"
    windows, _ = pacer._limits(spec, key, None)           # Notion: 3 requests per second
    statements = _counting(pacer)
    for _ in range(3):
        assert pacer.reserve(windows, 0.0) == 0.0
    first_three = _window_times(pacer, windows[0])
    with pacer.slot(spec, key, max_wait=10) as waited:
        sent = time.time()
    assert len(overslept) == 1 and 1.0 < overslept[0] <= 1.1, overslept   # the window's next send time, overslept
    assert waited == pytest.approx(overslept[0]) and statements == [1, 1, 1, 1], "no second reservation"
    times = _window_times(pacer, windows[0])
    # The latest three: two of the first sends and ours, at when it really went (0.3 s past its reserved time).
    assert times[:2] == first_three[1:] and first_three[0] + 1.35 <= times[2] <= sent, (first_three, times, sent)
    pacer._engine.dispose()


def test_a_late_wake_up_with_a_send_reserved_after_it_reserves_a_new_send_time(db_url: str) -> None:
    """Late, but another process reserved a send after ours meanwhile: moving ours would crowd that one, so it
    reserves again and sends at the new time (the late reservation stays, costing throughput only)."""
    other = SharedPacer(db_url)
    pacer, spec, key = None, load_catalog().get("notion"), f"m-{uuid.uuid4().hex[:8]}"
    slept: list[float] = []

    def late_sleep(seconds: float) -> None:
        if not slept:
            time.sleep(seconds)
            other.reserve(windows, 5.0)           # another process's send, reserved while ours oversleeps
            time.sleep(0.3)
        else:
            time.sleep(seconds)
        slept.append(seconds)

    pacer = SharedPacer(db_url, sleep=late_sleep)
    windows, _ = pacer._limits(spec, key, None)
    statements = _counting(pacer)
    for _ in range(3):
        pacer.reserve(windows, 0.0)
    with pacer.slot(spec, key, max_wait=10):
        pass
    assert statements == [1, 1, 1, 1, 1], "a second reservation"
    times = _window_times(pacer, windows[0])
    # Ours as reserved, the other process's (spaced from the second of the first three), and ours anew.
    assert len(times) == 3 and times[0] < times[1] <= times[2], times
    pacer._engine.dispose()
    other._engine.dispose()


def test_a_reservation_survives_a_dropped_database_connection(db_url: str) -> None:
    """No pre-ping (it would double every reservation's round trips): a pooled connection the database dropped is
    replaced and the statement sent once more."""
    from sqlalchemy import create_engine, text

    pacer, spec, key = SharedPacer(db_url), load_catalog().get("activecampaign"), f"d-{uuid.uuid4().hex[:8]}"
    windows, _ = pacer._limits(spec, key, None)
    assert pacer.reserve(windows, 5.0) == 0.0
    pids = {pacer._scalar(text("SELECT pg_backend_pid()"), {}) for _ in range(8)}   # the pool's connections
    other = create_engine(db_url)
    with other.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    other.dispose()
    time.sleep(0.2)
    assert pacer.reserve(windows, 5.0) == 0.0            # a dead connection, replaced: the second of five sends
    assert pacer._scalar(text("SELECT pg_backend_pid()"), {}) not in pids
    pacer._engine.dispose()


def _limited(requests: int, per_seconds: float):  # type: ignore[no-untyped-def]
    """A catalog spec whose one account-wide limit is ``requests`` per ``per_seconds``."""
    from services.catalog.spec import RateLimitSpec

    return load_catalog().get("stripe").model_copy(update={"rate_limits": [
        RateLimitSpec(requests=requests, per_seconds=per_seconds, scope="account")]})


def _counting(pacer: SharedPacer) -> list[int]:
    """Count the pacer's reservation statements (each entry: the sends it reserved)."""
    statements: list[int] = []
    reserve = pacer._reserve

    def counted(window_ids, max_wait, *, count=1, span=0.0):  # type: ignore[no-untyped-def]
        statements.append(count)
        return reserve(window_ids, max_wait, count=count, span=span)

    pacer._reserve = counted  # type: ignore[method-assign]
    return statements


def test_frequent_sends_under_a_loose_limit_share_a_statement(db_url: str) -> None:
    """While a limit does not bind and sends come often, one statement reserves a batch (at most a tenth of the
    window, at most BATCH_MAX): 200 sends take far fewer than 200 round trips. After a pause longer than a batch's
    span, the unused sends lapse and the next batch is smaller."""
    from services.runtime.pacing import BATCH_MAX, BATCH_SPAN_S

    pacer, spec, key = SharedPacer(db_url), _limited(1000, 1.0), f"b-{uuid.uuid4().hex[:8]}"
    statements = _counting(pacer)
    for _ in range(200):
        with pacer.slot(spec, key, max_wait=5) as waited:
            assert waited == 0.0
    assert len(statements) < 40, statements
    assert max(statements) == BATCH_MAX and sum(statements) >= 200
    size = pacer._batch_size[tuple(pacer._limits(spec, key, None)[0])]
    time.sleep(BATCH_SPAN_S * 1.5)                     # the live batch's sends lapse unused
    with pacer.slot(spec, key, max_wait=5):
        pass
    assert statements[-1] < size or statements[-1] == 1, statements[-5:]
    pacer._engine.dispose()


def test_a_small_window_is_never_batched(db_url: str) -> None:
    """Below ten sends per window a batch would take a tenth or more of the budget: every send is its own
    reservation (ActiveCampaign: 5 per second)."""
    pacer, spec, key = SharedPacer(db_url), load_catalog().get("activecampaign"), f"s-{uuid.uuid4().hex[:8]}"
    statements = _counting(pacer)
    for _ in range(5):
        with pacer.slot(spec, key, max_wait=5):
            pass
    assert statements == [1] * 5
    pacer._engine.dispose()


def test_batches_and_single_sends_together_never_exceed_the_window(db_url: str) -> None:
    """Two processes' pacers (each its own pool and batches) on one account limited to 40 sends per second: one
    sends from 4 threads (so it batches), the other one send at a time; the limit binds. Counted where the sends
    happen (when the slot opens), no second holds more than 40 of them, and both got their share."""
    spec, key = _limited(40, 1.0), f"m-{uuid.uuid4().hex[:8]}"
    batching, single = SharedPacer(db_url), SharedPacer(db_url)
    statements = _counting(batching)
    sends: list[tuple[str, float]] = []
    lock = threading.Lock()

    def send(pacer: SharedPacer, who: str, n: int) -> None:
        for _ in range(n):
            with pacer.slot(spec, key, max_wait=30), lock:
                sends.append((who, time.monotonic()))

    threads = [threading.Thread(target=send, args=(batching, "batching", 40)) for _ in range(4)]
    threads.append(threading.Thread(target=send, args=(single, "single", 40)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sends) == 200
    assert busiest([t for _, t in sends], 1.0) <= 40
    assert max(statements) > 1                          # the batching pacer did batch
    assert max(t for _, t in sends) - min(t for _, t in sends) >= 3.5   # 200 sends at 40 a second
    batching._engine.dispose()
    single._engine.dispose()


def test_a_batch_counts_against_the_window_as_all_its_sends(db_url: str) -> None:
    """A batch of k sends may go at once, so it needs k free places in the window, not one; its sends are recorded
    at the end of its span (never earlier than one can go) and the window's times stay sorted."""
    from sqlalchemy import text

    pacer, spec, key = SharedPacer(db_url), _limited(20, 1.0), f"k-{uuid.uuid4().hex[:8]}"
    windows, _ = pacer._limits(spec, key, None)
    assert pacer.reserve(windows, 0.0, count=4, span=0.5) == 0.0     # 4 of 20, recorded half a second on
    for _ in range(15):
        assert pacer.reserve(windows, 0.0) == 0.0                   # 19 of 20 in this second
    with pytest.raises(TimeoutError):
        pacer.reserve(windows, 0.0, count=4, span=0.1)              # 4 more would make 23
    assert pacer.reserve(windows, 0.0) == 0.0                       # one more makes 20
    with pacer._engine.connect() as conn:
        times, now = conn.execute(text("SELECT times, extract(epoch FROM clock_timestamp())::float8 "
                                       "FROM pacing_windows WHERE id = :id"), {"id": windows[0]}).one()
    assert times == sorted(times) and len(times) == 20
    assert times[-4:] == [times[-1]] * 4 and 0.3 < times[-1] - now <= 0.5   # the batch, at its span's end
    # The next send waits for a second after the 20th latest time: the earliest single send, not the batch.
    assert 0.9 < pacer.reserve(windows, 5.0) - (times[0] - now) <= 1.2
    pacer._engine.dispose()


def test_a_reservation_that_waited_for_a_lock_is_timed_after_it(db_url: str) -> None:
    """Another process holds the account's window (its reservation in flight): ours waits for the lock and its send
    time is read after it, not before (a time already past would let the next send come too soon after ours); the
    slow answer is not taken for lateness, so no second reservation is made."""
    from sqlalchemy import create_engine, text

    pacer, spec, key = SharedPacer(db_url), load_catalog().get("notion"), f"l-{uuid.uuid4().hex[:8]}"
    windows, _ = pacer._limits(spec, key, None)
    statements = _counting(pacer)
    other = create_engine(db_url)
    result: list[float] = []
    with other.connect() as conn:
        conn.execute(text("SELECT id FROM pacing_windows WHERE id = :id FOR UPDATE"), {"id": windows[0]})
        started = time.time()

        def reserve() -> None:
            with pacer.slot(spec, key, max_wait=5) as waited:
                result.append(waited)

        thread = threading.Thread(target=reserve)
        thread.start()
        time.sleep(0.4)
        conn.commit()                                   # the other process's reservation is done
    thread.join(timeout=10)
    other.dispose()
    assert result == [0.0] and statements == [1]
    with pacer._engine.connect() as conn:
        times = conn.execute(text("SELECT times FROM pacing_windows WHERE id = :id"), {"id": windows[0]}).scalar()
    assert times is not None and len(times) == 1 and times[0] >= started + 0.35, (times, started)
    pacer._engine.dispose()


def test_an_answer_read_late_counts_as_lateness(db_url: str) -> None:
    """The database reserved a send time, but this process read the answer 0.3 s later (a busy process: its thread
    waited for the interpreter): sending now would be late by that much, so it is recorded as sent now."""
    pacer, spec, key = SharedPacer(db_url), load_catalog().get("notion"), f"r-{uuid.uuid4().hex[:8]}"
    statements = _counting(pacer)
    first = pacer._first
    slow = [True]

    def read_late(statement, params):  # type: ignore[no-untyped-def]
        row = first(statement, params)
        if slow and "ids" in params:
            slow.clear()
            time.sleep(0.3)
        return row

    pacer._first = read_late  # type: ignore[method-assign]
    started = time.time()
    with pacer.slot(spec, key, max_wait=5) as waited:
        pass
    # Seen late: its time moved to now (nothing was reserved after it), one reservation and no wait.
    times = _window_times(pacer, pacer._limits(spec, key, None)[0][0])
    assert statements == [1] and waited == 0.0 and len(times) == 1 and times[0] >= started + 0.3
    pacer._engine.dispose()


def test_a_window_row_is_read_when_it_exists_and_rewritten_only_when_its_limit_changed(db_url: str) -> None:
    """Each process meets each account once: finding its row must not write it (a new worker would otherwise
    rewrite a row per account it checks); a limit changed in the catalog updates the row in place."""
    from sqlalchemy import text

    key = f"w-{uuid.uuid4().hex[:8]}"
    first, second, third = SharedPacer(db_url), SharedPacer(db_url), SharedPacer(db_url)

    def version(row_id: int) -> tuple[str, int, float | None]:
        with first._engine.connect() as conn:
            xmin, capacity, per = conn.execute(text("SELECT xmin::text, capacity, per_seconds FROM pacing_windows "
                                                    "WHERE id = :id"), {"id": row_id}).one()
        return str(xmin), int(capacity), per

    row_id = first._row("notion", key, 0, "window", 3, 1.0)
    made = version(row_id)
    assert second._row("notion", key, 0, "window", 3, 1.0) == row_id
    assert version(row_id) == made                          # found: not written again
    assert third._row("notion", key, 0, "window", 5, 2.0) == row_id
    changed = version(row_id)
    assert changed[0] != made[0] and changed[1:] == (5, 2.0)
    slots = first._row("mailchimp", key, -1, "slots", 10, None)
    assert second._row("mailchimp", key, -1, "slots", 10, None) == slots
    for pacer in (first, second, third):
        pacer._engine.dispose()


def _round_trips(pacer: SharedPacer) -> list[str]:
    """Count the pacer's statements (each entry: the statement's first words)."""
    sent: list[str] = []
    run = pacer._all

    def counted(statement, params):  # type: ignore[no-untyped-def]
        sent.append(" ".join(str(statement).split()[:3]))
        return run(statement, params)

    pacer._all = counted  # type: ignore[method-assign]
    return sent


def test_a_process_first_send_for_a_known_account_is_one_statement(db_url: str) -> None:
    """A worker meeting an account other processes have paced finds its rows and reserves in one statement (not a
    lookup, then a reservation), and sends by the rows' ids from then on; both count in the same window."""
    from sqlalchemy import text

    spec, key = load_catalog().get("notion"), f"f-{uuid.uuid4().hex[:8]}"       # Notion: 3 per second
    before = SharedPacer(db_url)
    with before.slot(spec, key, max_wait=5):
        pass                                              # the account's rows exist now
    worker = SharedPacer(db_url)
    sent = _round_trips(worker)
    with worker.slot(spec, key, max_wait=5) as waited:
        assert waited == 0.0
    assert len(sent) == 1, sent
    with worker.slot(spec, key, max_wait=5):
        pass
    assert len(sent) == 2, sent                           # by id now: still one statement per send
    with pytest.raises(TimeoutError), worker.slot(spec, key, max_wait=0.0):   # the fourth send in the same second
        pass
    windows, _ = worker._limits(spec, key, None)
    with worker._engine.connect() as conn:
        times = conn.execute(text("SELECT times FROM pacing_windows WHERE id = :id"), {"id": windows[0]}).scalar()
    assert times is not None and len(times) == 3
    before._engine.dispose()
    worker._engine.dispose()


def test_a_first_send_follows_a_limit_changed_in_the_catalog(db_url: str) -> None:
    """The row found for an account has the catalog's old limit: the send is reserved, and the row takes the new
    limit for the sends after it."""
    from sqlalchemy import text

    key = f"c-{uuid.uuid4().hex[:8]}"
    old, new = _limited(3, 1.0), _limited(30, 1.0)
    first = SharedPacer(db_url)
    with first.slot(old, key, max_wait=5):
        pass
    later = SharedPacer(db_url)
    with later.slot(new, key, max_wait=5) as waited:
        assert waited == 0.0
    with later._engine.connect() as conn:
        capacity = conn.execute(text("SELECT capacity FROM pacing_windows WHERE service = 'stripe' AND "
                                     "account_key = :key"), {"key": key}).scalar()
    assert capacity == 30
    first._engine.dispose()
    later._engine.dispose()


def test_reservations_do_not_wait_for_a_disk_flush(db_url: str) -> None:
    """Pacing state is seconds deep: the pacer's connections commit without waiting for the WAL flush."""
    from sqlalchemy import text

    pacer = SharedPacer(db_url)
    assert pacer._scalar(text("SHOW synchronous_commit"), {}) == "off"
    pacer._engine.dispose()


def test_a_failed_pacer_statement_is_a_sqlalchemy_database_error(db_url: str) -> None:
    """The pacer's statements skip SQLAlchemy's execution layer, but their errors stay what the rest of the Hub
    handles (the routes answer a DBAPIError while the database is unreachable with 503), carrying the driver's."""
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    pacer = SharedPacer(db_url)
    with pytest.raises(DBAPIError) as caught:
        pacer._scalar(text("SELECT 1 / 0"), {})
    assert isinstance(caught.value.orig, psycopg.errors.DivisionByZero)
    assert pacer._scalar(text("SELECT 2"), {}) == 2, "the connection went back to the pool usable"
    pacer._engine.dispose()
