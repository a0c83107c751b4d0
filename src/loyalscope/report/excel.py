"""Excel workbook of an Analysis, one an analyst keeps.

Sheets, in order: the summary (findings, ranked actions, value at stake), every headline number
with its definition, one sheet per recommended action with its target customers (ids ready for a
CRM import), the headline trends with native Excel line charts, every table of the report, the
scored customers (the :data:`MAX_CUSTOMER_ROWS` of highest value; a caption above the header says
how many of how many, in which order, and that every customer is in ``customers.csv`` and
``customers.parquet``) and the quarantined rows (first 100,000; all in ``quarantine.csv``).

Sheets, formats, captions, widths, frozen panes, filters and charts are written by xlsxwriter
(in memory: they are small); the data rows of every table are streamed by
:mod:`loyalscope.report.xlsx_rows` (~0.3 µs per cell instead of ~10; memory bounded by one
chunk of rows) and spliced into their sheets. Every sheet has units in its headers, number
formats (percent, currency, thousands), a frozen header row, a filter and fitted column widths;
numbers are rounded to their unit's precision (no float noise); every text cell passes through
:func:`loyalscope.report.cells.safe_text` for xlsx (control characters escaped) and is written
as an inline string, never as a formula (formula injection).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from loyalscope.i18n import has_key, normalise_lang, t
from loyalscope.report import customer_columns as cc
from loyalscope.report import xlsx_rows as xr
from loyalscope.report.cells import safe_text, safe_texts
from loyalscope.report.format import (
    column_unit,
    display_label,
    fmt_period,
    render_kw,
    render_value,
    table_header,
)
from loyalscope.results import Chart, Number, Phrase, Table, Text

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis

MAX_CUSTOMER_ROWS = 20_000
"""Rows of the customer sheet: the customers of highest value (:data:`ORDER_BY`); every customer is
in customers.csv and customers.parquet (the caption above the header says so). The cap keeps a
1M-customer analysis's workbook small and quick to open in a spreadsheet program."""
MAX_TARGET_ROWS = 100_000
"""Rows of a target-list sheet (the CSV in targets/ always holds the whole list)."""
MAX_WIDTH = 60
FORMATS = {"percent": "0.0%", "share": "0.0%", "currency": "#,##0.00", "count": "#,##0",
           "days": "#,##0.0", "hours": "#,##0.0", "weeks": "#,##0.0", "score": "0.00", "ratio": "0.00",
           "points": "0.0", "pp": "+0.0%;-0.0%", "float": "#,##0.00", "int": "#,##0"}


