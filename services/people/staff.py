"""Staff users and their roles (who may open which pages). Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ROLES, StaffUser
from services.core import audit
from services.core.emails import is_email
from services.core.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    name: str
    role: str
    active: bool


def _view(row: StaffUser) -> Staff:
    return Staff(row.id, row.email, row.name, row.role, row.active)


def list_staff(session: Session, *, active_only: bool = False) -> list[Staff]:
    query = select(StaffUser).order_by(StaffUser.role, StaffUser.email)
    if active_only:
        query = query.where(StaffUser.active.is_(True))
    return [_view(r) for r in session.scalars(query)]


def find_active(session: Session, email: str | None) -> Staff | None:
    """The active staff member with this email (case-insensitive), or None: no role, no pages."""
    if not email:
        return None
    row = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    return _view(row) if row is not None and row.active else None


def save_staff(session: Session, *, actor: str, email: str, name: str, role: str,
               active: bool = True) -> Staff:
    """Create or update a staff member; refuses an admin removing their own admin access."""
    email = email.strip().lower()
    if not is_email(email):
        raise InvalidInput(f"email: {email[:80]!r} is not an email address")
    if role not in ROLES:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip():
        raise InvalidInput("name: must not be empty")
    if email == actor.lower() and (role != "admin" or not active):
        raise InvalidInput("you cannot remove your own admin access; ask another admin")
    name = name.strip()
    row = session.scalar(select(StaffUser).where(StaffUser.email == email))
    after = {"email": email, "name": name, "role": role, "active": active}
    if row is None:
        row = StaffUser(email=email, name=name, role=role, active=active)
        session.add(row)
        session.flush()
        audit.record(session, actor=actor, action="staff.created", entity_type="staff_user",
                     entity_id=row.id, after=after)
    else:
        before = {"email": row.email, "name": row.name, "role": row.role, "active": row.active}
        if before == after:
            return _view(row)
        row.name, row.role, row.active = name, role, active
        audit.record(session, actor=actor, action="staff.updated", entity_type="staff_user",
                     entity_id=row.id, before=before, after=after)
    session.flush()
    return _view(row)


def get_staff(session: Session, staff_id: int) -> Staff:
    row = session.get(StaffUser, staff_id)
    if row is None:
        raise NotFound(f"staff user {staff_id} not found")
    return _view(row)


def outside_domains(email: str, staff_domains: tuple[str, ...]) -> bool:
    """Whether the address is outside the company's domains (``HUB_STAFF_DOMAINS``): such a person signs in
    only because an admin added this exact address, so giving them a role deserves a second look."""
    domain = email.strip().lower().rsplit("@", 1)[-1]
    return bool(staff_domains) and domain not in staff_domains


def domain_warning(session: Session, *, email: str, role: str, active: bool,
                   staff_domains: tuple[str, ...]) -> str | None:
    """Why a save deserves a confirmation, or None: it would give an address outside ``staff_domains`` an active
    role it does not hold now (a new person, another role, or access again)."""
    address = email.strip().lower()
    if not active or not is_email(address) or not outside_domains(address, staff_domains):
        return None          # (a bad address is refused by the save, naming the field)
    row = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if row is not None and row.active and row.role == role:
        return None
    plural = "s" if len(staff_domains) > 1 else ""
    return (f"{address} is outside the staff domain{plural} ({', '.join('@' + d for d in staff_domains)}): "
            f"they can sign in only because an admin gives this exact address a role. Give them {role}?")


def add_staff(session: Session, *, actor: str, email: str, role: str, name: str | None = None) -> Staff:
    """A new, active staff member (named after the address when no name is given); refuses an existing one."""
    address = email.strip().lower()
    row = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if row is not None:
        raise InvalidInput(f"email: {address} is already staff ({row.role}{'' if row.active else ', inactive'}); "
                           "change the role with set-role, or pick them in the Staff & roles table")
    return save_staff(session, actor=actor, email=address, name=name or address.split("@", 1)[0], role=role)


def set_role(session: Session, *, actor: str, email: str, role: str) -> tuple[str, Staff]:
    """Change an existing staff member's role (name and active flag kept); returns (previous role, staff)."""
    address = email.strip().lower()
    row = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if row is None:
        raise NotFound(f"staff member {address[:80]!r} not found (add them first)")
    previous = row.role
    return previous, save_staff(session, actor=actor, email=address, name=row.name, role=role, active=row.active)
