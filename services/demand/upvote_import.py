"""Import upvotes from CSV: validate every row first, then write everything in one transaction.

Columns: integration (slug or display name, any case), user_email, user_name (optional),
organization, tier, created_at (ISO 8601, optional), comment (optional). Users and organizations are
created or updated: for a user, the file's tier and organization win (the last row naming the user).
A (user, integration) pair already present, or repeated in the file, is counted once, so importing
the same file twice changes nothing. Any bad row rejects the whole file unless skip_invalid.

Upvotes are history, and the platform's export is cumulative: once an integration's upvoting has closed
(services.demand.upvotes.upvoting_closed_at: it became Available, or was marked already integrated), a row
already present is still just "already present", a new row dated before upvoting closed is imported like
any other (the aggregates follow), and only a new row dated after it closed (an undated row counts as now)
is a bad row.

The file is UTF-8 (a BOM is skipped). What no database may store, or the CSV reader cannot get past, is
reported by line and column before anything is written, the same on SQLite and PostgreSQL: a byte that is
not UTF-8 and a field longer than the CSV reader's limit (131,072 characters) reject the whole file even
with skip_invalid; a NUL character (PostgreSQL text cannot hold one) is a bad row.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Integration, Organization, Tier, Upvote, User
from services.core import audit
from services.core.emails import is_email
from services.core.errors import InvalidInput
from services.demand.upvotes import NEVER_OPEN, recompute_aggregates, upvoting_closed_at

REQUIRED = ("integration", "user_email", "organization", "tier")
OPTIONAL = ("user_name", "created_at", "comment")
COLUMNS = ("integration", "user_email", "user_name", "organization", "tier", "created_at", "comment")
MAX_LISTED = 200
Progress = Callable[[float, str], object]   # (share done, message); any return value is ignored


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(InvalidInput):
    """The file has bad rows; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        listed = "; ".join(str(e) for e in errors[:MAX_LISTED])
        more = f" (and {len(errors) - MAX_LISTED} more)" if len(errors) > MAX_LISTED else ""
        super().__init__(f"{len(errors)} bad row(s), nothing imported: {listed}{more}")


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    users_created: int = 0
    users_updated: int = 0
    organizations_created: int = 0
    skipped: list[RowError] = field(default_factory=list)


class _Row(NamedTuple):
    integration_id: int
    email: str
    name: str
    organization: str
    tier_id: int
    created_at: datetime
    comment: str | None


