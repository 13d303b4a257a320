"""What the Hub accepts as an email address (upvoters, staff).

The local part is an RFC 5322 dot-atom (letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots between), so
quotes, parentheses, commas, spaces and control characters are refused (``=HYPERLINK("...")@x.co`` is no
address); the domain is host-name labels (letters, digits, inner hyphens, at most 63 each) ending in a top-level
domain that begins with a letter. At most 64 characters before the ``@`` and 254 in all (RFC 5321; the users
and staff tables hold 254). No quoted local parts, IP-literal domains or internationalised addresses.
email-validator would do this and more (IDNA, deliverability) but checks each address in tens of
microseconds and pulls in dnspython; an import validates up to a million rows, so a compiled pattern it is.
"""

from __future__ import annotations

import re

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])"
EMAIL_RE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+{_TLD}", re.ASCII)
MAX_LENGTH = 254


def is_email(value: str) -> bool:
    return len(value) <= MAX_LENGTH and len(value.partition("@")[0]) <= 64 and EMAIL_RE.fullmatch(value) is not None