def clean_number(value: Any, unit: str | None) -> float | int | None:
    """A finite number rounded to its unit's precision (no 3367456.730000006), else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    if unit == "currency":
        return round(v, 2)
    if unit in ("percent", "share", "pp"):
        return round(v, 6)
    if v.is_integer() and abs(v) < 2**53:
        return int(v)
    return float(f"{v:.10g}")


class _Book:
    """Sheet names, cell formats and width bookkeeping of one workbook; data rows of
    :meth:`frame` are streamed by :mod:`loyalscope.report.xlsx_rows` and spliced in at
    :meth:`close`."""

    def __init__(self, path: Path, lang: str) -> None:
        self.lang = lang
        self.path = path
        # the bulk of the cells is streamed (xlsx_rows), so xlsxwriter keeps its small rest in memory:
        # no temporary file per sheet; the zip is rewritten with the rows at close
        self.buffer = io.BytesIO()
        self.wb: Workbook = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                             "strings_to_urls": False, "nan_inf_to_errors": False})
        self.used: set[str] = set()
        self.header = self.wb.add_format({"bold": True, "bg_color": "#EEF3F7", "bottom": 1, "text_wrap": True,
                                          "valign": "top"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.bold = self.wb.add_format({"bold": True})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.note = self.wb.add_format({"italic": True, "font_color": "#5D6B79"})
        self.fmt = {k: self.wb.add_format({"num_format": v}) for k, v in FORMATS.items()}
        self.rows_dir = Path(tempfile.mkdtemp(prefix=".rows-", dir=path.parent))
        self.parts: list[xr.SheetRows] = []

    def close(self) -> None:
        """Close the workbook and splice the streamed rows into their sheets."""
        try:
            self.wb.close()
            xr.splice(self.buffer, self.path, self.parts)
        finally:
            shutil.rmtree(self.rows_dir, ignore_errors=True)

    def sheet(self, name: str) -> Worksheet:
        head = re.split(r"\s*[（(]", name, maxsplit=1)[0]  # "Segments (rows: ...)" -> "Segments"
        name = head if len(head) >= 3 else name  # but "P(promoter | level)" keeps its parenthesis
        base = " ".join(re.sub(r"[\[\]:*?/\\']", " ", name).split())[:28].strip() or "sheet"
        unique, i = base, 2
        while unique.lower() in {u.lower() for u in self.used}:
            unique, i = f"{base[:25]} {i}", i + 1
        self.used.add(unique)
        return self.wb.add_worksheet(unique)

    def number_format(self, unit: str | None, sample: Iterable[Any] = ()) -> Any:
        if unit in self.fmt:
            return self.fmt[unit]
        values = [v for v in sample if _is_number(v) and math.isfinite(float(v))]
        if values and all(float(v).is_integer() for v in values):
            return self.fmt["int"]
        return self.fmt["float"] if values else None

    def grid(self, ws: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]],
             units: Sequence[str | None], first_row: int = 0, footer: str | None = None) -> int:
        """Write a header row and data rows (see :meth:`frame`)."""
        data = pd.DataFrame(list(rows), columns=range(len(headers))) if headers else pd.DataFrame()
        return self.frame(ws, headers, data, units, first_row, footer)

    def frame(self, ws: Worksheet, headers: Sequence[str], data: pd.DataFrame,
              units: Sequence[str | None], first_row: int = 0, footer: str | None = None,
              caption: str | None = None) -> int:
        """Write a header row and the columns of ``data`` with number formats, a frozen header,
        a filter and fitted widths; return the number of data rows.

        ``caption`` is a note above the header (what the rows are, e.g. how many of how many,
        in which order, where the full list is), ``footer`` a note below the rows. Columns are
        prepared once, column by column: numeric columns rounded to their unit
        (:func:`clean_number`), text cells made safe once per distinct value; the rows are
        streamed (:mod:`loyalscope.report.xlsx_rows`).
        """
        if caption:
            ws.write_string(first_row, 0, safe_text(caption, "xlsx"), self.note)
            first_row += 1
        widths = [_width(h) for h in headers]
        ws.write_row(first_row, 0, [safe_text(h, "xlsx") for h in headers], self.header)
        columns: list[xr.Column] = []
        for j, unit in enumerate(units):
            col = data.iloc[:, j] if j < data.shape[1] else pd.Series([None] * len(data), dtype=object)
            column = _prepare(col, unit, self.lang)
            sample = column.sample()
            fmt = self.number_format(unit, sample) if column.kind == "number" else None
            # xlsxwriter's own index of the format (what it writes as s= for a formatted cell)
            column.style = fmt._get_xf_index() if fmt is not None else None
            columns.append(column)
            if sample:
                widths[j] = max(widths[j], max(len(f"{v:,.2f}") if column.kind == "number" else _width(v)
                                               for v in sample))
        n = len(data)
        if n and columns:
            self.parts.append(xr.write_rows(self.rows_dir, ws.index, first_row + 1, columns))
        if footer:
            ws.write_string(first_row + 2 + n, 0, safe_text(footer, "xlsx"), self.note)
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(max(w + 2, 8), MAX_WIDTH))
        ws.freeze_panes(first_row + 1, 0)
        if headers:
            ws.autofilter(first_row, 0, first_row + max(n, 1), len(headers) - 1)
        return n


def _prepare(col: pd.Series, unit: str | None, lang: str = "en") -> xr.Column:
    """A column as numbers (rounded to the unit: :func:`clean_number`) or as safe strings
    (:func:`safe_text` for xlsx), factorized; booleans as the catalogue's yes / no. Numeric and
    text columns are prepared once per distinct value."""
    dtype = col.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        cleaned = clean_numbers(np.asarray(uniques, dtype=float), unit)
        keep = np.array([v is not None for v in cleaned] + [False])  # inf -> no cell
        return xr.Column("number", np.where(keep[codes], codes, -1), cleaned)
    if pd.api.types.is_string_dtype(dtype) and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        return xr.Column("text", codes, safe_texts(pd.Series(uniques, dtype=object), "xlsx").tolist())
    values = [t("core.yes" if v else "core.no", lang) if isinstance(v, (bool, np.bool_)) else v
              for v in col.tolist()]
    present = [v for v in values if not _missing(v)]
    if present and all(_is_number(v) for v in present):
        return xr.Column.of("number", [None if _missing(v) else clean_number(v, unit) for v in values])
    cache: dict[Any, Any] = {}
    out: list[Any] = []
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        key = v if isinstance(v, (str, int, float)) else str(v)
        if key not in cache:
            cache[key] = safe_text(_text(v), "xlsx")
        out.append(cache[key])
    return xr.Column.of("text", out)


def clean_numbers(values: np.ndarray, unit: str | None) -> list[float | int | None]:
    """:func:`clean_number` of each float (same results, a tenth of the call overhead)."""
    finite = np.isfinite(values)
    out: list[float | int | None] = [None] * len(values)
    idx = np.flatnonzero(finite).tolist()
    fin = values[finite].tolist()
    if unit == "currency":
        cleaned: list[float | int] = [round(v, 2) for v in fin]
    elif unit in ("percent", "share", "pp"):
        cleaned = [round(v, 6) for v in fin]
    else:
        cleaned = [int(v) if v.is_integer() and abs(v) < 2**53 else float(f"{v:.10g}") for v in fin]
    for i, v in zip(idx, cleaned, strict=True):
        out[i] = v
    return out


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and not math.isfinite(v)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _text(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) \
            else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def write_excel(analysis: Analysis, path: str | Path, lang: str | None = None,
                quarantine: pd.DataFrame | None = None, quarantine_total: int | None = None,
                lists: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the workbook to ``path`` and return it.

    ``quarantine`` may be only the first :data:`MAX_TARGET_ROWS` quarantined rows, with
    ``quarantine_total`` the count of all of them (default ``len(quarantine)``). ``lists``:
    :func:`target_lists` of ``analysis`` when the caller has them (default: built here)."""
    lang = normalise_lang(lang or analysis.config.locale)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(path, lang)
    try:
        lists = target_lists(analysis) if lists is None else lists
        _summary_sheet(book, analysis, lists)
        _numbers_sheet(book, analysis)
        for rule, frame in lists.items():
            _target_sheet(book, analysis, rule, frame)
        _trend_sheets(book, analysis)
        for section in analysis.sections:
            for block in section.blocks:
                if isinstance(block, Table):
                    _table_sheet(book, block)
        if analysis.customers is not None:
            _customer_sheet(book, analysis.customers)
        total = 0 if quarantine is None else len(quarantine) if quarantine_total is None else quarantine_total
        if quarantine is not None and total:
            ws = book.sheet(t("excel.quarantine", lang))
            q = quarantine.head(MAX_TARGET_ROWS)
            book.frame(ws, [t(f"excel.quarantine_col.{c}", lang) if has_key(f"excel.quarantine_col.{c}")
                            else str(c) for c in q.columns], q, [None] * len(q.columns),
                       caption=t("excel.capped", lang, shown=f"{len(q):,}", total=f"{total:,}",
                                 file="quarantine.csv") if total > len(q) else None)
        book.close()
    finally:
        shutil.rmtree(book.rows_dir, ignore_errors=True)
    return path