class _Validator:
    """Validates one row at a time; lookups of repeated values (emails, tiers, names) are cached."""

    def __init__(self, session: Session) -> None:
        self.now = datetime.now(UTC)
        self.integrations: dict[str, Integration] = {}
        for i in session.scalars(select(Integration)):
            self.integrations[i.slug.lower()] = i
            self.integrations.setdefault(i.name.lower(), i)
        self.tiers: dict[str, int] = {}
        for t in session.scalars(select(Tier)):
            self.tiers[t.slug.lower()] = t.id
            self.tiers[t.name.lower()] = t.id
        self.tier_names = sorted({t.slug for t in session.scalars(select(Tier))})
        self._integration_cache: dict[str, int | str] = {}
        self._tier_cache: dict[str, int | str] = {}
        self._email_cache: dict[str, str | None] = {}
        # Upvoting closed: a new upvote dated before closing is history (kept); one dated after it is refused.
        # A pair already present is counted as such whatever its date (the export is cumulative).
        self.closed_at = upvoting_closed_at(session)
        self.present: set[tuple[str, int]] = {(email, iid) for email, iid in session.execute(
            select(User.email, Upvote.integration_id).join(User, User.id == Upvote.user_id)
            .where(Upvote.integration_id.in_(list(self.closed_at))))} if self.closed_at else set()
        self.names = {i.id: (i.name, i.status) for i in self.integrations.values()}

    def integration(self, name: str) -> int | str:
        """The integration id, or the problem with this value."""
        cached = self._integration_cache.get(name)
        if cached is not None:
            return cached
        integration = self.integrations.get(name.lower())
        if integration is None:
            close = difflib.get_close_matches(name.lower(), list(self.integrations), n=1, cutoff=0.6)
            hint = f" (did you mean {self.integrations[close[0]].slug!r}?)" if close else ""
            result: int | str = f"integration: unknown {name!r}{hint}" if name else "integration: missing"
        else:
            result = integration.id
        self._integration_cache[name] = result
        return result

    def closed(self, integration_id: int, closed: datetime, created: datetime | None) -> str:
        name, status = self.names[integration_id]
        since = f" since {closed:%Y-%m-%d %H:%M} UTC" if closed != NEVER_OPEN else ""
        dated = f"this new upvote is dated {created:%Y-%m-%d %H:%M} UTC" if created is not None else \
            "this new upvote has no created_at, so it would be dated now"
        return (f"integration: upvoting is closed for {name} ({status}){since}, and {dated}; only upvotes dated "
                "before it closed are imported (as history)")

    def tier(self, value: str) -> int | str:
        cached = self._tier_cache.get(value)
        if cached is None:
            cached = self.tiers.get(value.lower()) or f"tier: unknown {value!r} (known: {', '.join(self.tier_names)})"
            self._tier_cache[value] = cached
        return cached

    def email(self, value: str) -> tuple[str, str | None]:
        email = value.lower()
        if email not in self._email_cache:
            self._email_cache[email] = None if is_email(email) else (
                f"user_email: {_shown(email)} is not an email address" if email else "user_email: missing")
        return email, self._email_cache[email]

    def row(self, integration_name: str, email_value: str, user_name: str, organization: str, tier_value: str,
            stamp: str, comment: str) -> _Row:
        problems = []
        integration_id = self.integration(integration_name)
        if isinstance(integration_id, str):
            problems.append(integration_id)
        email, email_problem = self.email(email_value)
        if email_problem:
            problems.append(email_problem)
        if not organization or len(organization) > 200:
            problems.append("organization: missing" if not organization else "organization: longer than 200")
        tier_id = self.tier(tier_value)
        if isinstance(tier_id, str):
            problems.append(tier_id)
        created: datetime | None = self.now
        if stamp:
            try:
                created = datetime.fromisoformat(stamp)
                created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
                if created > self.now + timedelta(days=1):
                    problems.append(f"created_at: {stamp!r} is in the future")
            except ValueError:
                problems.append(f"created_at: {stamp!r} is not an ISO 8601 date/time")
                created = None
        if isinstance(integration_id, int) and created is not None:
            closed = self.closed_at.get(integration_id)
            if closed is not None and created >= closed and (email, integration_id) not in self.present:
                problems.insert(0, self.closed(integration_id, closed, created if stamp else None))
        if problems:
            raise ValueError("; ".join(problems))
        return _Row(integration_id, email, (user_name or email.split("@")[0])[:200], organization,  # type: ignore[arg-type]
                    tier_id, created, comment or None)  # type: ignore[arg-type]


def _shown(value: str, limit: int = 80) -> str:
    """A value for an error message: quoted, and cut short."""
    return repr(value[:limit] + "…") if len(value) > limit else repr(value)


class _Lines:
    """The file's lines as text, decoded one at a time, so that a byte that is not UTF-8 is reported by its line
    and column (the line is read on with the byte replaced, to report every such line); ``record`` holds the
    lines of the record being read, for reporting which field is too long."""

    def __init__(self, source: IO[str] | IO[bytes]) -> None:
        self.source = source
        self.errors: list[RowError] = []
        self.record: list[str] = []
        self.nul = False          # a line read since the last reset holds a NUL character

    def __iter__(self) -> Iterator[str]:
        record = self.record
        if isinstance(self.source, io.TextIOBase):      # already text: the fast path
            for line in self.source:
                record.append(line)
                if "\x00" in line:
                    self.nul = True
                yield line
            return
        number = 0
        for chunk in self.source:
            # A binary file splits on \n only; a lone \r (old Mac files) ends a line too, as in text mode.
            pieces = chunk.splitlines(keepends=True) if isinstance(chunk, bytes) and \
                chunk.find(b"\r", 0, len(chunk) - 2) != -1 else (chunk,)
            for piece in pieces:
                number += 1
                if isinstance(piece, str):
                    line = piece
                else:
                    codec = "utf-8-sig" if number == 1 else "utf-8"
                    try:
                        line = piece.decode(codec)
                    except UnicodeDecodeError as exc:
                        self.errors.append(RowError(number, f"column {exc.start + 1}: byte 0x{piece[exc.start]:02x} "
                                                            "is not UTF-8 text (save the file as UTF-8)"))
                        line = piece.decode(codec, errors="replace")
                record.append(line)
                if "\x00" in line:
                    self.nul = True
                yield line


