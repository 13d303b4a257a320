"""`layers-hub webhooks subscribe|unsubscribe` and `layers-hub webhooks app list|set` (issue 9: provider
subscriptions).

Registered under the `webhooks` command by services/commands/webhooks.py, which imports this module (never the
other way round) and shares its ``actor`` rule. Secrets are read from stdin only.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from db.session import session_scope
from services.commands.common import HubParser, db_id, table
from services.core.errors import HubError
from services.webhooks import hooks


def actor(session: Session, as_: str | None) -> str:
    """``--as EMAIL`` (an active staff user), else HUB_ACTOR, else "cli"."""
    from services.people import staff

    if not as_:
        return os.environ.get("HUB_ACTOR", "cli")
    me = staff.find_active(session, as_)
    if me is None:
        raise HubError(f"--as {as_}: not an active staff user")
    return me.email


class _AppServices(Sequence[str]):
    """``app set``'s choices: the providers with app-level webhooks, asked of the provider registry only when
    argparse checks or prints them, so building the CLI does not import every provider folder."""

    def __getitem__(self, index: Any) -> Any:
        return hooks.app_level_services()[index]

    def __len__(self) -> int:
        return len(hooks.app_level_services())


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise HubError(f"--param {pair!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def cmd_subscribe(args: argparse.Namespace) -> int:
    from services.webhooks import subscribe

    requests: list[dict] = []
    with session_scope() as session:
        service = subscribe.connection_service(session, args.connection_id)
        resource = subscribe.subscribe(session, actor=actor(session, args.as_), connection_id=args.connection_id,
                                       service=service, trigger=args.trigger, scope=args.scope,
                                       params=_params(args.param), requests=requests)
    print(f"subscribed {service} {args.trigger}: {subscribe.summary(service, resource)}")
    _print_requests(requests, args.show_requests)
    return 0


def _print_requests(requests: list[dict], show: bool) -> None:
    if show:   # redacted (no tokens, no developer key)
        for r in requests:
            print(f"{r['method']} {r['url']} -> {r['status']}")


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    """Destructive at the provider (for HubSpot, for every portal of the app): needs --yes."""
    from services.webhooks import subscribe

    if not args.yes:
        raise HubError("unsubscribe deletes the subscriptions at the provider (HubSpot: for every portal of the "
                       "app): pass --yes to confirm")
    requests: list[dict] = []
    with session_scope() as session:
        service = subscribe.connection_service(session, args.connection_id)
        result = subscribe.unsubscribe(session, actor=actor(session, args.as_), connection_id=args.connection_id,
                                       service=service, trigger=args.trigger, params=_params(args.param),
                                       requests=requests)
    if args.format == "json":
        print(json.dumps({**result, **({"requests": requests} if args.show_requests else {})}, indent=2))
        return 0
    print(f"unsubscribed {service} {args.trigger}: {subscribe.unsubscribe_summary(service, result)}")
    _print_requests(requests, args.show_requests)
    return 0


def cmd_app_list(args: argparse.Namespace) -> int:
    from services.webhooks import apps

    with session_scope() as session:
        rows = [apps.describe(info) for info in apps.list_apps(session)]
    columns = ["service", "kind", "app id", "developer API key", "updated by", "updated at"]
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows, columns))
    return 0


def cmd_app_set(args: argparse.Namespace) -> int:
    from services.commands.connections import _read_stdin
    from services.webhooks import apps

    if not args.developer_key_stdin:
        raise HubError("the developer API key is read from stdin only: pass --developer-key-stdin")
    key = _read_stdin("developer API key")
    with session_scope() as session:
        info = apps.set_app(session, actor=actor(session, args.as_), service=args.service, app_id=args.app_id,
                            developer_api_key=key, sandbox=args.sandbox)
    print(f"{info.service} {'sandbox' if info.sandbox else 'production'} app {info.app_id}: developer API key "
          f"{info.hint} stored encrypted")
    return 0


def register(wh_sub: argparse._SubParsersAction) -> None:
    sub = wh_sub.add_parser("subscribe", help="create a trigger's webhook subscription at the provider (audited)")
    sub.add_argument("connection_id", type=db_id, metavar="CONNECTION")
    sub.add_argument("trigger", help="trigger key, e.g. form_submitted, contact_created_updated, event_scheduled")
    sub.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a subscribe parameter, e.g. form_name=Contact, site_id=..., properties=email,phone")
    sub.add_argument("--scope", choices=("user", "organization"), default="user", help="Calendly's scope")
    sub.add_argument("--show-requests", action="store_true", help="print the (redacted) requests sent")
    sub.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    sub.set_defaults(func=cmd_subscribe)
    unsub = wh_sub.add_parser("unsubscribe", help="delete the trigger's webhook subscriptions the Hub created at the "
                              "provider (HubSpot: for every portal of the app; audited; needs --yes)")
    unsub.add_argument("connection_id", type=db_id, metavar="CONNECTION")
    unsub.add_argument("trigger", help="trigger key, as for subscribe")
    unsub.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="as for subscribe: site_id=..., form_name=... (that form's webhook only), properties=...")
    unsub.add_argument("--yes", action="store_true", help="confirm: the deletion cannot be undone (subscribe again)")
    unsub.add_argument("--show-requests", action="store_true", help="print the (redacted) requests sent")
    unsub.add_argument("--format", choices=("table", "json"), default="table")
    unsub.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    unsub.set_defaults(func=cmd_unsubscribe)
    app = wh_sub.add_parser("app", help="the Hub's own provider apps (app id + developer API key, e.g. HubSpot's)")
    app_sub = app.add_subparsers(dest="app_command", required=True, parser_class=HubParser)
    listing = app_sub.add_parser("list", help="stored apps (the key's last 4 characters only)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(func=cmd_app_list)
    setter = app_sub.add_parser("set", help="store the app id and the developer API key (encrypted; audited)")
    setter.add_argument("service", choices=_AppServices())
    setter.add_argument("--app-id", required=True, metavar="ID")
    setter.add_argument("--developer-key-stdin", action="store_true", help="read the developer API key from stdin")
    setter.add_argument("--sandbox", action="store_true", help="the app used by sandbox connections")
    setter.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    setter.set_defaults(func=cmd_app_set)
