"""`layers-hub webhooks events|failures|deliveries|replay|send` (issue 9: the webhook inbox from the shell)."""

from __future__ import annotations

import argparse
import json
import os

from db.session import session_scope
from services.commands.common import HubParser, table
from services.errors import HubError


def _rows(frame) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{k: ("" if v is None else str(v)) for k, v in row.items()} for row in frame.to_dict("records")]


def cmd_list(args: argparse.Namespace) -> int:
    from services.webhooks import inbox

    reader = {"events": inbox.events, "failures": inbox.rejections, "deliveries": inbox.deliveries}[args.wh_command]
    with session_scope() as session:
        frame = reader(session, args.connection, limit=args.limit)
    rows = _rows(frame)
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows, list(frame.columns)))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from services import staff
    from services.webhooks.inbound import replay
    from services.webhooks.zapier import send

    with session_scope() as session:
        actor = os.environ.get("HUB_ACTOR", "cli")
        if args.as_:
            me = staff.find_active(session, args.as_)
            if me is None:
                raise HubError(f"--as {args.as_}: not an active staff user")
            actor = me.email
        event, queued = replay(session, actor=actor, event_id=args.event_id)
        line = (f"event #{event.id}: {event.status}" + (f" ({event.trigger})" if event.trigger else "")
                + (f": {event.error}" if event.error else ""))
    sent = send(queued)
    print(line + (f"; deliveries: {', '.join(sent)}" if sent else ""))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    """Send deliveries left pending (e.g. the process stopped between handling and sending)."""
    from services.webhooks.zapier import pending, send

    with session_scope() as session:
        ids = pending(session)
    statuses = send(ids)
    print(f"sent {len(ids)} pending deliver{'y' if len(ids) == 1 else 'ies'}"
          + (": " + ", ".join(f"#{i} {s}" for i, s in zip(ids, statuses, strict=True)) if ids else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    wh = sub.add_parser("webhooks", help="webhook inbox: received events, failed verifications, deliveries, replay")
    wh_sub = wh.add_subparsers(dest="wh_command", required=True, parser_class=HubParser)
    for name, text in (("events", "received (verified) inbound events, newest first"),
                       ("failures", "deliveries that failed verification or parsing, with why"),
                       ("deliveries", "outbound deliveries to Zapier hooks and their attempts")):
        p = wh_sub.add_parser(name, help=text)
        p.add_argument("--connection", type=int, metavar="ID")
        p.add_argument("--limit", type=int, default=50)
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.set_defaults(func=cmd_list)
    replay = wh_sub.add_parser("replay", help="run a stored event through its handler again (audited)")
    replay.add_argument("event_id", type=int)
    replay.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    replay.set_defaults(func=cmd_replay)
    send = wh_sub.add_parser("send", help="send outbound deliveries left pending")
    send.set_defaults(func=cmd_send)
