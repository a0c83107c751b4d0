"""Safe text cells for every spreadsheet and CSV we write (interface 3 of TEAM.md).

Two dangers in user data that reaches a workbook or a CSV file:

- **Control characters** (U+0000-U+001F except tab and line feed, U+007F-U+009F): XML 1.0
  cannot hold most of them, so an xlsx writer fails half-way (openpyxl raises
  ``IllegalCharacterError``), and in CSV they corrupt the file for the next reader. They are
  written as the visible escape ``\\xNN`` (``\\\\`` stays as it is).
- **Formula injection** (OWASP, "CSV Injection"): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, tab or carriage return is run as a formula by spreadsheet programs; a customer
  id ``=HYPERLINK("http://...")`` becomes a live link. In CSV the cell is prefixed with a
  single quote (OWASP's rule), in xlsx it is written as a text cell (never as a formula), so
  its value stays exactly what the user typed.

Numbers, dates and booleans are never changed. Reference: OWASP, *CSV Injection*,
https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
Target = Literal["csv", "xlsx"]


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe_text(value: Any, target: Target = "csv") -> Any:
    """``value`` made safe for a CSV (default) or xlsx cell; non-text values unchanged.

    >>> safe_text('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> safe_text("a\\x00b", "xlsx")
    'a\\\\x00b'
    >>> safe_text(-5)
    -5
    """
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub(_escape, value) if _CONTROL.search(value) else value
    if target == "csv" and value.startswith(FORMULA_STARTS):
        # tab and CR are escaped above; the quote still marks the cell as text
        return "'" + text
    return text


def safe_frame(frame: pd.DataFrame, target: Target = "csv") -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through
    :func:`safe_text`; numeric, date and boolean columns are left as they are."""
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: translated column labels may repeat
        s = out.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out.isetitem(i, s.map(lambda v: safe_text(v, target), na_action="ignore"))
    out.columns = [safe_text(c, target) if isinstance(c, str) else c for c in out.columns]
    return out


def text_not_formulas(workbook: Any) -> int:
    """Turn every formula cell of an openpyxl ``workbook`` back into a text cell.

    openpyxl stores any string that starts with ``=`` as a formula; we never write formulas,
    so each such cell came from data. Returns the number of cells changed."""
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed


__all__ = ["FORMULA_STARTS", "safe_frame", "safe_text", "text_not_formulas"]
