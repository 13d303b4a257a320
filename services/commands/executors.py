"""`layers-hub executors list|schema` and `layers-hub run`."""

from __future__ import annotations

import argparse
import json
import sys

from services.commands.common import HubParser, db_id, table
from services.core.errors import InvalidInput


def cmd_list(args: argparse.Namespace) -> int:
    from services.catalog import load_catalog
    from services.runtime.executors.registry import kind_of

    rows = [{"service": s.slug, "action": key, "title": a.title,
             "kind": "read" if a.method == "GET" else "write", "executor": kind_of(s.slug, key) or "missing"}
            for s in load_catalog() for key, a in s.actions.items()]
    if args.service:
        rows = [r for r in rows if r["service"] == args.service]
    print(json.dumps(rows, indent=2) if args.format == "json"
          else table(rows, ["service", "action", "kind", "executor", "title"]))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from services.catalog import load_catalog
    from services.runtime.executors.schemas import json_schemas

    catalog = load_catalog()
    if args.service not in catalog.integrations:
        raise InvalidInput(f"unknown integration {args.service!r}")
    if args.action not in catalog.get(args.service).actions:
        raise InvalidInput(f"{args.service} has no action {args.action!r}; actions: "
                           f"{', '.join(catalog.get(args.service).actions)}")
    print(json.dumps(json_schemas(args.service, args.action), indent=2))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from services.runtime.executors.run import run_action

    try:
        inputs = json.loads(args.input) if args.input else {}
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--input is not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(inputs, dict):
        raise InvalidInput("--input must be a JSON object")
    result = run_action(args.connection, args.action, inputs, mode=args.mode, service=args.service)
    data = {k: result.as_dict()[k] for k in ("ok", "mode", "output", "requests", "error", "preview",
                                               "duration_ms", "retries")}
    if args.format == "json":
        print(json.dumps(data, indent=2, default=str))
    else:
        error = result.error or {}
        status = "ok" if result.ok else f"failed ({error.get('category')}): {error.get('message')}"
        print(f"{args.service}.{args.action} [{result.mode}] {status} in {result.duration_ms} ms")
        for r in result.requests:
            print(f"  {r['method']} {r['url']} -> {r['status'] if r['sent'] else 'not sent (test mode)'}")
        if result.output is not None:
            print(json.dumps(result.output, indent=2, default=str))
    if result.error is not None:
        print(f"layers-hub: error: {result.error['message']}", file=sys.stderr)
    return 0 if result.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    ex = sub.add_parser("executors", help="node executors of the catalog's actions")
    ex_sub = ex.add_subparsers(dest="executors_command", required=True, parser_class=HubParser)
    listing = ex_sub.add_parser("list", help="every action with its kind (read/write) and executor")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--service", help="only this integration")
    listing.set_defaults(func=cmd_list)
    schema = ex_sub.add_parser("schema", help="JSON Schemas of an action's node config, input and output")
    schema.add_argument("service")
    schema.add_argument("action")
    schema.set_defaults(func=cmd_schema)

    run = sub.add_parser("run", help="run an action on a connection (test mode sends no writes)")
    run.add_argument("service")
    run.add_argument("action")
    run.add_argument("--connection", type=db_id, required=True, help="connection id")
    run.add_argument("--mode", choices=("test", "live"), default="test")
    run.add_argument("--input", default="{}", help="JSON object of inputs")
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.set_defaults(func=cmd_run)
