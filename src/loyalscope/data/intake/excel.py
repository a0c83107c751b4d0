"""Staging spreadsheets (.xlsx, .xlsm, .xls, .xlsb, .ods) through python-calamine.

One reader for every format (calamine, in Rust; see ``benchmarks/bench_excel.py`` for the
figures against openpyxl). Every visible worksheet is considered; hidden and very hidden
sheets, chart and macro sheets are skipped and noted. In each sheet the header row is found
below any title rows and a total row at the bottom is excluded (:mod:`.sheet_layout`); a
SurveyMonkey or Qualtrics export's header of two or three rows is read as one
(:mod:`.survey_header`); a header cell's line breaks (Excel's Alt+Enter) are folded as a text
file's are (:mod:`.wrapped_header`). Each sheet holding a table becomes a Parquet file of string
columns plus ``_line``, the sheet row number (row 1 = the sheet's first row), written in batches
of ``BATCH`` rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import sheet_layout as layout
from loyalscope.data.intake import survey_header, wrapped_header
from loyalscope.data.intake.limits import Limits, scan_xlsx, too_big, too_many_cells
from loyalscope.data.intake.model import LINE_COLUMN, Staged
from loyalscope.data.intake.workdir import new_path
from loyalscope.errors import SchemaError
from loyalscope.i18n import t
from loyalscope.report.xlsx_rows import column_letter

BATCH = 50_000
_TAIL = 8


def _open(path: Path, source: str, limits: Limits) -> Any:
    import python_calamine as pc

    low = path.name.lower()
    if low.endswith((".xlsx", ".xlsm")):
        scan_xlsx(path, source, limits)
    elif path.stat().st_size > limits.bytes:
        raise too_big(source, path.stat().st_size, limits)
    try:
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise SchemaError(t("data.intake.encrypted", name=source), file=source,
                          fix=t("data.intake.encrypted_fix")) from exc
    except Exception as exc:  # calamine raises its own errors and ValueError for junk
        raise SchemaError(t("data.intake.corrupt", name=source, error=str(exc)[:200]),
                          file=source, fix=t("data.intake.corrupt_fix")) from exc


def stage_excel(path: Path, source: str, config: AnalysisConfig, folder: Path | None = None,
                member: str | None = None) -> list[Staged]:
    """Stage every visible sheet of the workbook ``path`` that holds a table (best first)."""
    import python_calamine as pc

    limits = Limits.of(config)
    book = _open(path, source, limits)
    notes: list[str] = []
    found: list[tuple[tuple[int, int], Staged]] = []
    try:
        for meta in book.sheets_metadata:
            if meta.visible != pc.SheetVisibleEnum.Visible:
                notes.append(t("data.intake.sheet_hidden", sheet=meta.name))
                continue
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                notes.append(t("data.intake.sheet_not_table", sheet=meta.name))
                continue
            try:
                sheet = book.get_sheet_by_name(meta.name)
            except Exception as exc:
                raise SchemaError(t("data.intake.corrupt", name=f"{source}!{meta.name}",
                                    error=str(exc)[:200]),
                                  file=source, fix=t("data.intake.corrupt_fix")) from exc
            if sheet.height * sheet.width > limits.cells:
                raise too_many_cells(f"{source}!{meta.name}", sheet.height * sheet.width, limits)
            staged = _stage_sheet(sheet, f"{source}!{meta.name}", meta.name, folder, member)
            if staged is None or staged[0] == (0, 0):  # no header, or one title cell alone
                notes.append(t("data.intake.sheet_no_header", sheet=meta.name))
            else:
                found.append(staged)
    finally:
        book.close()
    if not found:
        raise SchemaError(t("data.intake.no_table", name=source), file=source,
                          fix=t("data.intake.no_table_fix"))
    found.sort(key=lambda item: (-item[0][0], -item[0][1]))
    best = found[0][1]
    others = [s.sheet for _, s in found[1:]]
    head = [t("data.intake.sheet_read", sheet=best.sheet)]
    if others:
        head.append(t("data.intake.sheet_others", sheets=", ".join(f"'{s}'" for s in others)))
    first = Staged(best.source, best.path, best.format, None, best.bad_lines,
                   (*head, *notes, *best.notes), best.line_column, best.sheet, best.member,
                   best.rows_excluded)
    return [first, *(s for _, s in found[1:])]


def _stage_sheet(sheet: Any, source: str, name: str, folder: Path | None,
                 member: str | None) -> tuple[tuple[int, int], Staged] | None:
    rows = sheet.iter_rows()
    head = list(islice(rows, layout.HEAD_ROWS))
    h = layout.find_header(head)
    if h is None:
        return None
    col0 = sheet.start[1] if sheet.start else 0
    notes: list[str] = []
    h, extra = _survey_header(head, h, notes)
    header = list(head[h]) if extra is None else list(extra.names)
    names = _names(header, col0, notes)
    above = [i for i in range(h) if layout.nonempty(head[i])]
    if above:
        first_text = next(layout.cell_text(v) for v in head[above[0]] if layout.cell_text(v))
        notes.append(t("data.intake.title_rows", rows=_span(above), text=str(first_text)[:60]))
    dest = new_path(folder, name, ".parquet")
    schema = pa.schema([(n, pa.string()) for n in names] + [(LINE_COLUMN, pa.int64())])
    spans = 1 if extra is None else extra.rows
    body = _numbered(head[h + spans:], rows, h + spans + 1)
    written = 0
    excluded = len(above) + spans - 1
    with pq.ParquetWriter(dest, schema) as writer:
        for batch, total_row in _batches(body, len(names)):
            if batch:
                writer.write_table(_table(batch, names, schema))
                written += len(batch)
            if total_row is not None:
                excluded += 1
                notes.append(t("data.intake.total_row", row=total_row[0],
                               text=str(layout.cell_text(next(v for v in total_row[1]
                                                              if layout.cell_text(v))))[:40]))
    score = (layout.known_count(header), written)
    return score, Staged(source, dest, "parquet", None, (), tuple(notes), LINE_COLUMN, name,
                         member, excluded)


def _survey_header(head: list[Sequence[Any]], h: int,
                   notes: list[str]) -> tuple[int, survey_header.SurveyHeader | None]:
    """The header row and, for a SurveyMonkey or Qualtrics export, its header of several rows
    combined (a note said in ``notes``). The header row found may be a Qualtrics export's
    second (its question texts name as many known columns as its ids): its first is then the
    row above."""
    for start in (h - 1, h) if h > 0 else (h,):
        rows = [[layout.cell_text(v) for v in r] for r in head[start:start + 3]]
        found = survey_header.detect(rows)
        if found is not None:
            span = survey_header.line_span(start + 1, start + found.rows)
            notes.append(survey_header.note(found, span))
            return start, found
    return h, None


def _numbered(first: Sequence[Sequence[Any]], rest: Iterator[Sequence[Any]],
              start: int) -> Iterator[tuple[int, Sequence[Any]]]:
    n = start
    for row in first:
        yield n, row
        n += 1
    for row in rest:
        yield n, row
        n += 1


def _batches(body: Iterator[tuple[int, Sequence[Any]]], width: int,
             ) -> Iterator[tuple[list[tuple[int, Sequence[Any]]], tuple[int, Sequence[Any]] | None]]:
    """Non-empty rows in batches; the last non-empty row is held back to test it for a total."""
    tail: deque[tuple[int, Sequence[Any]]] = deque()
    batch: list[tuple[int, Sequence[Any]]] = []
    for item in body:
        if not any(v != "" for v in item[1]) or not layout.nonempty(item[1]):
            continue
        tail.append(item)
        if len(tail) > _TAIL:
            batch.append(tail.popleft())
        if len(batch) >= BATCH:
            yield batch, None
            batch = []
    total = tail.pop() if tail and layout.is_total(tail[-1][1]) else None
    batch.extend(tail)
    yield batch, total


def _table(batch: list[tuple[int, Sequence[Any]]], names: list[str], schema: pa.Schema) -> pa.Table:
    cols: list[list[str | None]] = [[] for _ in names]
    lines = []
    width = len(names)
    text = layout.cell_text
    for line, row in batch:
        lines.append(line)
        for j in range(min(width, len(row))):
            v = row[j]
            cols[j].append(v if type(v) is str and v else text(v))
        for j in range(len(row), width):
            cols[j].append(None)
    arrays = [pa.array(c, type=pa.string()) for c in cols] + [pa.array(lines, type=pa.int64())]
    return pa.Table.from_arrays(arrays, schema=schema)


def _names(header: list[Any], col0: int, notes: list[str]) -> list[str]:
    """Column names from the header cells: a cell's line breaks folded
    (:func:`.wrapped_header.fold`, with a note), empty cells named by their column letter,
    repeated names numbered."""
    out: list[str] = []
    seen: dict[str, int] = {LINE_COLUMN: 0}
    unnamed = []
    cells, wrapped = wrapped_header.folded([(layout.cell_text(v) or "").strip() for v in header])
    if wrapped:
        notes.append(t("data.intake.note_wrapped_cells", names=", ".join(f"'{n}'" for n in wrapped)))
    for j, text in enumerate(cells):
        if not text:
            text = f"column_{column_letter(col0 + j)}"
            unnamed.append(column_letter(col0 + j))
        if text in seen:
            seen[text] += 1
            text = f"{text}.{seen[text]}"
        seen.setdefault(text, 0)
        out.append(text)
    if unnamed:
        notes.append(t("data.intake.unnamed_columns", columns=", ".join(unnamed)))
    return out


def _span(rows: list[int]) -> str:
    first, last = rows[0] + 1, rows[-1] + 1
    return str(first) if first == last else f"{first}-{last}"
