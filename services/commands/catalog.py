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


def cmd_draft(args: argparse.Namespace) -> int:
    from pathlib import Path

    from services.catalog import load_catalog
    from services.sandbox.catalog_draft import compare, draft_entry

    catalog = load_catalog()
    known = catalog.integrations.get(args.slug)
    draft = draft_entry(Path(args.spec), args.operation, check=args.check,
                        name=args.name or (known.name if known else args.slug.replace("-", " ").title()),
                        category=args.category or (known.category if known else "other"))
    if not args.compare:
        print(draft.yaml(args.slug), end="")
        return 0
    if known is None or not known.actions:
        raise HubError(f"--compare: the catalog has no actions for {args.slug!r} to compare the draft with")
    rows = [vars(r) for r in compare(draft, known.actions)]
    if args.format == "json":
        for row in rows:
            print(json.dumps({"slug": args.slug, **row}))
    else:
        # names of what was written by hand; only the number of what the draft had and the entry left out
        print(table([{k: (len(v) if k.endswith("_dropped") else ", ".join(v)) if isinstance(v, list) else v
                      for k, v in r.items()} for r in rows], list(rows[0]) if rows else ["action"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    catalog = sub.add_parser("catalog", help="the declarative integration catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, parser_class=HubParser)
    listing = catalog_sub.add_parser("list", help="list every integration in the catalog")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--category", help="only this category slug")
    listing.set_defaults(func=cmd_list)
    draft = catalog_sub.add_parser(
        "draft", help="print a catalog entry drafted from a provider's OpenAPI/Swagger definition, for review",
        description="Auth from the definition's security schemes, base URL from its servers, each operation's "
                    "path/query/body parameters as inputs and its success response as outputs. Nothing is "
                    "written: paste the entry into services/catalog/catalog.yaml and review the REVIEW lines.")
    draft.add_argument("slug", help="the integration's slug (its catalog name and category are reused)")
    draft.add_argument("--spec", required=True, help="the definition file (shared/specs/<slug>/...)")
    draft.add_argument("--operation", action="append", default=[], metavar="'METHOD /path'",
                       help="an operation to draft as an action (repeat)")
    draft.add_argument("--check", metavar="'METHOD /path'", help="the operation used as the credential check")
    draft.add_argument("--name", help="display name (default: the catalog's)")
    draft.add_argument("--category", help="category slug (default: the catalog's)")
    draft.add_argument("--compare", action="store_true",
                       help="instead of the entry, compare it with the catalog's reviewed entry, per action")
    draft.add_argument("--format", choices=("table", "json"), default="table", help="of --compare")
    draft.set_defaults(func=cmd_draft)
