"""Words the pages and the CLI show people: counts with the right plural, and the blank for a missing value."""

from __future__ import annotations

from typing import Any

import pandas as pd

BLANK = "—"   # a missing value in a table or a sentence (never the literal "None")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 upvote``, ``2 upvotes``, ``1,200 organizations`` (``plural_form`` when adding an s is wrong)."""
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


def blank_missing(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``frame`` with the missing values of its text columns shown as BLANK (a table would print "None").

    Only object (text) columns change; numbers, dates and booleans keep their type, so the table still sorts
    and formats them (a missing number stays empty)."""
    text = [c for c in (columns or list(frame.columns))
            if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    if not text:
        return frame
    return frame.assign(**{c: frame[c].map(_blank) for c in text})


def _blank(value: Any) -> Any:
    return BLANK if value is None or (isinstance(value, float) and pd.isna(value)) else value


def top10_text(rank: Any) -> str:
    """A top-10 rank as ``#3``, or BLANK when the integration is not in the top 10."""
    return BLANK if rank is None or pd.isna(rank) else f"#{int(rank)}"


def date_text(value: Any) -> str:
    """A date as ``2026-11-01`` (sorts as text), or BLANK."""
    return BLANK if value is None or pd.isna(value) else f"{value:%Y-%m-%d}"
