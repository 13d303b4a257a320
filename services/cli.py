"""`layers-hub`: the ops CLI used by `make run`, cron and scripts (also `python -m services.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn

from db.session import database_url, session_scope
from services.errors import HubError


class _Parser(argparse.ArgumentParser):
    """Bad input ends in one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from services.setup import upgrade_database

    result = upgrade_database()
    print(f"database at revision {result.revision}; catalog: {result.catalog.added} added, "
          f"{result.catalog.updated} updated; tiers added: {result.tiers_added}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from services import demo

    if not args.demo:
        raise HubError("nothing to seed: pass --demo")
    with session_scope() as session:
        if args.if_empty and not demo.is_empty(session):
            print("database already has data; demo seed skipped")
            return 0
        result = demo.seed_demo(session, orgs=args.orgs, users=args.users, upvotes=args.upvotes,
                                seed=args.seed, as_of=args.as_of)
    print(f"demo data: {result.organizations} organizations, {result.users} users, "
          f"{result.upvotes} upvotes, {result.staff} staff users")
    return 0


def cmd_catalog_list(args: argparse.Namespace) -> int:
    from services.catalog import load_catalog

    catalog = load_catalog()
    rows = [{"slug": s.slug, "name": s.name, "category": s.category, "auth": s.auth.method,
             "existing": s.existing, "top10": s.top10_rank, "priority": s.priority,
             "actions": len(s.actions), "triggers": len(s.triggers)} for s in catalog]
    if args.category:
        if args.category not in catalog.categories:
            raise HubError(f"unknown category {args.category!r}; known: {', '.join(catalog.categories)}")
        rows = [r for r in rows if r["category"] == args.category]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows, ["slug", "name", "category", "auth", "existing", "top10", "actions", "triggers"]))
    return 0


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
    return n


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="layers-hub", description="Operate the Layers Integration Hub. "
                     f"Database: DATABASE_URL (now {database_url().split('@')[-1]}).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    up = db_sub.add_parser("upgrade", help="migrate to the latest schema, then sync the catalog and tiers "
                           "(reference data only; no demo rows)")
    up.set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed", help="load deterministic demo data into an empty database")
    seed.add_argument("--demo", action="store_true", help="generate demo organizations, users and upvotes")
    seed.add_argument("--orgs", type=_positive, default=120, help="organizations (default 120)")
    seed.add_argument("--users", type=_positive, default=None,
                      help="users (default: max(8 x orgs, upvotes / 8))")
    seed.add_argument("--upvotes", type=_positive, default=12_000, help="upvotes (default 12000)")
    seed.add_argument("--seed", type=int, default=7, help="random seed; same seed, same data (default 7)")
    seed.add_argument("--as-of", type=_iso_date, default=None,
                      help="date the history ends (default today); fix it for byte-identical data")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
    seed.set_defaults(func=cmd_seed)

    catalog = sub.add_parser("catalog", help="the declarative integration catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, parser_class=_Parser)
    listing = catalog_sub.add_parser("list", help="list every integration in the catalog")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--category", help="only this category slug")
    listing.set_defaults(func=cmd_catalog_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except HubError as exc:
        print(f"layers-hub: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an ops tool answers in one line; the traceback is for --debug runs
        print(f"layers-hub: error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