def target_lists(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """Customers of each recommended action (rule id -> frame), in rank order.

    Built from the scored customers' ``target_of`` column and the strategy section's ranking.
    """
    cu = analysis.customers
    try:
        recs = analysis.section("strategy").data.get("recommendations", [])
    except KeyError:
        return {}
    if cu is None or "target_of" not in cu.columns or not recs:
        return {}
    out: dict[str, pd.DataFrame] = {}
    cols = [c for c in ("customer_id", "target_rank", "target_of", "rfm_segment", "clv", "churn_probability",
                        "value_at_stake") if c in cu.columns]
    rows = cu.groupby("target_of", sort=False).indices  # one pass, not one comparison per action
    for r in sorted(recs, key=lambda r: r.get("rank") or 0):
        part = cu.iloc[rows.get(r["rule"], [])][cols]
        if len(part):
            out[r["rule"]] = part.sort_values(["value_at_stake", "customer_id"], ascending=[False, True])
    return out


def _summary_sheet(book: _Book, analysis: Analysis, lists: dict[str, pd.DataFrame]) -> None:
    lang = book.lang
    ws = book.sheet(t("excel.summary", lang))
    ws.set_column(0, 0, 110, book.wrap)
    ws.write_string(0, 0, safe_text(t("report.title", lang), "xlsx"), book.title)
    row = 2
    for sid in ("summary", "conclusion"):
        try:
            section = analysis.section(sid)
        except KeyError:
            continue
        ws.write_string(row, 0, safe_text(t(f"report.section.{sid}", lang), "xlsx"), book.bold)
        row += 1
        for block in section.blocks:
            if isinstance(block, Text):
                ws.write_string(row, 0, safe_text(t(block.key, lang, **render_kw(block.kw, lang)), "xlsx"),
                                book.note if block.style == "note" else book.wrap)
                row += 1
            elif isinstance(block, Number):
                ws.write_string(row, 0, safe_text(f"{t(block.label, lang, **render_kw(block.label_kw, lang))}: "
                                                  f"{_fmt(block)}", "xlsx"), book.bold)
                row += 1
        row += 1
    if lists:
        ws.write_string(row, 0, safe_text(t("excel.target_sheets", lang), "xlsx"), book.note)


def _fmt(block: Number) -> str:
    from loyalscope.report.format import fmt_value

    return fmt_value(block.value, block.unit)


def _numbers_sheet(book: _Book, analysis: Analysis) -> None:
    lang = book.lang
    ws = book.sheet(t("excel.numbers", lang))
    headers = [t(f"excel.{c}", lang) for c in ("section", "measure", "value", "unit", "metric_id", "formula")] + \
        [t("report.numerator", lang), t("report.denominator", lang), t("report.sample_size", lang), t("excel.note", lang)]
    rows = []
    for section in analysis.sections:
        for block in section.blocks:
            if not isinstance(block, Number):
                continue
            key = block.formula_key()
            formula = t(key, lang) if key and has_key(key) else None
            rows.append([t(f"report.section.{section.id}", lang), t(block.label, lang, **render_kw(block.label_kw, lang)),
                         block.value, t(f"report.unit.{block.unit}", lang) if block.unit else None,
                         block.metric_id, formula, block.numerator, block.denominator, block.n,
                         t(block.note, lang, **render_kw(block.note_kw, lang)) if block.note else None])
    # one format per column: the value column mixes units, so it is written per row below
    _grid_mixed(book, ws, headers, rows, [b for s in analysis.sections for b in s.blocks if isinstance(b, Number)])


def _grid_mixed(book: _Book, ws: Worksheet, headers: list[str], rows: list[list[Any]], blocks: list[Number]) -> None:
    widths = [_width(h) for h in headers]
    ws.write_row(0, 0, [safe_text(h, "xlsx") for h in headers], book.header)
    for i, (row, block) in enumerate(zip(rows, blocks, strict=True), start=1):
        for j, value in enumerate(row):
            unit = block.unit if j == 2 else "count" if j in (6, 7, 8) and _is_number(value) and float(value).is_integer() else None
            num = clean_number(value, unit) if _is_number(value) else None
            if num is not None:
                ws.write_number(i, j, num, book.number_format(unit, [num]))
                widths[j] = max(widths[j], len(f"{num:,.2f}"))
            elif value is None:
                ws.write_blank(i, j, None)
            else:
                ws.write_string(i, j, safe_text(str(value), "xlsx"))
                widths[j] = max(widths[j], _width(str(value)))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(max(w + 2, 8), MAX_WIDTH))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)


