"""`layers-hub catalog ...`"""

from __future__ import annotations

import argparse
import json

from services.commands.common import HubParser, table
from services.core.errors import HubError


def cmd_list(args: argparse.Namespace) -> int:
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
        print(table(rows, ["slug", "name", "category", "auth", "existing", "top10", "actions", "triggers"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    catalog = sub.add_parser("catalog", help="the declarative integration catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, parser_class=HubParser)
    listing = catalog_sub.add_parser("list", help="list every integration in the catalog")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--category", help="only this category slug")
    listing.set_defaults(func=cmd_list)
