"""Who a signed-in identity is in the Hub: staff are matched by their verified email (issue 19).

An identity the Hub cannot match gets a reason and a message for the "ask an admin for access" page and
nothing else; each refusal is audited (``sign_in.refused``). An email from outside the company's domains
(``HUB_STAFF_DOMAINS``) is refused unless an admin added that exact address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import StaffUser
from services.core import audit
from services.people.staff import Staff, find_active

Reason = Literal["no_email", "unverified", "inactive", "no_role", "other_domain"]


@dataclass(frozen=True)
class Access:
    email: str | None
    staff: Staff | None                 # set when the identity may use the Hub
    reason: Reason | None = None        # set when it may not
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.staff is not None


def check(session: Session, email: str | None, *, email_verified: bool | None,
          staff_domains: tuple[str, ...]) -> Access:
    """The staff member an identity maps to, or why it does not. ``email_verified`` is the OIDC claim
    (None when the provider does not send it, e.g. Entra ID; False is refused)."""
    email = (email or "").strip().lower() or None
    if email is None:
        return Access(None, None, "no_email", "Your identity provider did not send an email address, so the Hub "
                      "cannot tell who you are. Ask an admin for access.")
    if email_verified is False:
        return Access(email, None, "unverified", f"{email} is not verified by your identity provider; the Hub "
                      "only accepts verified email addresses. Verify it there, or ask an admin for access.")
    staff = find_active(session, email)
    if staff is not None:
        return Access(email, staff)
    row = session.scalar(select(StaffUser).where(StaffUser.email == email))
    if row is not None:
        return Access(email, None, "inactive", f"{email} no longer has access to the Hub. Ask an admin for "
                      "access: they can reactivate you on the Staff & roles page.")
    domain = email.rsplit("@", 1)[-1]
    if domain not in staff_domains:
        return Access(email, None, "other_domain", f"{email} is not a Layers staff account (the Hub accepts "
                      f"{', '.join('@' + d for d in staff_domains)}). Sign out and use your work account, or ask "
                      "an admin to add this exact address.")
    return Access(email, None, "no_role", f"{email} has no Hub access yet. Ask an admin for access: they add you "
                  "on the Staff & roles page with the role you need.")


def record_refusal(session: Session, access: Access) -> None:
    """Audit a refused sign-in (the caller commits; pages call it once per browser session)."""
    row_id = (session.scalar(select(StaffUser.id).where(StaffUser.email == access.email))
              if access.email else None)
    audit.record(session, actor=access.email or "(no email)", action="sign_in.refused",
                 entity_type="staff_user", entity_id=row_id, after={"email": access.email, "reason": access.reason})
