"""Helpers shared by CLI command modules."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from typing import Any, NoReturn

from db.base import MAX_ID


class HubParser(argparse.ArgumentParser):
    """Bad input ends in one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:   # also a number of more than 4,300 digits
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a whole number") from None


def db_id(value: str) -> int:
    """A database id (a row's primary key): 1 to MAX_ID. Every id argument of the CLI uses this type."""
    n = _whole(value)
    if not 1 <= n <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not an id (ids run from 1 to {MAX_ID})")
    return n


def non_negative_int(value: str) -> int:
    n = _whole(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
    if n > MAX_ID:          # counts and limits reach the database (LIMIT) too
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is too large (at most {MAX_ID})")
    return n


MAX_DAYS = 36_500   # a hundred years: further back than any row, and far inside what a date can hold


def days(value: str) -> int:
    """A number of days back from now (retention): 0 to MAX_DAYS; more would go past year 1 (OverflowError)."""
    n = _whole(value)
    if not 0 <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a number of days from 0 to {MAX_DAYS:,}")
    return n


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def positive_int(value: str) -> int:
    n = _whole(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    if n > MAX_ID:
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is too large (at most {MAX_ID})")
    return n
