"""`layers-hub db ...`"""

from __future__ import annotations

import argparse

from services.commands.common import HubParser


def cmd_upgrade(args: argparse.Namespace) -> int:
    from services.setup import upgrade_database

    result = upgrade_database()
    print(f"database at revision {result.revision}; catalog: {result.catalog.added} added, "
          f"{result.catalog.updated} updated; tiers added: {result.tiers_added}"
          + (f"; job queue schema {result.job_schema}" if result.job_schema != "n/a" else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=HubParser)
    up = db_sub.add_parser("upgrade", help="migrate to the latest schema, then sync the catalog and tiers "
                           "(reference data only; no demo rows)")
    up.set_defaults(func=cmd_upgrade)
