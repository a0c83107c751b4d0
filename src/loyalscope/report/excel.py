"""Excel workbook of an Analysis: every headline number with its definition, every table, the
scored customers (first 100,000 rows; the full table is ``customers.parquet``) and the quarantine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from loyalscope.i18n import has_key, normalise_lang, t
from loyalscope.report.cells import safe_frame, text_not_formulas
from loyalscope.results import Number, Table

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis

MAX_CUSTOMER_ROWS = 100_000


def _sheet_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", text)[:28].strip() or "sheet"
    name, i = base, 2
    while name in used:
        name, i = f"{base[:25]} {i}", i + 1
    used.add(name)
    return name


def write_excel(analysis: Analysis, path: str | Path, lang: str | None = None,
                quarantine: pd.DataFrame | None = None) -> Path:
    """Write the workbook to ``path`` and return it."""
    lang = normalise_lang(lang or analysis.config.locale)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for section in analysis.sections:
        for block in section.blocks:
            if isinstance(block, Number):
                rows.append({
                    t("excel.section", lang): t(f"report.section.{section.id}", lang),
                    t("excel.measure", lang): t(block.label, lang, **{  # keys among the arguments translated too
                        k: t(v, lang) if isinstance(v, str) and has_key(v) else v for k, v in block.label_kw.items()}),
                    t("excel.value", lang): block.value,
                    t("excel.unit", lang): block.unit,
                    t("excel.metric_id", lang): block.metric_id,
                    t("excel.formula", lang): t(f"metrics.{block.metric_id}.formula", lang) if block.metric_id else None,
                    t("report.numerator", lang): block.numerator,
                    t("report.denominator", lang): block.denominator,
                })
    used: set[str] = set()
    # every frame through safe_frame (control characters escaped) and every cell a value, never
    # a formula (text_not_formulas): user data such as =HYPERLINK(...) stays inert text
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        safe_frame(pd.DataFrame(rows), "xlsx").to_excel(
            writer, sheet_name=_sheet_name(t("excel.summary", lang), used), index=False)
        for section in analysis.sections:
            for block in section.blocks:
                if isinstance(block, Table):
                    frame = block.frame.rename(columns={c: t(k, lang) for c, k in block.columns.items()})
                    safe_frame(frame, "xlsx").to_excel(
                        writer, sheet_name=_sheet_name(t(block.title, lang), used), index=False)
        if analysis.customers is not None:
            safe_frame(analysis.customers.head(MAX_CUSTOMER_ROWS), "xlsx").to_excel(
                writer, sheet_name=_sheet_name(t("excel.customers", lang), used), index=False)
        if quarantine is not None and len(quarantine):
            safe_frame(quarantine.head(MAX_CUSTOMER_ROWS), "xlsx").to_excel(
                writer, sheet_name=_sheet_name(t("excel.quarantine", lang), used), index=False)
        text_not_formulas(writer.book)
    return path
