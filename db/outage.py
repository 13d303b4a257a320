"""Whether an exception means the database cannot be reached right now (issue 17), as opposed to a bug.

A refused or dropped connection, a server shutting down or restarting, a database that does not accept
connections, a connection already closed: the work can be retried as is once the database is back. The HTTP
routes answer these with 503 and ``Retry-After`` (services/server/routes.py), the UI shows a plain message that
retries by itself (pages/ui/outage.py), and background handling leaves the work for the next pass.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

RETRY_AFTER_S = 5     # what a 503 asks the sender to wait; the UI retries at the same pace
MESSAGE = "The Hub's database is unreachable; retrying"

# SQLite's OperationalError also covers schema errors ("no such table"): only these mean "not reachable now".
_SQLITE_UNAVAILABLE = ("unable to open database", "database is locked", "disk i/o error")


def is_outage(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it was raised from) is the database being unreachable."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DBAPIError):
            if exc.connection_invalidated or isinstance(exc, InterfaceError):
                return True
            if isinstance(exc, OperationalError):
                if type(exc.orig).__module__.startswith("sqlite3"):
                    return str(exc.orig).lower().startswith(_SQLITE_UNAVAILABLE)
                return True
        exc, seen = exc.__cause__, seen + 1
    return False
