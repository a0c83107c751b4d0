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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_RE2 = r"[\x{00}-\x{08}\x{0b}-\x{1f}\x{7f}-\x{9f}]"  # _CONTROL in RE2 syntax (Arrow)
_FORMULA_RE2 = r"^[=+\-@\t\r]"  # FORMULA_STARTS
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


def safe_texts(values: pd.Series, target: Target = "csv") -> pd.Series:
    """:func:`safe_text` over a column at once (missing values stay missing).

    Vectorised: the two tests (a control character anywhere, a formula start) run over the
    whole column in Arrow; only the cells that need a change are rewritten in Python.
    """
    arr = values.to_numpy(dtype=object, copy=True)
    try:
        texts = pa.array(arr, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):  # numbers, dates ... among the texts stay as they are
        return values.map(lambda v: safe_text(v, target), na_action="ignore").astype(object)
    control = pc.match_substring_regex(texts, _CONTROL_RE2).fill_null(False).to_numpy(zero_copy_only=False)
    formula = pc.match_substring_regex(texts, _FORMULA_RE2).fill_null(False).to_numpy(zero_copy_only=False) \
        if target == "csv" else np.zeros(len(arr), dtype=bool)
    for k in np.flatnonzero(control | formula):
        arr[k] = safe_text(arr[k], target)
    return pd.Series(arr, index=values.index, name=values.name, dtype=object)


def safe_frame(frame: pd.DataFrame, target: Target = "csv") -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through
    :func:`safe_text`; numeric, date and boolean columns are left as they are."""
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: translated column labels may repeat
        s = out.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out.isetitem(i, safe_texts(s, target))
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


__all__ = ["FORMULA_STARTS", "safe_frame", "safe_text", "safe_texts", "text_not_formulas"]
