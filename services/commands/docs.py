"""`layers-hub docs list|show|publish|unpublish|build` (integration guides)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sqlalchemy.orm import Session

from db.session import session_scope
from services.commands.common import HubParser, table
from services.core.errors import HubError


def _actor(session: Session, email: str | None) -> str:
    """`--as EMAIL` must be an active staff user; without it the operator acts as HUB_ACTOR (default `cli`)."""
    from services.people import staff

    if email is None:
        return os.environ.get("HUB_ACTOR", "cli")
    me = staff.find_active(session, email)
    if me is None:
        raise HubError(f"--as {email}: not an active staff user")
    return me.email


def cmd_list(args: argparse.Namespace) -> int:
    from services.guides.state import guide_states

    with session_scope() as session:
        states = guide_states(session)
    rows = [{"slug": s.slug, "name": s.name, "status": s.status, "guide": s.state,
             "published_by": s.published_by or "", "problems": "; ".join(s.problems)} for s in states
            if not args.state or s.state == args.state]
    print(json.dumps(rows, indent=2) if args.format == "json"
          else table(rows, ["slug", "name", "status", "guide", "published_by", "problems"]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from services.catalog import load_catalog
    from services.guides.render import render

    if args.slug not in load_catalog().integrations:
        raise HubError(f"unknown integration {args.slug!r}; see `layers-hub catalog list`")
    print(render(args.slug), end="")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from services.guides.publishing import publish, unpublish

    with session_scope() as session:
        actor = _actor(session, args.as_)
        if args.docs_command == "publish":
            publish(session, actor=actor, slug=args.slug)
            print(f"{args.slug}: guide published (by {actor})")
        else:
            done = unpublish(session, actor=actor, slug=args.slug)
            print(f"{args.slug}: guide " + ("unpublished" if done else "was not published") + f" (by {actor})")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from services.guides.export import build

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise HubError(f"--out {out}: not a directory")
    with session_scope() as session:
        files = build(session, out)
    print(f"wrote {len(files) - 1} published guide(s) and index.md to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("docs", help="integration guides: list, show, publish, build")
    docs_sub = docs.add_subparsers(dest="docs_command", required=True, parser_class=HubParser)
    listing = docs_sub.add_parser("list", help="every integration's guide state (published, ready, incomplete)")
    listing.add_argument("--state", choices=("published", "ready to publish", "incomplete", "not written"))
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(func=cmd_list)
    show = docs_sub.add_parser("show", help="print one guide as Markdown (written + generated parts)")
    show.add_argument("slug")
    show.set_defaults(func=cmd_show)
    for name, text in (("publish", "publish a guide whose written sections are complete (audited)"),
                       ("unpublish", "withdraw a published guide (audited)")):
        p = docs_sub.add_parser(name, help=text)
        p.add_argument("slug")
        p.add_argument("--as", dest="as_", metavar="EMAIL", help="act as this staff user (default: HUB_ACTOR or cli)")
        p.set_defaults(func=cmd_publish)
    build = docs_sub.add_parser("build", help="write every published guide as Markdown into DIR")
    build.add_argument("--out", required=True, metavar="DIR")
    build.set_defaults(func=cmd_build)
