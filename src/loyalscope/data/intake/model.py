"""What staging hands to the engine readers: :class:`Staged` files and :class:`EncodingDecision`.

This is interface 1 between the intake (this package) and the engine readers
(``loyalscope.data.sources``); see ``stage`` in ``__init__.py`` for the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

StagedFormat = Literal["csv", "parquet", "jsonl"]

LINE_COLUMN = "_line"
"""Column of staged Parquet files holding the 1-based line / row number in the original file."""


@dataclass(frozen=True)
class EncodingDecision:
    """How a text file was decoded, and why.

    Attributes
    ----------
    name : str
        Python codec name: ``utf-8``, ``utf-8-sig``, ``gb18030``, ``big5``, ``utf-16-le``,
        ``utf-16-be``, ``cp1252`` or ``latin-1`` (or the codec forced by ``[data] encoding``).
    confidence : float
        0-1. 1.0 for a byte-order mark, strict UTF-8, pure ASCII or a forced encoding; otherwise
        the plausibility score of the winner times its lead over the runner-up (see
        :func:`loyalscope.data.intake.encoding.decide`).
    evidence : str
        One translated sentence saying what decided it ("byte-order mark EF BB BF",
        "GB18030: 98% of 4,211 CJK characters common; Big5: 41%").
    undecodable_lines : tuple of int
        1-based physical lines holding bytes that are invalid in ``name``; these lines are in
        the staged file's ``bad_lines`` (reason ``undecodable``).
    forced : bool
        True when ``[data] encoding`` named it.
    """

    name: str
    confidence: float
    evidence: str
    undecodable_lines: tuple[int, ...] = ()
    forced: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "confidence": round(self.confidence, 3),
                "evidence": self.evidence, "undecodable_lines": len(self.undecodable_lines),
                "forced": self.forced}


BadLine = tuple[int, str, str]
"""``(line, reason code, detail)``: ``line`` is the first 1-based line of the bad record."""


@dataclass(frozen=True)
class Staged:
    """One user file (or sheet, or archive member) made readable by an engine reader.

    Attributes
    ----------
    source : str
        What the user gave: ``orders.csv``, ``x.xlsx!Sheet2``, ``a.zip!orders.csv``.
    path : Path
        The file for the engine: a UTF-8 CSV (line numbers equal the original's), a Parquet file
        (for spreadsheets and JSON: all columns strings, plus :data:`LINE_COLUMN`; for user
        Parquet files: the file itself, typed) or a JSON Lines file (UTF-8).
    format : "csv", "parquet" or "jsonl"
    encoding : EncodingDecision or None
        For text sources; None for spreadsheets and Parquet.
    bad_lines : tuple of (line, reason, detail)
        Records already known bad. In a staged CSV these lines are still present (undecodable
        bytes shown as U+FFFD, NUL bytes removed): the engine quarantines the record that holds
        each listed line, with this reason. In staged Parquet / JSON Lines files these records
        are *absent*: the engine adds them to the quarantine as they are, so that
        ``rows read = records in path + len(bad_lines)``.
    notes : tuple of str
        Translated notes for the quality report ("sheet 'Data' read; 'Notes' not read: no
        header row", "title rows 1-2 skipped", "总计 row 120 excluded").
    line_column : str or None
        For staged Parquet / JSON Lines: the column holding each record's 1-based original line
        (row) number. None for CSV (the engine counts lines) and for user Parquet files.
    sheet : str or None
        The sheet name for spreadsheets (also in ``source`` after ``!``).
    member : str or None
        The archive member name for files inside a .zip / .gz (also in ``source``).
    rows_excluded : int
        Rows of the original that are not records and not quarantined (title rows above the
        header, a total row at the bottom): each is described in ``notes``.
    line_ends : (int, int, int) or None
        For a staged CSV, its counts of CR, CRLF and LF when staging counted them (the pass
        over the file already reads every byte); None otherwise.
    header_added : bool
        For a staged CSV: its first line is the header named in ``[data.columns]`` for a file
        without one, not a line of the user's file (the lines are numbered from 0, so that the
        user's keep their numbers).
    header : tuple of str or None
        For a staged CSV whose header spans several rows (a SurveyMonkey or Qualtrics export,
        :mod:`loyalscope.data.intake.survey_header`) or several lines (quoted header cells
        holding line breaks, :mod:`loyalscope.data.intake.wrapped_header`): one name per
        column, combined from them; None when the file's line 1 names its columns.
    header_end : int
        For a staged CSV: the last physical line of its header (1; more for a header of several
        rows, or one whose quoted cells hold line breaks). Its records start after it and
        keep the file's line numbers.
    """

    source: str
    path: Path
    format: StagedFormat
    encoding: EncodingDecision | None = None
    bad_lines: tuple[BadLine, ...] = ()
    notes: tuple[str, ...] = ()
    line_column: str | None = None
    sheet: str | None = None
    member: str | None = None
    rows_excluded: int = 0
    line_ends: tuple[int, int, int] | None = None
    header_added: bool = False
    header: tuple[str, ...] | None = None
    header_end: int = 1

    @property
    def name(self) -> str:
        """The file / member / sheet name that says which table this is (no archive suffix)."""
        base = self.member or Path(self.source.split("!", 1)[0]).name
        for suffix in (".gz", ".gzip"):
            if base.lower().endswith(suffix):
                base = base[: -len(suffix)]
        return base


@dataclass(frozen=True)
class Unused:
    """A file of a folder (or member of an archive) that is not read, and why."""

    source: str
    reason: str
    """Translated sentence."""


__all__ = ["LINE_COLUMN", "BadLine", "EncodingDecision", "Staged", "StagedFormat", "Unused"]
