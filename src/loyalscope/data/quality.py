"""Data-quality bookkeeping: per-table counts, the mapping used, and the quarantine.

Invariants (tested): for every table, ``rows_read == rows_accepted + rows_quarantined``, where
``rows_read`` counts records; for text files ``lines_read`` counts the physical lines after the
header, counted by the engine independently of the records, and each record covers a line range
(a record with a quoted line break in a free-text column covers several: ``multiline_records``).

The quarantine is a table on the engine (``quarantine_table``); ``quarantine`` is the same
rows as a pandas frame (read once, when asked for).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

QUARANTINE_COLUMNS = ["table", "source_file", "line", "column", "value", "reason", "detail"]
"""Columns of the quarantine table. ``line`` is the 1-based line in the source file (header = 1)
for text files, the 1-based data row number otherwise. ``reason`` is a stable code
(``missing_required``, ``unparseable``, ``duplicate_key``, ``future_date``, ``negative_amount``,
``empty_row``, ``malformed_line``, ``unbalanced_quote``, ``separator_in_value``, ``out_of_range``,
``wrong_type``, ``conflicting_values``: the lines of one order name different customers); ``detail`` is a human sentence (a record spanning lines names its range)."""


class Note(str):
    """A loader's note about a table: its text and the source (a file, a sheet) it is about.

    It is the sentence ``"<source>: <text>"`` (``text`` alone without a source) wherever a
    string is read (``validate``'s listing, ``quality.json``), while the report's data section
    reads ``source`` and ``text`` apart, instead of cutting a file name back off the sentence
    (a file name may itself hold ``": "``).
    """

    source: str
    text: str

    def __new__(cls, source: str, text: str) -> Note:
        note = super().__new__(cls, f"{source}: {text}" if source else text)
        note.source = source
        note.text = text
        return note

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # pickled and copied whole
        return self.source, self.text


@dataclass
class TableReport:
    """What happened to one canonical table on import."""

    table: str
    sources: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    """canonical column -> source header"""
    reasons: Counter[str] = field(default_factory=Counter)
    orphans: int = 0
    """Rows accepted whose customer_id is absent from ``customers``."""
    notes: list[str] = field(default_factory=list)
    """What the loader judged or assumed (:class:`Note` when it names its source)."""
    encoding: str | None = None
    lines_read: int | None = None
    """Physical lines after the header in the text sources (None: no text source)."""
    multiline_records: int = 0
    """Accepted records spanning several lines (a quoted line break in a free-text column)."""
    files: list[dict[str, Any]] = field(default_factory=list)
    """Per source file (sheet, archive member): format, encoding, confidence, evidence and
    undecodable lines (see :func:`loyalscope.data.intake.stage`)."""
    joins: list[dict[str, Any]] = field(default_factory=list)
    """Joins of this table on a related export: key, rows matched, rows not matched."""
    statuses: list[dict[str, Any]] = field(default_factory=list)
    """Order status values seen: value, class (sale, cancelled ...), orders."""
    answer_scales: dict[str, str] = field(default_factory=dict)
    """Survey columns whose answers' form set their scale (yes / no intents and csat: ``0-1``)."""
    unused_columns: list[dict[str, Any]] = field(default_factory=list)
    """Per source with columns that no canonical column took: ``source`` and ``columns`` (read,
    and used by no number: a column the analysis could use needs a ``[mapping.<table>]`` line)."""

    def check_invariant(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_quarantined

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "sources": list(self.sources),
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "mapping": dict(self.mapping),
            "quarantine_reasons": dict(self.reasons),
            "orphans": self.orphans,
            "notes": list(self.notes),
            "encoding": self.encoding,
            "lines_read": self.lines_read,
            "multiline_records": self.multiline_records,
            "files": list(self.files),
            "joins": list(self.joins),
            "statuses": list(self.statuses),
            "unused_columns": list(self.unused_columns),
            "answer_scales": dict(self.answer_scales),
        }


class QualityReport:
    """The data-quality report of a whole import: per-table reports and the quarantine, a
    table on the engine (``quarantine_table``) or a frame."""

    def __init__(self, tables: dict[str, TableReport] | None = None,
                 quarantine: pd.DataFrame | Any = None) -> None:
        self.tables: dict[str, TableReport] = dict(tables or {})
        self.quarantine_table: Any = None
        self._frame: pd.DataFrame | None = None
        if isinstance(quarantine, pd.DataFrame):
            self._frame = quarantine[QUARANTINE_COLUMNS]
        elif quarantine is not None:
            self.quarantine_table = quarantine
        self.orders: dict[str, Any] = {}
        """Order-level figures made by ``data.shapes``: orders, sale orders, guests, gross and
        net revenue, returns."""
        self.unused: list[dict[str, str]] = []
        """Files (or related tables) read but not used, each with the reason."""
        self.no_customer_reason: str | None = None
        """Set when the data has no customer id at all: why customer sections are skipped."""

    @property
    def quarantine(self) -> pd.DataFrame:
        """The quarantined rows as a frame, sorted by table, file and line."""
        if self._frame is None:
            if self.quarantine_table is None:
                self._frame = pd.DataFrame(columns=QUARANTINE_COLUMNS)
            else:
                q = self.quarantine_table
                df = q.order_by([q.table, q.source_file, q.line]).to_pandas()
                df["line"] = df["line"].astype("int64")
                self._frame = df[QUARANTINE_COLUMNS]
        return self._frame

    def to_dict(self) -> dict[str, Any]:
        return {name: rep.to_dict() for name, rep in self.tables.items()}

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.tables.values())
