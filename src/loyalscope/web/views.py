"""What the dashboard shows of an :class:`Analysis`: each section's headline numbers and its
charts, in one language. Charts go through the report's own figure code
(:func:`loyalscope.report.charts.figure`), so page, report and JSON show the same figures.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from loyalscope.i18n import has_key, t
from loyalscope.report import charts, customer_columns
from loyalscope.report.format import fmt_value, render_kw
from loyalscope.results import Chart, Number, Text

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis


def _kw(kw: dict[str, Any], lang: str) -> dict[str, Any]:
    return render_kw(kw, lang)  # keys and phrases translated, as in the report


def number_view(block: Number, lang: str) -> dict[str, Any]:
    """A headline number: label, formatted value, raw value, metric id, formula, denominator, sample size."""
    key = block.formula_key()
    formula = t(key, lang) if key and has_key(key) else None
    return {
        "label": t(block.label, lang, **_kw(block.label_kw, lang)),
        "value": block.value,
        "display": fmt_value(block.value, block.unit, lang),
        "unit": block.unit,
        "metric_id": block.metric_id,
        "formula": formula,
        "numerator": block.numerator,
        "denominator": block.denominator,
        "n": block.n,
        "note": t(block.note, lang, **_kw(block.note_kw, lang)) if block.note else None,
        "warn": block.warn,
    }


def chart_view(block: Chart, lang: str) -> dict[str, Any]:
    """Title, note and the Plotly figure (as a JSON-ready dict) of a chart block."""
    fig = charts.figure(block, lang)
    return {"kind": block.kind, "title": t(block.title, lang),
            "note": t(block.note, lang, **_kw(block.note_kw, lang)) if block.note else None,
            "figure": json.loads(fig.to_json())}


def dashboard(analysis: Analysis, lang: str) -> dict[str, Any]:
    """Sections with their numbers, charts and findings; skipped sections keep their reason."""
    sections = []
    for section in analysis.sections:
        entry: dict[str, Any] = {"id": section.id, "title": t(f"report.section.{section.id}", lang),
                                 "skipped": None, "numbers": [], "charts": [], "findings": []}
        if section.skipped:
            entry["skipped"] = t(section.skipped, lang, **_kw(section.skipped_kw, lang))
        for block in section.blocks:
            if isinstance(block, Number):
                entry["numbers"].append(number_view(block, lang))
            elif isinstance(block, Chart):
                entry["charts"].append(chart_view(block, lang))
            elif isinstance(block, Text) and block.style in ("finding", "warning"):
                entry["findings"].append(t(block.key, lang, **_kw(block.kw, lang)))
        sections.append(entry)
    return {"lang": lang, "created": analysis.created, "version": analysis.version,
            "engine": analysis.engine, "sections": sections}


def customer_label(column: str, lang: str) -> str:
    """Label of a scored-customer column, with its unit (the report's one column table)."""
    return customer_columns.label(column, lang)


def customer_value(column: str, value: Any, lang: str) -> str:
    """Display text of one scored-customer value: ids (segment, loyalty type, action) translated,
    numbers formatted by the column's unit."""
    return str(customer_columns.display(column, value, lang))
