"""`layers-hub checklist ...`, `layers-hub status set ...`, `layers-hub notify ...` (the build tracker)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from db.session import session_scope
from services.commands.common import HubParser, non_negative_int, table
from services.core.csv_export import frame_to_csv
from services.core.errors import HubError

if TYPE_CHECKING:   # for annotations only: the handlers import the tracker when they run (start-up time)
    from services.build.tracker import StepView


def _actor(session: Session, email: str | None) -> str:
    """`--as EMAIL` must be an active staff user; without it the operator acts as HUB_ACTOR (default `cli`)."""
    from services.people import staff

    if email is None:
        return os.environ.get("HUB_ACTOR", "cli")
    me = staff.find_active(session, email)
    if me is None:
        raise HubError(f"--as {email}: not an active staff user")
    return me.email


def _steps_json(steps: list[StepView]) -> list[dict[str, Any]]:
    return [{"number": s.number, "title": s.title, "items": [
        {"key": i.key, "label": i.title, "state": i.state, "by": i.by, "at": i.at.isoformat() if i.at else None,
         "note": i.note, "link": i.link, "not_applicable_reason": i.na_reason,
         "evidence": (i.evidence.summary if i.evidence else "no evidence yet") if i.has_evidence else None}
        for i in s.items]} for s in steps]


def cmd_show(args: argparse.Namespace) -> int:
    from services.build import tracker

    with session_scope() as session:
        steps = tracker.checklist(session, args.slug)
    if args.format == "json":
        print(json.dumps(_steps_json(steps), indent=2))
        return 0
    marks = {"done": "[x]", "open": "[ ]", "not_applicable": "n/a"}
    for s in steps:
        print(f"Step {s.number} · {s.title}  ({s.done}/{s.applicable} done)")
        rows = [{"": marks[i.state], "key": i.key, "item": ("  " * i.depth) + i.title, "by": i.by or "",
                 "evidence": (i.evidence.summary if i.evidence else "no evidence yet") if i.has_evidence else ""}
                for i in s.items]
        print(table(rows, ["", "key", "item", "by", "evidence"]) + "\n")
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    from services.build import tracker

    with session_scope() as session:
        actor = _actor(session, args.as_)
        if args.not_applicable is not None:
            item = tracker.mark_not_applicable(session, actor=actor, slug=args.slug, key=args.key,
                                               reason=args.not_applicable)
        else:
            item = tracker.tick(session, actor=actor, slug=args.slug, key=args.key, done=not args.undo,
                                note=args.note, link=args.link)
    print(f"{args.slug} {item.key}: {item.state} (by {actor})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from services.build import pipeline
    from services.demand.planning import move_status

    try:
        with session_scope() as session:
            actor = _actor(session, args.as_)
            # leaving requested is a planning decision (criterion 4), whichever way it happens
            row = move_status(session, actor=actor, slug=args.slug, to_status=args.status,
                              override_reason=args.override_reason)
            status = row.status
    except pipeline.TransitionRefused as exc:
        print(f"layers-hub: refused: {exc}", file=sys.stderr)
        return 3
    print(f"{args.slug} is now {status}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from services.build import notifications
    from services.core.config import load_settings

    report = notifications.send_pending(smtp_url=load_settings().smtp_url, actor=os.environ.get("HUB_ACTOR", "cli"),
                                        limit=args.limit, dry_run=args.dry_run)
    if args.dry_run:
        print(f"{len(report.recipients)} notifications would be sent (dry run):")
        for email in report.recipients:
            print(f"  {email}")
        return 0
    print(f"sent {report.sent}, failed {report.failed}, skipped {report.skipped} (claimed by another sender)")
    for error in report.errors:
        print(f"  {error}", file=sys.stderr)
    return 0 if report.failed == 0 else 1


def cmd_list(args: argparse.Namespace) -> int:
    from services.build import notifications

    with session_scope() as session:
        frame = notifications.outbox(session, slug=args.integration, statuses=args.status)
    if args.format == "csv":
        print(frame_to_csv(frame), end="")
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=2))
    else:
        print(table(frame.astype(str).to_dict("records"),
                    ["id", "integration", "email", "status", "attempts", "sent_at", "last_error"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    checklist = sub.add_parser("checklist", help="an integration's build and testing checklist")
    checklist_sub = checklist.add_subparsers(dest="checklist_command", required=True, parser_class=HubParser)
    show = checklist_sub.add_parser("show", help="the steps and items with their state and evidence")
    show.add_argument("slug")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.set_defaults(func=cmd_show)
    tick = checklist_sub.add_parser("tick", help="tick an item (or --undo, or --not-applicable REASON)")
    tick.add_argument("slug")
    tick.add_argument("key", help="the item key, e.g. research.review_api_docs")
    tick.add_argument("--note")
    tick.add_argument("--link", help="pull request or document URL")
    tick.add_argument("--undo", action="store_true", help="untick the item")
    tick.add_argument("--not-applicable", metavar="REASON", help="mark the item not applicable, with a reason")
    tick.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    tick.set_defaults(func=cmd_tick)

    status = sub.add_parser("status", help="the integration status pipeline")
    status_sub = status.add_subparsers(dest="status_command", required=True, parser_class=HubParser)
    set_ = status_sub.add_parser("set", help="move an integration (exit 3 and the missing items when refused)")
    set_.add_argument("slug")
    set_.add_argument("status", choices=("requested", "planned", "building", "testing", "available", "deprecated"))
    set_.add_argument("--override-reason", help="admin override of incomplete checklist steps (audited)")
    set_.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
    set_.set_defaults(func=cmd_status)

    notify = sub.add_parser("notify", help="announcements to upvoters of Available integrations")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True, parser_class=HubParser)
    send = notify_sub.add_parser("send", help="send pending notifications by email (SMTP_URL); never twice")
    send.add_argument("--dry-run", action="store_true", help="list the recipients, send nothing")
    send.add_argument("--limit", type=non_negative_int, default=None, help="at most N notifications")
    send.set_defaults(func=cmd_send)
    listing = notify_sub.add_parser("list", help="the outbox (e.g. --format csv to export it)")
    listing.add_argument("--integration", help="only this integration slug")
    listing.add_argument("--status", action="append", choices=("pending", "sending", "sent", "failed"))
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
    listing.set_defaults(func=cmd_list)
