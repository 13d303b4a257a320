"""`layers-hub connections list|add|delete|import|webhook-secret` and `layers-hub rotate-keys`.

Secrets are read from stdin only (never from arguments, which end up in shell history and `ps`),
and are never printed back.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from db.session import session_scope
from services.commands.common import HubParser, db_id, positive_int, table
from services.core.errors import HubError


def _actor() -> str:
    """Who CLI changes are audited as: HUB_ACTOR (the convention of every command group), default `cli`."""
    return os.environ.get("HUB_ACTOR", "cli")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def cmd_list(args: argparse.Namespace) -> int:
    from services.connect.connections import find_organization, list_connections
    from services.connect.status import status_label

    with session_scope() as s:
        org_id = find_organization(s, args.org).id if args.org else None
        rows = list_connections(s, organization_id=org_id)
    data = [{"id": r.id, "organization": r.organization, "service": r.integration_slug, "auth": r.auth_type,
             "status": r.status, "sandbox": r.sandbox, "secret": r.secret_hint or "", "created_by": r.created_by or "",
             "last_refreshed": _when(r.last_refreshed_at), "expires": _when(r.expires_at),
             "last_test": _when(r.last_checked_at)} for r in rows]
    if args.format == "json":     # scripts get the stored value (needs_reauth); people the label
        print(json.dumps(data, indent=2))
    else:
        shown = [{**d, "status": status_label(str(d["status"]))} for d in data]
        print(table(shown, ["id", "organization", "service", "auth", "status", "sandbox", "secret", "created_by",
                            "last_refreshed", "expires", "last_test"]))
    return 0


def _read_stdin(what: str) -> str:
    if sys.stdin.isatty():
        print(f"{what}: ", end="", file=sys.stderr, flush=True)
    value = sys.stdin.readline().strip()
    if not value:
        raise HubError(f"no {what} on stdin")
    return value


def _config(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HubError(f"--config {pair!r}: expected key=value")
        out[key.strip()] = value
    return out


def cmd_add(args: argparse.Namespace) -> int:
    from services.connect.connections import add_connection, find_organization
    from services.connect.fields import auth_types, form_fields, spec_for

    spec = spec_for(args.service)
    types = auth_types(spec)
    config = _config(args.config or [])
    secret_fields = {f for f, s in spec.connection_fields.items() if s.secret} | {"password"}
    if secret_fields & set(config):
        raise HubError("secrets are read from stdin only, not from --config")
    if args.api_key_stdin:
        auth_type = "api_key" if "api_key" in types else "webhook" if "webhook" in types else None
    else:
        auth_type = "app_password" if "app_password" in types else "basic" if "basic" in types else None
    if auth_type is None:
        raise HubError(f"{spec.name} does not take {'an API key' if args.api_key_stdin else 'a username/password'}"
                       f" (it takes: {', '.join(types)}; OAuth connections are made on the Connections page)")
    secret_field = next((f.name for f in form_fields(spec, auth_type) if f.secret), None)
    if secret_field is None:
        raise HubError(f"{spec.name} has no secret field for {auth_type}")
    values = dict(config)
    if args.api_key_stdin:
        values[secret_field] = _read_stdin("API key")
    else:
        values["username"] = args.basic_user
        values[secret_field] = _read_stdin("password")
    with session_scope() as s:
        org = find_organization(s, args.org)
        saved = add_connection(s, actor=_actor(), organization_id=org.id, slug=spec.slug, auth_type=auth_type,
                               values=values, sandbox_connection=args.sandbox, verify=not args.no_verify)
    c = saved.connection
    print(f"connection {c.id}: {spec.name} for {org.name} ({auth_type}{', sandbox' if c.sandbox else ''}), "
          f"secret {c.secret_hint}, {'verified' if c.last_checked_at else 'not verified'}")
    if saved.webhook_secret:
        print(f"webhook signing secret (shown once): {saved.webhook_secret}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from services.connect.connections import revoke_connection

    result = revoke_connection(args.id, actor=_actor(), delete=True)
    print(f"connection {args.id} deleted" + (f"; {result.message}" if result.message else ""))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from services.connect.importer import import_connections

    path = Path(args.file)
    try:
        # Bytes, so that a byte that is not UTF-8 is reported by its line and column.
        data = (getattr(sys.stdin, "buffer", sys.stdin).read() if args.file == "-" else path.read_bytes())
    except OSError as exc:
        raise HubError(f"{args.file}: {exc.strerror}") from None
    report = import_connections(data.splitlines(), actor=_actor(), verify=not args.no_verify)
    if not report.ok:
        for number, message in report.errors:
            print(f"line {number}: {message}", file=sys.stderr)
        print(f"layers-hub: error: {len(report.errors)} of {report.lines} line(s) failed; nothing imported",
              file=sys.stderr)
        return 2
    print(f"imported {report.created} connection(s)")
    if report.connections:
        print(table([{"line": c.line, "id": c.id, "organization": c.organization, "service": c.service,
                      "auth": c.auth_type + (" (sandbox)" if c.sandbox else "")} for c in report.connections],
                    ["line", "id", "organization", "service", "auth"]))
    if report.unverified:
        print(f"not verified (access token already expired; refreshed on first use): lines "
              f"{', '.join(map(str, report.unverified))}")
    return 0


def cmd_webhook_secret(args: argparse.Namespace) -> int:
    from services.connect.webhook_secrets import create_webhook_secret

    with session_scope() as s:
        made = create_webhook_secret(s, actor=_actor(), connection_id=args.id, rotate=args.rotate)
    print(f"connection {args.id}: webhook signing secret {'rotated' if made.previous_valid_until else 'created'}"
          + (f"; the previous secret stays valid until {made.previous_valid_until:%Y-%m-%d %H:%M} UTC"
             if made.previous_valid_until else ""))
    print(f"webhook signing secret (shown once): {made.secret}")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from services.connect.keys import keys_in_use, rotate_keys
    from services.connect.vault import generate_key

    if args.generate_key:
        print(generate_key())
        return 0
    report = rotate_keys(batch_size=args.batch_size)
    print(f"active key {report.active_key_id}: {report.reencrypted} value(s) re-encrypted, "
          f"{report.already_current} already current, {len(report.failed)} failed")
    for row in report.failed:
        print(f"  cannot decrypt {row} with any configured key", file=sys.stderr)
    with session_scope() as s:
        usage = keys_in_use(s)
    old = {k: n for k, n in usage.items() if k != report.active_key_id}
    print("old keys can be removed from HUB_ENCRYPTION_KEYS" if not old else
          f"still in use by older keys: {', '.join(f'{k} ({n})' for k, n in old.items())}")
    return 1 if report.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    conn = sub.add_parser("connections", help="customer connections (credentials)")
    conn_sub = conn.add_subparsers(dest="connections_command", required=True, parser_class=HubParser)

    listing = conn_sub.add_parser("list", help="list connections (secrets show only their last 4 characters)")
    listing.add_argument("--org", help="organization name or id")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(func=cmd_list)

    add = conn_sub.add_parser("add", help="add an API-key or basic connection (the secret is read from stdin and "
                              "checked with the provider first)")
    add.add_argument("--org", required=True, help="organization name or id")
    add.add_argument("--service", required=True, help="integration slug (see `layers-hub catalog list`)")
    how = add.add_mutually_exclusive_group(required=True)
    how.add_argument("--api-key-stdin", action="store_true", help="read the API key from stdin")
    how.add_argument("--basic-user", metavar="U", help="username; the password is read from stdin "
                     "(--basic-password-stdin)")
    add.add_argument("--basic-password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--config", action="append", metavar="k=v", help="a non-secret connection field (repeat)")
    add.add_argument("--sandbox", action="store_true", help="a sandbox connection (needs HUB_SANDBOX=1 and the "
                     "server running; keys beginning sbx_ are accepted)")
    add.add_argument("--no-verify", action="store_true", help="store without the provider check")
    add.set_defaults(func=cmd_add)

    delete = conn_sub.add_parser("delete", help="revoke at the provider where possible, then delete")
    delete.add_argument("id", type=db_id, help="connection id")
    delete.set_defaults(func=cmd_delete)

    imp = conn_sub.add_parser("import", help="import connections from the Layers platform (JSON lines; "
                              "all or nothing)")
    imp.add_argument("file", help="JSON-lines file, or - for stdin")
    imp.add_argument("--no-verify", action="store_true", help="skip the provider credential check")
    imp.set_defaults(func=cmd_import)

    secret = conn_sub.add_parser("webhook-secret", help="create the connection's first webhook signing secret, or "
                                 "replace it with --rotate (printed once)")
    secret.add_argument("id", type=db_id, help="connection id")
    secret.add_argument("--rotate", action="store_true", help="replace the current secret (it stays valid for 24 "
                        "hours, so the sender can switch)")
    secret.set_defaults(func=cmd_webhook_secret)

    rotate = sub.add_parser("rotate-keys", help="re-encrypt every stored secret under the first key of "
                            "HUB_ENCRYPTION_KEYS (resumable)")
    rotate.add_argument("--batch-size", type=positive_int, default=200, help="rows per transaction (default 200)")
    rotate.add_argument("--generate-key", action="store_true", help="print a new random key and exit")
    rotate.set_defaults(func=cmd_rotate_keys)
