"""`layers-hub seed --demo ...`"""

from __future__ import annotations

import argparse

from db.session import session_scope
from services.commands.common import iso_date, non_negative_int
from services.core.errors import HubError


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


def register(sub: argparse._SubParsersAction) -> None:
    seed = sub.add_parser("seed", help="load deterministic demo data into an empty database")
    seed.add_argument("--demo", action="store_true", help="generate demo organizations, users and upvotes")
    seed.add_argument("--orgs", type=non_negative_int, default=150, help="organizations (default 150)")
    seed.add_argument("--users", type=non_negative_int, default=None,
                      help="users (default: max(20 x orgs, upvotes / 2))")
    seed.add_argument("--upvotes", type=non_negative_int, default=1_400,
                      help="upvotes (default 1400: services.demo.DEFAULT_UPVOTES)")
    seed.add_argument("--seed", type=int, default=7, help="random seed; same seed, same data (default 7)")
    seed.add_argument("--as-of", type=iso_date, default=None,
                      help="date the history ends (default today); fix it for byte-identical data")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
    seed.set_defaults(func=cmd_seed)
