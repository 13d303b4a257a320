"""`layers-hub webhooks events|failures|deliveries|replay|send|prune` (issue 9: the webhook inbox from the shell)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from db.session import session_scope
from services.commands import webhook_subscribe
from services.commands.common import HubParser, days, db_id, non_negative_int, table
from services.commands.webhook_subscribe import actor
from services.webhooks.retention import EVENT_DAYS, REJECTION_DAYS


def _rows(frame: Any) -> list[dict]:   # a pandas DataFrame (untyped)
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
    from services.webhooks import hooks
    from services.webhooks.inbound import replay

    with session_scope() as session:
        event, queued = replay(session, actor=actor(session, args.as_), event_id=args.event_id)
        line = (f"event #{event.id}: {event.status}" + (f" ({event.trigger})" if event.trigger else "")
                + (f": {event.error}" if event.error else ""))
    sent = hooks.send(queued)
    print(line + (f"; deliveries: {', '.join(sent)}" if sent else ""))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    """The background passes (cron): handle inbound events left unprocessed (the recovery pass), then send
    deliveries left pending (e.g. the process stopped between handling and sending) or interrupted mid-send."""
    from services.webhooks import hooks, recovery

    report = recovery.run_pass()
    if report.total or report.skipped:
        print(report.line())
    with session_scope() as session:
        ids = hooks.due(session)
    statuses = hooks.send(ids)
    print(f"sent {len(ids)} pending deliver{'y' if len(ids) == 1 else 'ies'}"
          + (": " + ", ".join(f"#{i} {s}" for i, s in zip(ids, statuses, strict=True)) if ids else ""))
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """Delete what is past retention (or only count it with --dry-run); one audit row per real run."""
    from services.webhooks import retention

    with session_scope() as session:
        report = retention.prune(session, actor=actor(session, args.as_), event_days=args.older_than,
                                 rejection_days=args.rejections_older_than, dry_run=args.dry_run)
    days = {"webhook_rejections": report.rejection_days}
    rows = [{"table": name, "rows": report.counts()[name], "older than": f"{days.get(name, report.event_days)} days",
             "what": what} for name, what in retention.TABLES]
    print(table(rows, ["table", "rows", "older than", "what"]))
    print(f"dry run: would delete {report.total} rows, nothing deleted" if report.dry_run
          else f"deleted {report.total} rows (audited as webhooks.pruned)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    wh = sub.add_parser("webhooks", help="webhook inbox: received events, failed verifications, deliveries, replay")
    wh_sub = wh.add_subparsers(dest="wh_command", required=True, parser_class=HubParser)
    for name, text in (("events", "received (verified) inbound events, newest first"),
                       ("failures", "deliveries that failed verification or parsing, with why"),
                       ("deliveries", "outbound deliveries to Zapier hooks and their attempts")):
        p = wh_sub.add_parser(name, help=text)
        p.add_argument("--connection", type=db_id, metavar="ID")
        p.add_argument("--limit", type=non_negative_int, default=50)
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.set_defaults(func=cmd_list)
    replay = wh_sub.add_parser("replay", help="run a stored event through its handler again (audited)")
    replay.add_argument("event_id", type=db_id)
    replay.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    replay.set_defaults(func=cmd_replay)
    send = wh_sub.add_parser("send", help="handle inbound events left unprocessed, then send outbound deliveries "
                             "left pending or interrupted mid-send (cron)")
    send.set_defaults(func=cmd_send)
    prune = wh_sub.add_parser("prune", help="delete old failed verifications, handled events and finished "
                              "deliveries (audited); unhandled or failed events and unsent deliveries are kept")
    prune.add_argument("--older-than", type=days, default=EVENT_DAYS, metavar="DAYS",
                       help=f"handled/ignored events and finished deliveries older than DAYS (default {EVENT_DAYS})")
    prune.add_argument("--rejections-older-than", type=days, default=REJECTION_DAYS, metavar="DAYS",
                       help=f"failed verifications older than DAYS (default {REJECTION_DAYS})")
    prune.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    prune.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    prune.set_defaults(func=cmd_prune)
    webhook_subscribe.register(wh_sub)   # subscribe, app list|set
