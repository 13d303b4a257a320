"""`layers-hub sweep`: the health sweep from cron (the API health page's "Check all connections")."""

from __future__ import annotations

import argparse
import json
import os
import sys

from services.commands.common import table


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
    from services.monitoring.sweep import run_sweep

    report = run_sweep(actor=os.environ.get("HUB_ACTOR", "cli"), service=args.service, concurrency=args.concurrency)
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


def register(sub: argparse._SubParsersAction) -> None:
    from services.monitoring.sweep import DEFAULT_CONCURRENCY

    sweep = sub.add_parser("sweep", help="check every connection's credentials concurrently, store the results "
                                         "and evaluate alerts (exit 1 when any check failed)")
    sweep.add_argument("--service", metavar="SLUG", help="only this integration's connections")
    sweep.add_argument("--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY,
                       help=f"checks in flight at once (default {DEFAULT_CONCURRENCY}); provider pacing still applies")
    sweep.add_argument("--format", choices=("table", "json"), default="table")
    sweep.set_defaults(func=cmd_sweep)
