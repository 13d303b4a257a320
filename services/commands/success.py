"""`layers-hub success show`: the Phase 4 success criteria, computed from live data (as the page shows them)."""

from __future__ import annotations

import argparse
import json

from db.session import session_scope
from services.commands.common import MAX_DAYS, HubParser, table


def period(value: str) -> int | None:
    """Criterion 4's planning period: a number of days (1 to MAX_DAYS) or `all`."""
    if value.strip().lower() == "all":
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a number of days from 1 to {MAX_DAYS:,} or 'all'")
    return n


def cmd_show(args: argparse.Namespace) -> int:
    from services.success.report import build_report, report_dict

    with session_scope() as session:
        report = build_report(session, period_days=args.period_days)
    if args.format == "json":
        print(json.dumps(report_dict(report), indent=2))
        return 0
    days = f"last {report.period_days} days" if report.period_days else "all time"
    print(f"as of {report.as_of:%Y-%m-%d %H:%M} UTC; planning period: {days}")
    rows = [{"key": c.key, "criterion": c.title, "value": c.value, "met": "yes" if c.met else "no",
             "rows": len(c.rows), "note": c.note} for c in report.criteria]
    print(table(rows, ["key", "criterion", "value", "met", "rows", "note"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    success = sub.add_parser("success", help="the Phase 4 success criteria")
    success_sub = success.add_subparsers(dest="success_command", required=True, parser_class=HubParser)
    show = success_sub.add_parser("show", help="every criterion with its numbers (json: with the rows behind each)")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--period-days", type=period, default=90, metavar="DAYS|all",
                      help="planning period of criterion 4 (default 90; `all` for all time)")
    show.set_defaults(func=cmd_show)
