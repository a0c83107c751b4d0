"""Survey tools whose header spans several rows: SurveyMonkey (two) and Qualtrics (three).

Only these exact, documented shapes are taken for header rows; a row that merely holds text is
never one:

**SurveyMonkey** ("All individual responses", CSV or XLSX). Row 1 names ``Respondent ID`` and
``Collector ID`` (with ``Start Date, End Date, IP Address, Email Address, First Name, Last Name,
Custom Data 1``) and then the questions, a multi-column question's text above its first column
only. Row 2 is its label row when it is blank under every one of those metadata columns (a
response always has its respondent and collector ids), holds at least one of SurveyMonkey's
labels (:data:`SM_LABELS`), and under a question of one column holds nothing but such a label
(the options and matrix rows of a multi-column question may be any text). Each column is named
by its question (carried over the blank row-1 cells after it), joined with its row-2 label by
``" - "`` unless that label is ``Response``: ``How likely are you to do each of the following? -
Buy from Acme again``.

**Qualtrics** (CSV / XLSX export). Row 1 its ids (``StartDate ... ResponseId ... Q1, Q3_1``),
row 2 the question texts, row 3 the import ids: row 3 is one only when every non-empty cell is
a JSON object with an ``ImportId`` key (``{"ImportId":"QID1"}``,
``{"ImportId":"startDate","timeZone":"America/Denver"}``) and at least half its cells are. Each
column is named by its row-2 text (its id where that is empty; an NPS question's derived group
column ``Q1_NPS_GROUP`` by its id, see :func:`_nps_group`); the ids are kept in the note.

White space in a name (a question's line break) becomes one space. The header rows are said in
a note; the data rows keep the file's own line numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from loyalscope.i18n import t

SM_META = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
           "Email Address", "First Name", "Last Name")
"""SurveyMonkey's metadata columns (``Custom Data <n>`` too): blank in its label row."""
SM_LABELS = ("Response", "Open-Ended Response", "Other (please specify)")
"""What SurveyMonkey writes in row 2 under a question of one column."""
_CUSTOM = re.compile(r"^Custom Data \d+$")
_SPACE = re.compile(r"\s+")
_SHOWN_IDS = 8
"""Qualtrics ids listed in the note (then "...")."""

Tool = Literal["surveymonkey", "qualtrics"]


@dataclass(frozen=True)
class SurveyHeader:
    """A header of several rows, combined.

    Attributes
    ----------
    tool : "surveymonkey" or "qualtrics"
    rows : int
        Rows the header spans (2 or 3), from the first.
    names : tuple of str
        One name per column (an empty name stays empty: the reader names it).
    ids : tuple of str
        Qualtrics: row 1's ids, for reference; SurveyMonkey: empty.
    """

    tool: Tool
    rows: int
    names: tuple[str, ...]
    ids: tuple[str, ...] = ()


def _cells(row: Sequence[object], width: int) -> list[str]:
    """``row`` as ``width`` stripped texts (missing and empty cells are ``""``)."""
    out = ["" if v is None else str(v).strip() for v in row[:width]]
    return out + [""] * (width - len(out))


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def detect(rows: Sequence[Sequence[object]]) -> SurveyHeader | None:
    """The multi-row header starting at ``rows[0]`` (the first rows of a file or sheet, cells as
    text or None), or None when the rows are not of a shape of the module docstring."""
    if len(rows) < 2:
        return None
    return _surveymonkey(rows[0], rows[1]) or (_qualtrics(rows[:3]) if len(rows) >= 3 else None)


def _is_meta(name: str) -> bool:
    return name in SM_META or bool(_CUSTOM.match(name))


def _surveymonkey(first: Sequence[object], second: Sequence[object]) -> SurveyHeader | None:
    width = len(first)
    if len(second) > width:
        return None
    top, labels = _cells(first, width), _cells(second, width)
    if not {"Respondent ID", "Collector ID"} <= set(top):
        return None
    if any(labels[j] for j in range(width) if _is_meta(top[j])):
        return None
    if not any(v in SM_LABELS for v in labels):
        return None
    for j, label in enumerate(labels):
        single = bool(top[j]) and (j + 1 == width or bool(top[j + 1]))
        if label and single and label not in SM_LABELS:
            return None
        if label and not top[j] and not any(top[:j]):
            return None  # a label under no question
    names: list[str] = []
    carried = ""
    for j in range(width):
        carried = _clean(top[j]) or carried
        label = _clean(labels[j])
        names.append(f"{carried} - {label}" if label and label != "Response" else carried)
    return SurveyHeader("surveymonkey", 2, tuple(names))


def _import_id(cell: str) -> bool:
    """Whether ``cell`` is a Qualtrics import id: a JSON object with an ``ImportId`` key."""
    if not (cell.startswith("{") and cell.endswith("}")):
        return False
    try:
        obj = json.loads(cell)
    except ValueError:
        return False
    return isinstance(obj, dict) and isinstance(obj.get("ImportId"), str)


def _qualtrics(rows: Sequence[Sequence[object]]) -> SurveyHeader | None:
    width = len(rows[0])
    if any(len(r) > width for r in rows[1:3]):
        return None
    ids, texts, imports = (_cells(r, width) for r in rows[:3])
    filled = [c for c in imports if c]
    if not filled or 2 * len(filled) < width or not all(_import_id(c) for c in filled):
        return None
    names = tuple(_clean(id_) if _nps_group(id_, imp) else _clean(text) or _clean(id_)
                  for id_, text, imp in zip(ids, texts, imports, strict=True))
    return SurveyHeader("qualtrics", 3, names, tuple(ids))


def _nps_group(id_: str, import_id: str) -> bool:
    """Whether a Qualtrics column is the NPS group it derives from an NPS question (``Q1_NPS_GROUP``,
    import id ``QID1_NPS_GROUP``: 1 detractor, 2 passive, 3 promoter), whose row-2 text repeats
    the question's: named by its id, it does not take the question's name (both would be the
    answers to "How likely are you to recommend ...?", and neither was read)."""
    ref = str(json.loads(import_id).get("ImportId", "")) if _import_id(import_id) else ""
    return any(x.upper().endswith("_NPS_GROUP") for x in (id_, ref))


def note(header: SurveyHeader, lines: str) -> str:
    """The load note saying which lines were the header and how the columns are named; ``lines``
    is the span of the header's lines (``1-2``, ``1-3``; a line break inside a quoted question
    makes it longer)."""
    if header.tool == "surveymonkey":
        example = next((n for n in header.names if " - " in n), header.names[-1])
        return t("data.intake.note_surveymonkey", lines=lines, example=example)
    pairs = [f"{i} = '{n}'" for i, n in zip(header.ids, header.names, strict=True)
             if i and _squeezed(i) != _squeezed(n)]
    shown = "; ".join(pairs[:_SHOWN_IDS]) + ("; ..." if len(pairs) > _SHOWN_IDS else "")
    return t("data.intake.note_qualtrics", lines=lines, ids=shown or "-")


def _squeezed(text: str) -> str:
    """``text`` without white space, case folded: ``ResponseId`` is ``Response ID``."""
    return _SPACE.sub("", text).casefold()


def line_span(first: int, last: int) -> str:
    """``"1-2"``, or ``"2"`` for one line."""
    return str(first) if first == last else f"{first}-{last}"


__all__ = ["SM_LABELS", "SM_META", "SurveyHeader", "detect", "line_span", "note"]