def _nul_columns(record: list[str], columns: list[int | None]) -> str | None:
    nul = [f"column {i + 1} ({name}): contains a NUL character, which no database column may hold"
           for name, i in zip(COLUMNS, columns, strict=True)
           if i is not None and i < len(record) and "\x00" in record[i]]
    return "; ".join(nul) or None


def _long_field(text: str, limit: int) -> int:
    """The 0-based index of the first field of this (excel-dialect) CSV record text longer than limit."""
    index = length = 0
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                i += 1
                length += 1
            elif ch == '"':
                quoted = False
            else:
                length += 1
        elif ch == '"':
            quoted = True
        elif ch == ",":
            index, length = index + 1, 0
        elif ch not in "\r\n":
            length += 1
        if length > limit:
            return index
        i += 1
    return index


def _reader_problem(exc: csv.Error, record: str, header: list[str]) -> str:
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(exc):
        return f"not readable as CSV ({exc})"
    index = _long_field(record, limit)
    name = f" ({header[index]})" if index < len(header) else ""
    return f"column {index + 1}{name}: a field is longer than {limit:,} characters"


def read_rows(session: Session, source: IO[str] | IO[bytes], *, skip_invalid: bool,
              progress: Progress | None = None, total_bytes: int | None = None) -> tuple[list[_Row], list[RowError]]:
    """Parse and validate the whole file; every bad line is reported by its line number (and column where a
    column is to blame)."""
    lines = _Lines(source)
    reader = csv.reader(lines)
    errors: list[RowError] = []
    header: list[str] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        lines.record.clear()
        lines.nul = False
        missing = [c for c in REQUIRED if c not in header]
        if missing and not lines.errors:
            raise ImportRejected([RowError(1, f"missing column(s): {', '.join(missing)}; "
                                              f"expected {', '.join(REQUIRED + OPTIONAL)}")])
        columns = [header.index(c) if c in header else None for c in COLUMNS]
        width = len(header)
        validator = _Validator(session)
        rows: list[_Row] = []
        seen_bytes = 0
        for record in reader:
            lines.record.clear()
            if not record:
                continue                                   # blank line
            if len(record) < width:
                record = record + [""] * (width - len(record))
            try:
                if lines.nul:
                    lines.nul = False
                    nul = _nul_columns(record, columns)
                    if nul:
                        raise ValueError(nul)
                rows.append(validator.row(*(record[i].strip() if i is not None else "" for i in columns)))
            except ValueError as exc:
                errors.append(RowError(reader.line_num, str(exc)))
            if progress and total_bytes:
                seen_bytes += sum(map(len, record)) + len(record)
                if len(rows) % 100_000 == 0:
                    progress(min(0.5, 0.5 * seen_bytes / total_bytes), f"validated {len(rows):,} rows")
    except csv.Error as exc:                            # the reader cannot go on: the whole file is refused
        problem = _reader_problem(exc, "".join(lines.record), header)
        raise ImportRejected(sorted([*lines.errors, *errors, RowError(reader.line_num, problem)],
                                    key=lambda e: e.line)) from None
    if lines.errors:                                    # undecodable bytes: the whole file is refused
        raise ImportRejected(sorted([*lines.errors, *errors], key=lambda e: e.line))
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    return rows, errors


def import_upvotes(session: Session, source: IO[str] | IO[bytes] | str | bytes, *, actor: str,
                   skip_invalid: bool = False, progress: Progress | None = None,
                   filename: str | None = None) -> ImportReport:
    """Validate then write, all in the caller's transaction (the caller commits). Give the file's bytes (or a
    binary file) so that a byte that is not UTF-8 is reported by line and column."""
    if isinstance(source, str):
        source = io.StringIO(source, newline="")
    elif isinstance(source, bytes):
        source = io.BytesIO(source)
    total_bytes = None
    if source.seekable():
        total_bytes = source.seek(0, io.SEEK_END)
        source.seek(0)
    rows, errors = read_rows(session, source, skip_invalid=skip_invalid, progress=progress,
                             total_bytes=total_bytes)
    report = ImportReport(rows=len(rows) + len(errors), skipped=errors)
    if progress:
        progress(0.5, f"{len(rows):,} valid rows; writing organizations and users")
    org_ids = _organizations(session, rows, report)
    user_ids, moved = _users(session, rows, org_ids, report)
    if progress:
        progress(0.7, "writing upvotes")
    pairs: dict[tuple[int, int], _Row] = {}
    for r in rows:
        pairs.setdefault((user_ids[r.email], r.integration_id), r)
    report.imported = _insert_upvotes(session, [(u, i, r.created_at, r.comment) for (u, i), r in pairs.items()])
    report.duplicates = len(rows) - report.imported
    if progress:
        progress(0.85, "updating ranking aggregates")
    affected = {i for _, i in pairs} if report.imported else set()
    if moved:
        affected |= set(session.scalars(select(Upvote.integration_id).where(Upvote.user_id.in_(moved)).distinct()))
    recompute_aggregates(session, affected)
    audit.record(session, actor=actor, action="upvotes.imported", entity_type="upvotes", entity_id=filename,
                 after={"rows": report.rows, "imported": report.imported, "duplicates": report.duplicates,
                        "users_created": report.users_created, "users_updated": report.users_updated,
                        "organizations_created": report.organizations_created, "skipped": len(errors)})
    session.flush()
    if progress:
        progress(1.0, "done")
    return report


