"""`layers-hub rank`, `weights`, `thresholds`, `import-upvotes`, `ranking rebuild`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from db.session import session_scope
from services.commands.common import HubParser, non_negative_int, table
from services.core.csv_export import records_to_csv
from services.core.errors import HubError, InvalidInput

if TYPE_CHECKING:   # for annotations only: the handlers import the ranking when they run (start-up time)
    from services.demand.ranking import Settings

RANK_FIELDS = ["rank", "slug", "name", "category", "status", "bucket", "score", "upvotes", "users",
               "organizations", "high_tier_users"]
CLI_ACTOR = os.environ.get("HUB_ACTOR", "cli")


def cmd_rank(args: argparse.Namespace) -> int:
    from services.demand import ranking

    with session_scope() as session:
        settings = ranking.current_settings(session)
        rows = ranking.rank(session, include_built=args.include_built, settings=settings)
    rows = rows[: args.top] if args.top else rows
    records = [{k: r.as_dict()[k] for k in RANK_FIELDS} for r in rows]
    if args.format == "json":
        print(json.dumps(records, indent=2))
    elif args.format == "csv":
        print(records_to_csv(records, RANK_FIELDS), end="")
    else:
        print(f"ranking settings version {settings.version}")
        print(table(records, RANK_FIELDS))
    return 0


def _show_settings(settings: Settings) -> None:
    print(f"version {settings.version} (by {settings.created_by})")
    for tier, weight in settings.weights.items():
        print(f"  {tier:<12} weight {weight:g}{'  high tier' if tier in settings.high_tiers else ''}")
    print(f"  Top: upvotes >= {settings.top_upvotes} or high-tier users >= {settings.high_tier_min}; "
          f"Medium: upvotes >= {settings.medium_upvotes}")


def cmd_weights(args: argparse.Namespace) -> int:
    from services.demand import ranking

    with session_scope() as session:
        if args.action == "show":
            _show_settings(ranking.current_settings(session))
            return 0
        if not args.pairs:
            raise InvalidInput("weights set needs TIER=WEIGHT pairs, e.g. enterprise=5")
        weights = {}
        for pair in args.pairs:
            tier, sep, value = pair.partition("=")
            try:
                weights[tier.strip().lower()] = float(value)
            except ValueError:
                raise InvalidInput(f"{pair!r} is not TIER=WEIGHT with a number") from None
            if not sep:
                raise InvalidInput(f"{pair!r} is not TIER=WEIGHT")
        _show_settings(ranking.update_settings(session, actor=CLI_ACTOR, actor_role="admin", weights=weights))
    return 0


def cmd_thresholds(args: argparse.Namespace) -> int:
    from services.demand import ranking

    high = None
    if args.high_tiers is not None:
        high = [t.strip().lower() for t in args.high_tiers.split(",") if t.strip()]
    with session_scope() as session:
        _show_settings(ranking.update_settings(
            session, actor=CLI_ACTOR, actor_role="admin", top_upvotes=args.top_upvotes,
            medium_upvotes=args.medium_upvotes, high_tier_min=args.high_tier_min, high_tiers=high))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from services.demand.upvote_import import import_upvotes

    def progress(fraction: float, message: str) -> None:
        print(f"  {fraction:4.0%} {message}", file=sys.stderr)

    try:
        handle = open(args.file, "rb")  # noqa: SIM115  (bytes: a bad byte is reported by line and column)
    except OSError as exc:
        raise HubError(f"cannot read {args.file}: {exc.strerror}") from None
    with handle, session_scope() as session:
        report = import_upvotes(session, handle, actor=CLI_ACTOR, skip_invalid=args.skip_invalid,
                                progress=progress, filename=os.path.basename(args.file))
    print(f"{report.rows} rows: {report.imported} upvotes imported, {report.duplicates} already present; "
          f"users {report.users_created} created / {report.users_updated} updated; "
          f"organizations {report.organizations_created} created; {len(report.skipped)} skipped")
    for error in report.skipped:
        print(f"  skipped {error}", file=sys.stderr)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from services.demand.upvotes import recompute_aggregates

    with session_scope() as session:
        n = recompute_aggregates(session)
    print(f"ranking aggregates rebuilt for {n} integrations")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    rank = sub.add_parser("rank", help="print the demand ranking of unbuilt integrations")
    rank.add_argument("--top", type=non_negative_int, default=0, help="only the first N rows")
    rank.add_argument("--format", choices=("table", "json", "csv"), default="table")
    rank.add_argument("--include-built", action="store_true", help="also rank available/existing integrations")
    rank.set_defaults(func=cmd_rank)

    weights = sub.add_parser("weights", help="show or set tier weights (a new settings version, audited)")
    weights.add_argument("action", choices=("show", "set"))
    weights.add_argument("pairs", nargs="*", metavar="TIER=WEIGHT")
    weights.set_defaults(func=cmd_weights)

    thresholds = sub.add_parser("thresholds", help="set bucket thresholds and high tiers (audited)")
    thresholds.add_argument("action", choices=("set",))
    thresholds.add_argument("--top-upvotes", type=non_negative_int, help="Top bucket from this many upvotes")
    thresholds.add_argument("--medium-upvotes", type=non_negative_int, help="Medium bucket from this many")
    thresholds.add_argument("--high-tier-min", type=non_negative_int,
                            help="Top bucket from this many high-tier upvoters (default 1)")
    thresholds.add_argument("--high-tiers", help="comma-separated tier slugs, e.g. agency,enterprise")
    thresholds.set_defaults(func=cmd_thresholds)

    imp = sub.add_parser("import-upvotes", help="import upvotes from a CSV file (all-or-nothing)")
    imp.add_argument("file", help="CSV with integration,user_email,user_name,organization,tier,created_at")
    imp.add_argument("--skip-invalid", action="store_true", help="import the good rows and report the bad ones")
    imp.set_defaults(func=cmd_import)

    ranking = sub.add_parser("ranking", help="ranking maintenance")
    ranking_sub = ranking.add_subparsers(dest="ranking_command", required=True, parser_class=HubParser)
    rebuild = ranking_sub.add_parser("rebuild", help="recompute the ranking aggregates from the upvotes table")
    rebuild.set_defaults(func=cmd_rebuild)
