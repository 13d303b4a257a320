"""`layers-hub staff list|add|set-role`: who may use the Hub and with which role (the Staff & roles page's service).

Changes are audited as HUB_ACTOR (default `cli`). Giving a role to an address outside HUB_STAFF_DOMAINS is allowed
(an admin may add an exact outside address) but warned about on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from db.session import session_scope
from services.commands.common import HubParser, table


def _actor() -> str:
    return os.environ.get("HUB_ACTOR", "cli")


def _warn_outside(email: str) -> None:
    from services.core.config import load_settings
    from services.people.staff import outside_domains

    domains = load_settings().staff_domains
    if outside_domains(email, domains):
        print(f"layers-hub: warning: {email.strip().lower()} is outside the staff domains "
              f"({', '.join('@' + d for d in domains)}); they can sign in only with this exact address",
              file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    from services.people.staff import list_staff

    with session_scope() as session:
        people = list_staff(session, active_only=args.active)
    rows = [{"id": p.id, "email": p.email, "name": p.name, "role": p.role, "active": p.active} for p in people]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(table(rows, ["id", "email", "name", "role", "active"]))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from services.people.staff import add_staff

    with session_scope() as session:
        saved = add_staff(session, actor=_actor(), email=args.email, role=args.role, name=args.name)
    _warn_outside(saved.email)
    print(f"staff {saved.id}: {saved.email} ({saved.name}) added as {saved.role}")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    from services.people.staff import set_role

    with session_scope() as session:
        previous, saved = set_role(session, actor=_actor(), email=args.email, role=args.role)
    _warn_outside(saved.email)
    print(f"staff {saved.id}: {saved.email} {previous} → {saved.role}"
          + ("" if previous != saved.role else " (unchanged)"))
    return 0


# The valid roles are db.models.ROLES; the service names them when refusing one (importing the models here
# would slow every CLI call down).
ROLE_HELP = "the role (an unknown one is refused, naming the valid roles)"


def register(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff users and their roles (audited)")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, parser_class=HubParser)

    listing = staff_sub.add_parser("list", help="every staff user with role and active flag")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--active", action="store_true", help="only those who may sign in")
    listing.set_defaults(func=cmd_list)

    add = staff_sub.add_parser("add", help="add a staff user (refused when the address is already staff)")
    add.add_argument("email")
    add.add_argument("--role", required=True, metavar="ROLE", help=ROLE_HELP)
    add.add_argument("--name", help="display name (default: the part of the address before @)")
    add.set_defaults(func=cmd_add)

    role = staff_sub.add_parser("set-role", help="change a staff user's role")
    role.add_argument("email")
    role.add_argument("role", metavar="ROLE", help=ROLE_HELP)
    role.set_defaults(func=cmd_set_role)
