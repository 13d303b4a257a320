"""Every benchmark of `make bench` runs here at a smoke size (seconds), through the CLI as `make bench` runs it,
so a broken benchmark fails `make test` (issue 14: `bench ranking` failed for weeks unnoticed). The printed JSON
lines must parse and carry the figures docs/benchmarks.md reports. Nothing here checks a speed: the speed
targets are checked by `make bench` at the real sizes (docs/benchmarks.md), never by timed tests.

Each benchmark makes its own scratch database beside DATABASE_URL (here the test's database), so this runs on
both backends: SQLite, and PostgreSQL where the import and the raw copy take the COPY path.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from services.bench.sweep import default_services
from services.cli import main

RANKING_FIGURES = {"rank_ms_p50", "count_scan_ms_p50", "pandas_ms_p50", "import_ms", "copy_ms", "seed_ms",
                   "rank_over_count_scan", "pandas_over_rank", "import_over_copy"}


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]   # every line is a JSON object
    assert rows and all(isinstance(r, dict) for r in rows), out
    return rows


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def test_bench_ranking_smoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two sizes, so the growth line is printed too; the benchmark itself asserts the import wrote every upvote
    of the demo data (which includes an integration that shipped, so upvoting closed, after its upvotes)."""
    assert main(["bench", "ranking", "--upvotes", "1000,3000"]) == 0
    small, large, growth = lines(capsys)
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    for row, size in ((small, 1000), (large, 3000)):
        assert row["backend"] == backend and row["upvotes"] == size
        assert row.keys() >= RANKING_FIGURES and all(positive(row[k]) for k in RANKING_FIGURES), row
    assert (growth["from_upvotes"], growth["to_upvotes"]) == (1000, 3000) and positive(growth["rank_growth"])


def test_bench_http_smoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    environment = dict(os.environ)
    assert main(["bench", "http", "--calls", "20"]) == 0
    assert dict(os.environ) == environment          # it turns the sandbox on only for itself
    [row] = lines(capsys)
    assert row["calls"] == 20 and isinstance(row["provider"], str) and row["provider"]
    assert all(positive(row[k]) for k in ("ours_ms_p50", "bare_ms_p50", "overhead", "paced_ms_p50",
                                          "paced_overhead")), row
    assert row["pacer"] == ("shared" if db_url.startswith("postgresql") else "in-process")   # issue 16


def test_bench_sweep_smoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    services = default_services()
    n = len(services)                 # one connection per sandbox provider the benchmark uses by default
    assert main(["bench", "sweep", "--connections", str(n), "--latency-ms", "1", "--concurrency", "4"]) == 0
    [row] = lines(capsys)
    assert (row["connections"], row["latency_ms"], row["concurrency"]) == (n, 1.0, 4)
    assert tuple(row["services"]) == services and row["accounts"] is None
    # Every check passed both ways, and the sandbox answered no 429 from its rate limiters.
    assert (row["sweep_failed"], row["sequential_failed"], row["rate_limit_breaches"]) == (0, 0, 0), row
    assert row["breaches_by_service"] == {} and row["sandbox_lag_ms_max"] >= 0, row
    assert row["requests"] >= 2 * n
    assert all(positive(row[k]) for k in ("sweep_s", "sequential_s", "speedup")), row


@pytest.mark.postgresql_only
def test_bench_sweep_workers_smoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16: the sweep as jobs run by worker processes (here one, then two), paced by the shared budget; every
    connection checked exactly once per run."""
    assert main(["bench", "sweep", "--workers", "1,2", "--connections", "12", "--latency-ms", "1",
                 "--accounts", "2"]) == 0
    one, two = lines(capsys)
    for row, workers in ((one, 1), (two, 2)):
        assert row.keys() >= {"workers", "connections", "accounts", "sweep_s", "rate_limit_breaches"}
        assert (row["workers"], row["connections"], row["accounts"], row["checked"]) == (workers, 12, 2, 12), row
        assert (row["rate_limit_breaches"], row["failed"]) == (0, 0) and positive(row["sweep_s"]), row
        assert (row["breaches_by_service"], row["failures"]) == ({}, {}) and row["sandbox_lag_ms_max"] >= 0, row
        assert row["sandbox_nice"] <= 0, row                 # ahead of the Hub where allowed (root), else equal
        assert row["workers_nice"] >= 0, row                 # never ahead of the database (nice 0 or lower)


def test_bench_sweep_workers_refuses_sqlite(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                            tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["bench", "sweep", "--workers", "1,2"]) == 2
    assert "needs DATABASE_URL on PostgreSQL" in capsys.readouterr().err


@pytest.mark.postgresql_only
def test_bench_webhooks_smoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "webhooks", "--rate", "20", "--seconds", "1", "--servers", "1", "--workers", "1"]) == 0
    [row] = lines(capsys)
    assert row.keys() >= {"sent", "stored", "duplicated", "lost", "ack_ms_p50", "ack_ms_p99", "handled_ms_p50",
                          "handled_ms_p99"}
    assert (row["sent"], row["stored"], row["duplicated"], row["lost"], row["handled"]) == (20, 20, 0, 0, 20), row
    assert all(positive(row[k]) for k in ("ack_ms_p50", "ack_ms_p99", "handled_ms_p50", "handled_ms_p99")), row


def test_bench_webhooks_refuses_sqlite(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["bench", "webhooks"]) == 2
    assert "needs DATABASE_URL on PostgreSQL" in capsys.readouterr().err
