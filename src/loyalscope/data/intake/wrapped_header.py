"""A text file's header whose quoted cells hold line breaks (Excel's Alt+Enter), read as one record.

Excel users wrap long header cells with Alt+Enter, so CRM, shop and ERP exports often begin
``"订单<LF>编号",客户ID,下单时间,"实付<LF>金额"``: one header *record* over three physical
lines. The header is the first record, quote-aware:

- Line 1 is the header alone unless a quote at the start of one of its cells opens a quoted
  cell that the line does not close (every other file; a quote inside an unquoted cell, the
  inch mark of ``Size 12"``, is text, as Python's and Excel's CSV readers read it).
- Otherwise lines are joined until that cell closes (:func:`record_span`), up to
  :data:`MAX_LINES` lines; the joined text must parse as one CSV record (quotes around whole
  cells), and a cell holding a line break may hold the delimiter (``"金额<LF>(元, 含税)"``) only
  when the data lines that follow have as many cells as the header and none of its own later
  lines has nearly as many delimited parts as a row. Anything else is a quote
  opened in the header and never closed, or closed only by a quote in a later data line: a
  :class:`~loyalscope.errors.SchemaError` naming the file, line 1 and the fix, never a
  header that swallows data lines.

A header cell's line break (with the blanks around it) is read as nothing when the character
before or after it is wide (Chinese, Japanese, Korean, full-width punctuation ``（）：``), and
as one space between other characters (:func:`fold`): ``订单<LF>编号`` is ``订单编号``, ``Order<LF>ID``
``Order ID``, ``金额<LF>(元)`` ``金额(元)``, ``Amount<LF>(USD)`` ``Amount (USD)``. Header matching
compares headers without white space (``normalise_header``), so the rule only changes how a name
is shown. The data rows keep their physical line numbers (``Staged.header_end``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from loyalscope.errors import SchemaError
from loyalscope.i18n import t

MAX_LINES = 10
"""Most physical lines one header record may span (nine line breaks inside its cells)."""
_BREAK = re.compile(r"[^\S\r\n]*(?:\r\n|\r|\n)\s*")
_SHOWN = 40
"""Characters of a cell shown in an error."""
_START, _TEXT, _QUOTED, _QUOTE = range(4)
"""Where :func:`record_span` is: at a cell's start, in unquoted text, in a quoted cell, just
after a quote in a quoted cell (it closed the cell unless another quote follows)."""


@dataclass(frozen=True)
class WrappedHeader:
    """A header record over several physical lines.

    Attributes
    ----------
    names : tuple of str
        One name per cell, each line break folded (:func:`fold`), stripped.
    end : int
        The physical line the header ends on (its records start on the next).
    wrapped : tuple of str
        The names of the cells that held a line break, folded.
    """

    names: tuple[str, ...]
    end: int
    wrapped: tuple[str, ...]


def span(quotes: Iterable[int]) -> int | None:
    """How many of the first lines form the first record, judged from each line's count of
    quote characters alone (for bytes not yet decoded): 1 when line 1 holds an even number;
    else the first ``n`` whose total is even; None when no such ``n <= MAX_LINES`` exists (or
    the lines end first). :func:`record_span` also knows where a quote opens a cell."""
    total = 0
    for n, count in enumerate(quotes, start=1):
        total += count
        if total % 2 == 0:
            return n
        if n >= MAX_LINES:
            return None
    return None


def record_span(lines: Iterable[str], delim: str) -> int | None:
    """How many of the first ``lines`` (each with its line end) form the first CSV record: a
    quote opens a quoted cell only at the start of a cell (elsewhere it is text), and inside
    one a doubled quote is a quote; None when a cell opened in line 1 is still open after
    :data:`MAX_LINES` lines (or when the lines end first)."""
    state = _START
    for n, line in enumerate(lines, start=1):
        for ch in line:
            if state == _QUOTED:
                state = _QUOTE if ch == '"' else _QUOTED
            elif state == _QUOTE and ch == '"':
                state = _QUOTED  # a doubled quote: a quote in the cell
            elif ch == delim:
                state = _START
            elif state == _START and ch == '"':
                state = _QUOTED
            elif ch not in "\r\n":
                state = _TEXT
        if state != _QUOTED:
            return n
        if n >= MAX_LINES:
            return None
    return None


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def fold(cell: str) -> str:
    """``cell`` with each line break (and the blanks around it) read as nothing next to a wide
    character (Chinese text, full-width punctuation) and as one space elsewhere; stripped."""
    def join(m: re.Match[str]) -> str:
        before = cell[m.start() - 1] if m.start() > 0 else ""
        after = cell[m.end()] if m.end() < len(cell) else ""
        if not before or not after or _wide(before) or _wide(after):
            return ""
        return " "
    return _BREAK.sub(join, cell).strip()


def read(lines: Sequence[str], delim: str, source: str) -> WrappedHeader | None:
    """The header record of a text file from its first lines (each with its line end, as
    Python's universal newlines read them, at least :data:`MAX_LINES` where the file has them),
    or None when line 1 is the whole header.

    Raises
    ------
    SchemaError
        Line 1 opens a quoted cell that no later line closes within :data:`MAX_LINES` lines, or
        the record they form is no header (it does not parse, or a cell holding a line break
        holds the delimiter: data lines taken in).
    """
    n = record_span(lines, delim)
    if n == 1:
        return None
    if n is None:
        last = min(len(lines), MAX_LINES)
        raise SchemaError(t("data.intake.header_unclosed", name=source, lines=last),
                          file=source, row=1, fix=t("data.intake.header_quote_fix", name=source))
    text = "".join(lines[:n])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True))
    except csv.Error:
        rows = []
    cells = rows[0] if len(rows) == 1 else None
    bad = None if cells is not None else text
    for cell in cells or ():
        if "\n" in cell.replace("\r", "\n") and delim in cell:
            bad = cell
            break
    if cells is not None and bad is not None and _header_cell(bad, delim, len(cells)) \
            and _records_fit(lines[n:], delim, len(cells)):
        bad = None  # `"实付金额<LF>(元, 含税)"`: the data lines have as many cells as the header
    if bad is not None:
        shown = " ".join(bad.split())[:_SHOWN]
        raise SchemaError(t("data.intake.header_swallows", name=source, last=n,
                            cell=shown, delim=delim),
                          file=source, row=1, fix=t("data.intake.header_quote_fix", name=source))
    assert cells is not None
    names = tuple(fold(c) for c in cells)
    wrapped = tuple(f for c, f in zip(cells, names, strict=True) if "\n" in c or "\r" in c)
    return WrappedHeader(names, n, wrapped)


def _header_cell(cell: str, delim: str, width: int) -> bool:
    """Whether a header cell holding a line break and the delimiter may be one: none of its
    lines after the first has as many delimited parts as a row nearly has (``width - 1``, at
    least 3), as a data line a stray quote took in would."""
    later = _BREAK.split(cell)[1:]
    return all(len(line.split(delim)) < max(3, width - 1) for line in later)


def _records_fit(lines: Sequence[str], delim: str, width: int) -> bool:
    """Whether the records of ``lines`` (the file's lines after a header record, as many as were
    read) each have ``width`` cells: at least one, the last left out when more follow it (the
    lines read may cut it). A header cell holding a line break and the delimiter is a header
    cell when they do; a quote that took data lines into the header leaves them another count."""
    try:
        rows = [r for r in csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delim) if r]
    except csv.Error:
        return False
    rows = rows[:-1] if len(rows) > 1 else rows
    return bool(rows) and all(len(r) == width for r in rows)


def folded(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Spreadsheet header cells: each with its line breaks folded (:func:`fold`), and the
    folded names of those that held one."""
    out = [fold(n) if "\n" in n or "\r" in n else n for n in names]
    return out, [f for n, f in zip(names, out, strict=True) if "\n" in n or "\r" in n]


def note(header: WrappedHeader) -> str:
    """The load note: the header's lines, the cells that held line breaks, the first data line."""
    return t("data.intake.note_wrapped_header", lines=f"1-{header.end}",
             names=", ".join(f"'{n}'" for n in header.wrapped), first=header.end + 1)


__all__ = ["MAX_LINES", "WrappedHeader", "fold", "folded", "note", "read", "record_span", "span"]
