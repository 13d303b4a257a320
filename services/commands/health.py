"""`layers-hub sweep`: the health sweep from cron (the API health page's "Check all connections")."""

from __future__ import annotations

import argparse
import json
import os
import sys

from services.commands.common import positive_int, table


def _concurrency(value: str) -> int:
    from services.monitoring.sweep import MAX_CONCURRENCY

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= n <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
    return n


def cmd_sweep(args: argparse.Namespace) -> int:
    from services.jobs.tasks import alert_sender
    from services.monitoring.sweep import run_sweep

    report = run_sweep(actor=os.environ.get("HUB_ACTOR", "cli"), service=args.service, concurrency=args.concurrency,
                       send=alert_sender())
    rows = [{"connection": r.connection_id, "service": r.service, "ok": r.ok, "category": r.category or "",
             "status": r.status_code if r.status_code is not None else "", "ms": r.duration_ms, "result": r.summary}
            for r in report.results]
    alerts = [{"event": e.event, "kind": e.kind, "connection": e.connection_id, "message": e.message}
              for e in report.alerts]
    if args.format == "json":
        print(json.dumps({"sweep": report.sweep_id, "service": report.service, "concurrency": report.concurrency,
                          "total": report.total, "passed": report.passed, "failed": report.failed,
                          "duration_s": report.duration_s, "results": rows, "alerts": alerts}, indent=2))
    else:
        if rows:
            print(table(rows, ["connection", "service", "ok", "category", "status", "ms", "result"]))
        print(f"sweep #{report.sweep_id}: {report.passed} of {report.total} connections passed, {report.failed} failed "
              f"in {report.duration_s:.2f} s (concurrency {report.concurrency})")
        for a in alerts:
            print(f"alert {a['event']}: {a['message']}")
    if report.failed:
        print(f"layers-hub: {report.failed} connection check(s) failed", file=sys.stderr)
    return 1 if report.failed else 0


def _services(value: str) -> tuple[str, ...]:
    from services.bench.sweep import bench_fixtures

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [n for n in names if n not in bench_fixtures()]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(bench_fixtures())}")
    return names


def _counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of numbers") from None
    if not counts or any(not 1 <= c <= 16 for c in counts):
        raise argparse.ArgumentTypeError("worker counts must be between 1 and 16")
    return counts


def cmd_bench_sweep(args: argparse.Namespace) -> int:
    from db.session import database_url
    from services.bench.sweep import bench_sweep, bench_sweep_workers

    if args.workers:
        for row in bench_sweep_workers(database_url(), workers=args.workers, connections=args.connections,
                                       latency_ms=args.latency_ms, services=args.services, accounts=args.accounts,
                                       kill_after_s=args.kill_worker_after):
            print(json.dumps(row), flush=True)
        return 0

    print(json.dumps(bench_sweep(database_url(), connections=args.connections, latency_ms=args.latency_ms,
                                 concurrency=args.concurrency, services=args.services,
                                 accounts=args.accounts)), flush=True)
    return 0


def register_bench(bench_sub: argparse._SubParsersAction) -> None:
    """`layers-hub bench sweep` (registered by services/commands/bench.py)."""
    from services.bench.sweep import default_services

    defaults = default_services()
    bench = bench_sub.add_parser("sweep", help="the health sweep vs the same checks one after another, against "
                                               "the sandbox (JSON line)")
    bench.add_argument("--connections", type=positive_int, default=1000,
                       help="sandbox connections to check (default 1000)")
    bench.add_argument("--latency-ms", type=float, default=50.0, help="sandbox answer latency (default 50)")
    bench.add_argument("--concurrency", type=_concurrency, default=48, help="sweep workers (default 48)")
    bench.add_argument("--services", type=_services, default=defaults,
                       help=f"comma-separated sandbox integrations (default {','.join(defaults)})")
    bench.add_argument("--accounts", type=positive_int, default=None,
                       help="sandbox accounts the connections share (default: one per organization, i.e. one "
                            "per connection and provider); fewer accounts put the providers' rate limits to work")
    bench.add_argument("--workers", type=_counts, default=None,
                       help="comma-separated worker counts, e.g. 1,2,4: the sweep as jobs run by that many worker "
                            "processes (PostgreSQL only; one JSON line per count; --concurrency is then unused)")
    bench.add_argument("--kill-worker-after", type=float, default=None, metavar="S",
                       help="with --workers: kill -9 one worker S seconds into each run and start another (fault run)")
    bench.set_defaults(func=cmd_bench_sweep)


def register(sub: argparse._SubParsersAction) -> None:
    from services.monitoring.sweep import DEFAULT_CONCURRENCY

    sweep = sub.add_parser("sweep", help="check every connection's credentials concurrently, store the results "
                                         "and evaluate alerts (exit 1 when any check failed)")
    sweep.add_argument("--service", metavar="SLUG", help="only this integration's connections")
    sweep.add_argument("--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY,
                       help=f"checks in flight at once (default {DEFAULT_CONCURRENCY}); provider pacing still applies")
    sweep.add_argument("--format", choices=("table", "json"), default="table")
    sweep.set_defaults(func=cmd_sweep)