def _target_sheet(book: _Book, analysis: Analysis, rule: str, frame: pd.DataFrame) -> None:
    lang = book.lang
    rank = int(frame.target_rank.iloc[0]) if "target_rank" in frame and pd.notna(frame.target_rank.iloc[0]) else 0
    rec = next(r for r in analysis.section("strategy").data["recommendations"] if r["rule"] == rule)
    ws = book.sheet(t("excel.target_sheet", lang, rank=rank, kind=t(f"strategy.kind.{rec['strategy']}", lang)))
    # the action's id (a campaign code for the CRM) instead of its sentence on every row
    shown = frame.head(MAX_TARGET_ROWS).rename(columns={"target_of": "action", "target_rank": "rank"})
    cols = list(shown.columns)
    # lists are ranked by value at stake (target_lists); a capped one says so above its header
    caption = t("excel.target_top", lang, shown=f"{len(shown):,}", total=f"{len(frame):,}",
                order=cc.label("value_at_stake", lang), file=f"targets/{rank:02d}_{rule}.csv") \
        if len(frame) > len(shown) else None
    book.frame(ws, [cc.label(c, lang) for c in cols], _customer_rows(shown, lang), [cc.UNITS.get(c) for c in cols],
               caption=caption)


def _customer_rows(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A customer frame with id-valued cells (segment, loyalty type, action) translated, each
    distinct id once; numeric columns keep their dtype (the writer rounds them per unit)."""
    out = frame.copy()
    for col in out.columns:
        if str(col) in cc.VALUE_KEYS and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            labels = {v: t(k, lang) for v in out[col].dropna().unique() if (k := cc.value_key(str(col), v))}
            if labels:
                out[col] = out[col].astype(object).replace(labels)
    return out


def _trend_sheets(book: _Book, analysis: Analysis) -> None:
    """Headline trends (line charts of metrics over periods) as data plus a native line chart."""
    lang = book.lang
    for section in analysis.sections:
        for block in section.blocks:
            if not (isinstance(block, Chart) and block.kind == "line" and block.x == "period" and block.color):
                continue
            frame = block.frame
            y = block.y if isinstance(block.y, str) else (block.y[0] if block.y else None)
            if y is None or frame.empty:
                continue
            wide = frame.pivot_table(index=block.x, columns=block.color, values=y, aggfunc="first", sort=True,
                                     dropna=False).dropna(axis=1, how="all")
            grain = analysis.config.analysis.period
            periods = [fmt_period(p, grain) for p in wide.index]
            names = [render_value(c, lang) if block.color in block.translate_values else str(c) for c in wide.columns]
            ws = book.sheet(t("excel.trend_sheet", lang, section=t(f"report.section.{section.id}", lang)))
            unit = "percent" if block.options.get("percent_y") else None
            headers: list[str] = [t("report.col.period", lang), *[str(x) for x in names]]
            rows = [[p, *[None if pd.isna(v) else float(v) for v in wide.iloc[i]]] for i, p in enumerate(periods)]
            n = book.grid(ws, headers, rows, [None, *([unit] * len(names))])
            if not names or n == 0:  # nothing to draw (a chart without series is not valid xlsx)
                continue
            chart = book.wb.add_chart({"type": "line"})
            for j in range(len(names)):
                chart.add_series({"name": [ws.get_name(), 0, j + 1], "categories": [ws.get_name(), 1, 0, n, 0],
                                  "values": [ws.get_name(), 1, j + 1, n, j + 1], "marker": {"type": "circle"}})
            chart.set_title({"name": t(block.title, lang)})
            chart.set_x_axis({"name": t("report.col.period", lang)})
            chart.set_y_axis({"name": t(block.labels.get(y, "metrics.section.value"), lang),
                              "num_format": "0%" if unit else "General", "major_gridlines": {"visible": True}})
            chart.set_size({"width": 760, "height": 380})
            ws.insert_chart(1, len(headers) + 1, chart)


def _table_sheet(book: _Book, block: Table) -> None:
    lang = book.lang
    frame = block.frame
    cols = [str(c) for c in frame.columns]
    ws = book.sheet(t(block.title, lang))
    units = [column_unit(block, c) for c in cols]
    translate = set(block.translate_values)

    def cell(col: str, value: Any) -> Any:
        if col in translate or isinstance(value, (Phrase, list)):
            return render_value(value, lang) if isinstance(value, (Phrase, dict, list)) else t(str(value), lang)
        return display_label(value, lang)

    rows = ([cell(c, v) for c, v in zip(cols, rec, strict=True)] for rec in frame.itertuples(index=False))
    note = t(block.note, lang, **render_kw(block.note_kw, lang)) if block.note else None
    book.grid(ws, [table_header(block, c, lang) for c in cols], rows, units, footer=note)


ORDER_BY = ("clv", "value_at_stake", "churn_probability", "loyalty_index")
"""The customer sheet shows customers by the first of these columns that has values, highest first
(highest value, then highest risk); ties by customer id."""


def ranked_customers(customers: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, str | None]:
    """The ``limit`` customers with the highest :data:`ORDER_BY` column (ties and then missing
    values by customer id), highest first, and that column (None: customer-id order).

    Only the candidates at or above the ``limit``-th value are sorted (``np.partition``), so a
    1M-customer table is not sorted whole for a 20k-row sheet."""
    order = next((c for c in ORDER_BY if c in customers and pd.to_numeric(customers[c], errors="coerce").notna().any()),
                 None)
    ids = ["customer_id"] if "customer_id" in customers else []
    if order is None:
        return (customers.sort_values(ids, kind="stable") if ids else customers).head(limit), None
    key = pd.to_numeric(customers[order], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    key = np.where(np.isfinite(key), key, -np.inf)
    pos = np.arange(len(key))
    if len(key) > limit:
        pos = np.flatnonzero(key >= np.partition(key, len(key) - limit)[len(key) - limit])
    ranked = customers.iloc[pos].assign(_key=key[pos])
    ranked = ranked.sort_values(["_key", *ids], ascending=[False, *[True] * len(ids)], kind="stable")
    return ranked.drop(columns="_key").head(limit), order


def _customer_sheet(book: _Book, customers: pd.DataFrame) -> None:
    lang = book.lang
    ws = book.sheet(t("excel.customers", lang))
    shown, order = ranked_customers(customers, MAX_CUSTOMER_ROWS)
    cols = [str(c) for c in shown.columns]
    key = "excel.customers_" + ("top" if len(customers) > len(shown) else "all") + ("" if order else "_id")
    caption = t(key, lang, shown=f"{len(shown):,}", total=f"{len(customers):,}",
                order=cc.label(order, lang) if order else "")
    book.frame(ws, [cc.label(c, lang) for c in cols], _customer_rows(shown, lang), [cc.UNITS.get(c) for c in cols],
               caption=caption)
