"""Self-contained HTML report (Jinja2, autoescape on, Plotly's JS inlined from the package).

The page fetches nothing: no CDN, no web fonts. Chinese text uses the reader's system CJK fonts
through a font stack covering Windows, macOS and Linux (Noto / WenQuanYi).
"""

from __future__ import annotations

import html as _html
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from loyalscope import __version__
from loyalscope.i18n import normalise_lang, t
from loyalscope.report import charts
from loyalscope.report.format import (
    column_unit,
    display_label,
    fmt_value,
    render_kw,
    render_value,
    table_header,
)
from loyalscope.results import Chart, Number, Phrase, Table, Text
from loyalscope.sections import chapter, numbering

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _env() -> Environment:
    env = Environment(loader=PackageLoader("loyalscope", "report/templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    return env


def _kw(kw: dict[str, Any], lang: str) -> dict[str, Any]:
    """Translate keyword values that are catalogue keys or phrases (e.g. a section title)."""
    return render_kw(kw, lang)


def _number(block: Number, lang: str) -> dict[str, Any]:
    key = block.formula_key()
    formula = t(key, lang) if key else None
    if formula == key:
        formula = None
    value = fmt_value(block.value, block.unit, lang)
    interval = None
    if block.interval is not None:
        lo, hi = block.interval
        interval = f"[{fmt_value(lo, block.unit, lang)}, {fmt_value(hi, block.unit, lang)}]"
    return {
        "label": t(block.label, lang, **_kw(block.label_kw, lang)),
        "value": value,
        "metric_id": block.metric_id,
        "formula": formula,
        "numerator": None if block.numerator is None else fmt_value(block.numerator, None, lang),
        "denominator": None if block.denominator is None else fmt_value(block.denominator, None, lang),
        "n": None if block.n is None else fmt_value(block.n, "count", lang),
        "interval": interval,
        "note": t(block.note, lang, **_kw(block.note_kw, lang)) if block.note else None,
        "warn": block.warn,
    }


def _table(block: Table, lang: str) -> dict[str, Any]:
    frame = block.frame.head(block.max_rows).copy()
    for col in frame.columns:
        if col in block.translate_values:
            frame[col] = frame[col].map(lambda v: render_value(v, lang) if isinstance(v, (Phrase, dict, list))
                                        else t(str(v), lang))
        elif frame[col].dtype == object:  # raw ids (model ids, survey columns ...) as labels
            frame[col] = frame[col].map(lambda v: display_label(v, lang))
    header = [table_header(block, str(c), lang) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    rows = []
    for rec in frame.itertuples(index=False):
        row = []
        for col, val in zip(frame.columns, rec, strict=True):
            if isinstance(val, pd.Timestamp):
                val = val.date().isoformat()
            row.append(fmt_value(val, column_unit(block, str(col)), lang))
        rows.append(row)
    return {"title": t(block.title, lang), "header": header, "rows": rows, "numeric": numeric,
            "note": t(block.note, lang, **_kw(block.note_kw, lang)) if block.note else None,
            "truncated": len(block.frame) > block.max_rows, "total": len(block.frame)}


def _chart(block: Chart, lang: str, idx: int) -> dict[str, Any]:
    fig = charts.figure(block, lang)
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{idx}",
                      config={"displaylogo": False, "responsive": True})
    return {"html": Markup(div), "note": t(block.note, lang, **_kw(block.note_kw, lang)) if block.note else None}


def _link_title(section_id: str | None, numbers: dict[str, str], lang: str) -> str:
    if not section_id:
        return ""
    return f"{numbers.get(section_id, '')} {t(f'report.section.{section_id}', lang)}".strip()


def render_html(analysis: Analysis, lang: str | None = None) -> str:
    """Render ``analysis`` as one self-contained HTML page in ``lang`` ("zh" or "en")."""
    lang = normalise_lang(lang or analysis.config.locale)
    sections = []
    numbers = numbering([s.id for s in analysis.sections])
    chart_idx = 0
    for section in analysis.sections:
        blocks: list[dict[str, Any]] = []
        for block in section.blocks:
            if isinstance(block, Number):
                if not blocks or blocks[-1]["type"] != "numbers":
                    blocks.append({"type": "numbers", "items": []})
                blocks[-1]["items"].append(_number(block, lang))
            elif isinstance(block, Table):
                blocks.append({"type": "table", **_table(block, lang)})
            elif isinstance(block, Chart):
                chart_idx += 1
                blocks.append({"type": "chart", **_chart(block, lang, chart_idx)})
            elif isinstance(block, Text):
                blocks.append({"type": "text", "style": block.style,
                               "text": t(block.key, lang, **_kw(block.kw, lang)), "link": block.link,
                               "link_title": _link_title(block.link, numbers, lang)})
        sections.append({
            "id": section.id,
            "number": numbers.get(section.id, ""),
            "chapter": chapter(section.id),
            "title": t(f"report.section.{section.id}", lang),
            "skipped": t(section.skipped, lang, **_kw(section.skipped_kw, lang)) if section.skipped else None,
            "blocks": blocks,
        })
    chapters: list[dict[str, Any]] = []
    for sec in sections:
        if not chapters or chapters[-1]["id"] != sec["chapter"]:
            chapters.append({"id": sec["chapter"], "number": numbers.get(f"chapter:{sec['chapter']}", ""),
                             "title": t(f"report.chapter.{sec['chapter']}", lang), "sections": []})
        chapters[-1]["sections"].append(sec)
    template = _env().get_template("report.html")
    return template.render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en",
        title=t("report.title", lang), chapters=chapters, version=__version__,
        created=analysis.created, engine=analysis.engine,
        plotly_js=Markup(_plotly_js()) if chart_idx else "",
        t=lambda key, **kw: t(key, lang, **kw), escape=_html.escape,
    )


def write_html(analysis: Analysis, path: str | Path, lang: str | None = None) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(analysis, lang), encoding="utf-8")
    return path
