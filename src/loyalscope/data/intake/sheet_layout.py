"""Where the table is in a sheet as Chinese (and other) systems export it.

- **Header row**: among the first ``HEAD_ROWS`` rows, the row naming the most known column
  names (any alias of :mod:`loyalscope.data.mapping`); when none names one, the first row with
  at least two text cells that is at least ``WIDE`` as wide as the widest of those rows. Rows
  above it (report titles such as "2024年1月订单明细", "导出时间: ...") are skipped and noted.
- **Total row**: the last non-empty row is a total when one of its first three non-empty cells
  reads 合计 / 总计 / 小计 / 共计 / 汇总 (optionally followed by text) or Total / Grand total /
  Sum / Subtotal; it is excluded and noted, never read as a customer's order.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any

HEAD_ROWS = 30
WIDE = 0.6
_TOTAL_ZH = re.compile(r"^(合计|总计|小计|共计|汇总|總計|合計|小計)")
_TOTAL_EN = frozenset({"total", "totals", "grandtotal", "sum", "subtotal", "total:"})


def cell_text(v: Any) -> str | None:
    """A cell as the string a text file would hold (None for an empty cell)."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


@cache
def _known() -> frozenset[str]:
    from loyalscope.data import mapping, schema

    out: set[str] = set()
    for table in schema.TABLE_NAMES:
        for col in schema.table(table).columns:
            out.update(mapping.normalise_header(a) for a in mapping.aliases(table, col.name))
    return frozenset(out)


def known_count(row: Sequence[Any]) -> int:
    """How many cells of ``row`` are known column names."""
    from loyalscope.data.mapping import normalise_header

    known = _known()
    return sum(1 for v in row if isinstance(v, str) and v.strip() and normalise_header(v) in known)


def _texts(row: Sequence[Any]) -> int:
    return sum(1 for v in row if isinstance(v, str) and v.strip() and not _numeric(v))


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\s\d.,:/\-+年月日]+", text))


def nonempty(row: Sequence[Any]) -> int:
    """Non-empty cells of ``row`` (blank text counts as empty)."""
    return sum(1 for v in row if v != "" and v is not None and (type(v) is not str or v.strip()))


def find_header(rows: Sequence[Sequence[Any]]) -> int | None:
    """Index of the header row in ``rows`` (the first rows of a sheet), or None."""
    head = list(rows[:HEAD_ROWS])
    if not head:
        return None
    counts = [known_count(r) for r in head]
    best = max(counts)
    if best > 0:
        return counts.index(best)
    widest = max(nonempty(r) for r in head)
    for i, row in enumerate(head):
        n = nonempty(row)
        if n and _texts(row) >= min(2, widest) and n >= WIDE * widest:
            return i
    return None


def is_total(row: Sequence[Any]) -> bool:
    """Whether ``row`` is a total / subtotal line."""
    seen = 0
    for v in row:
        text = cell_text(v)
        if text is None or not text.strip():
            continue
        norm = unicodedata.normalize("NFKC", text).strip()
        if _TOTAL_ZH.match(norm) or re.sub(r"\s+", "", norm).casefold() in _TOTAL_EN:
            return True
        seen += 1
        if seen == 3:
            break
    return False
