"""Data-quality bookkeeping: per-table counts, the mapping used, and the quarantine.

Invariant (tested): for every table, ``rows_read == rows_accepted + rows_quarantined``.
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
``empty_row``, ``malformed_line``); ``detail`` is a human sentence."""


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
    encoding: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    """Per source file (sheet, archive member): format, encoding, confidence, evidence and
    undecodable lines (see :func:`loyalscope.data.intake.stage`)."""
    joins: list[dict[str, Any]] = field(default_factory=list)
    """Joins of this table on a related export: key, rows matched, rows not matched."""
    statuses: list[dict[str, Any]] = field(default_factory=list)
    """Order status values seen: value, class (sale, cancelled ...), orders."""

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
            "files": list(self.files),
            "joins": list(self.joins),
            "statuses": list(self.statuses),
        }


@dataclass
class QualityReport:
    """The data-quality report of a whole import."""

    tables: dict[str, TableReport] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS)
    )
    orders: dict[str, Any] = field(default_factory=dict)
    """Order-level figures made by ``data.shapes``: orders, sale orders, guests, gross and net
    revenue, returns."""
    unused: list[dict[str, str]] = field(default_factory=list)
    """Files (or related tables) read but not used, each with the reason."""
    no_customer_reason: str | None = None
    """Set when the data has no customer id at all: why customer sections are skipped."""

    def to_dict(self) -> dict[str, Any]:
        return {name: rep.to_dict() for name, rep in self.tables.items()}

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.tables.values())