def _ids_by(session: Session, column: InstrumentedAttribute[str], id_column: InstrumentedAttribute[int],
           values: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(values), 5_000):
        found.update(session.execute(select(column, id_column).where(column.in_(values[start:start + 5_000]))).all())
    return found


def _organizations(session: Session, rows: list[_Row], report: ImportReport) -> dict[str, int]:
    ids = dict(session.execute(select(Organization.name, Organization.id)).all())
    new: dict[str, int] = {}
    for r in rows:
        if r.organization not in ids:
            new.setdefault(r.organization, r.tier_id)     # a new organization takes its first row's tier
    if new:
        session.execute(insert(Organization), [{"name": n, "tier_id": t} for n, t in new.items()])
        ids.update(_ids_by(session, Organization.name, Organization.id, list(new)))
        report.organizations_created = len(new)
    return ids


def _users(session: Session, rows: list[_Row], org_ids: dict[str, int],
           report: ImportReport) -> tuple[dict[str, int], list[int]]:
    wanted: dict[str, _Row] = {}
    for r in rows:
        wanted[r.email] = r               # the last row naming a user wins
    known = {e: (i, t, o) for e, i, t, o in session.execute(
        select(User.email, User.id, User.tier_id, User.organization_id))}
    new_emails = [e for e in wanted if e not in known]
    new = [{"email": e, "name": wanted[e].name, "tier_id": wanted[e].tier_id,
            "organization_id": org_ids[wanted[e].organization]} for e in new_emails]
    changed = [{"uid": known[e][0], "tier_id": r.tier_id, "organization_id": org_ids[r.organization]}
               for e, r in wanted.items()
               if e in known and (known[e][1], known[e][2]) != (r.tier_id, org_ids[r.organization])]
    for start in range(0, len(new), 10_000):
        session.execute(insert(User), new[start:start + 10_000])
    if changed:
        session.connection().execute(
            update(User).where(User.id == bindparam("uid")).values(tier_id=bindparam("tier_id"),
                                                              organization_id=bindparam("organization_id")),
            changed)
    report.users_created, report.users_updated = len(new), len(changed)
    ids = {e: v[0] for e, v in known.items()}
    ids.update(_ids_by(session, User.email, User.id, new_emails))
    return ids, [c["uid"] for c in changed]


def _insert_upvotes(session: Session, rows: Iterable[tuple]) -> int:
    """Insert, skipping pairs already present; returns how many were new. COPY on PostgreSQL."""
    rows = list(rows)
    if not rows:
        return 0
    conn = session.connection()
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the database connection was closed")
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS upvote_import "
                        "(user_id int, integration_id int, created_at timestamptz, comment text) ON COMMIT DROP")
            cur.execute("TRUNCATE upvote_import")
            with cur.copy("COPY upvote_import (user_id, integration_id, created_at, comment) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute("INSERT INTO upvotes (user_id, integration_id, created_at, comment) "
                        "SELECT user_id, integration_id, created_at, comment FROM upvote_import "
                        "ON CONFLICT (user_id, integration_id) DO NOTHING")
            return cur.rowcount
    cur = raw.cursor()
    cur.executemany("INSERT OR IGNORE INTO upvotes (user_id, integration_id, created_at, comment) "
                    "VALUES (?, ?, ?, ?)",
                    [(u, i, c.strftime("%Y-%m-%d %H:%M:%S.%f"), m) for u, i, c, m in rows])
    inserted = cur.rowcount
    cur.close()
    return inserted
