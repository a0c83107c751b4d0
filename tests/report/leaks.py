"""Language-leak checks shared by the report, workbook and web-page tests.

A *leak* is text a person reads that is not in their language:
- a catalogue key (``segments.name.champions``) or a raw column / id (``dim_quality``,
  ``predicted_spend``) shown instead of its label;
- a Han character in English output;
- an English word in Chinese output.
Names that come from the data (customer ids, regions, channels, competitor names, file paths) are
allowed in both languages: ``data_names`` collects them from the input frames.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from loyalscope.i18n import catalogue
from loyalscope.text.tokens import tokens

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z][A-Za-z_]*[A-Za-z]|[A-Za-z]")
IDENT = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # snake_case ids: dim_quality, predicted_spend
PATH = re.compile(r"[\w./*-]*/[\w./*-]+|[\w*-]+\.(?:toml|csv|parquet|xlsx|json|html)\b|\[[a-z_.]+\]"
                  r"|(?<!\w)--[a-z][a-z-]*|'[A-Za-z_.*]+'|`[^`]*`|\bq_[a-z]+\d*\b|\b[a-z]+_\*|\b(?:sum|[A-Z])_[a-z]\b|\bloyalscope\s+[a-z]+(?:\s+[a-z]+\b)?")
"""File names, ``[section]`` names of loyalscope.toml, command-line options, quoted identifiers,
`commands` and the survey's item columns (q_imag1 ...) are names, not words."""
DOTTED = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+){1,6}\b")

ALLOWED_LATIN = {
    # acronyms and names of methods, models and people that Chinese reports write in Latin letters
    "NPS", "CSAT", "CLV", "RFM", "ACSI", "ECSI", "PLS", "AVE", "HTMT", "DERL", "AUC", "BG", "NBD",
    "MBG", "BB", "sBG", "KMO", "Loyalscope", "Pareto", "Gamma", "Spearman", "Pearson", "Shapley",
    "Holm", "Cox", "Efron", "Wilson", "Kaplan", "Meier", "Wald", "Cronbach", "Bartlett", "Johnson", "Kotler",
    "CRM", "Excel", "JSON", "CSV", "csv", "Parquet", "parquet", "xlsx", "html", "json", "duckdb", "DuckDB",
    "Spark", "PostgreSQL", "R", "F", "M", "A", "B", "C", "D", "n", "p", "z", "df", "R²", "Q", "W", "L", "O", "S",
    "LL", "AIC", "BIC", "SE", "CI", "alpha", "beta", "rho", "VIF", "GoF", "SRMR", "rA", "Beta",
    "ID", "id", "OK", "vs", "e", "x", "k", "t", "pp", "log", "AHP", "CR", "CV", "CDNOW",
    "Plotly", "jieba", "UTC", "ISO", "Top", "top", "Wilcoxon", "Newcombe", "Bayes", "Hardie", "Fader",
    "toml", "loyalscope", "analyze", "GMV", "T", "X", "Y", "tx", "lambda", "mu", "sigma",
    "Henseler", "Ringle", "Sarstedt", "Dijkstra", "Fornell", "Larcker", "Wold", "Stone", "Geisser", "Shmueli",
    "Hair", "Chin", "Kaiser", "Lee", "Horn", "Grootendorst", "chi", "rho_A", "PLSc", "Dillon", "Goldstein",
    "r", "s", "q", "a", "b", "d", "gamma", "Cohen", "MAE", "RMSE", "Likert", "Saaty", "Lines", "TSV",
}
"""Model parameters (r, alpha, a, b, s, beta; p, q, gamma) are symbols, written as in the papers."""


def keys() -> set[str]:
    return set(catalogue("en"))


def data_names(frames: dict[str, pd.DataFrame], extra: Iterable[str] = ()) -> set[str]:
    """Every string value of the input frames (names in the data), the competitor names of the
    survey's ``comp_<competitor>_<dimension>`` headers, the configuration's setting names and the
    canonical ``table.column`` references an error or note may cite. Column headers themselves
    are not names: a header shown raw (``dim_quality``) is a leak."""
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.schema import TABLES

    out: set[str] = set(extra)
    # canonical tables and columns are the names a user writes in loyalscope.toml ([mapping.x])
    out.update(f"{t}.{c.name}" for t, tbl in TABLES.items() for c in tbl.columns)
    out.update(c.name for tbl in TABLES.values() for c in tbl.columns if "_" in c.name)
    out.update(TABLES)
    for field in AnalysisConfig.model_fields.values():  # snake_case setting names a note may cite
        out.update(n for n in getattr(field.annotation, "model_fields", {}) or {} if "_" in n)
    for frame in frames.values():
        out.update(c.split("_")[1] for c in map(str, frame.columns) if c.startswith("comp_") and c.count("_") >= 2)
        for col in frame.columns:
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                values = [str(v) for v in frame[col].dropna().unique()[:5000]]
                out.update(values)
                if any(len(v) > 12 for v in values):  # free texts: the words a theme quotes are data too
                    out.update(w for v in values for w in tokens(v))
    return {n for n in out if n}


def strip_names(text: str, names: set[str]) -> str:
    """Remove data names (longest first) from ``text``; Latin names only as whole words."""
    for name in sorted((n for n in names if n in text), key=len, reverse=True):
        if name.isascii():
            text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", " ", text)
        else:
            text = text.replace(name, " ")
    return text


def leaks(texts: Iterable[str], lang: str, names: set[str]) -> list[tuple[str, str]]:
    """(kind, snippet) for every leak in ``texts`` rendered in ``lang``."""
    catalogue_keys = keys()
    found: list[tuple[str, str]] = []
    for raw in texts:
        if not raw or not isinstance(raw, str):
            continue
        text = PATH.sub(" ", strip_names(raw, names))  # file names are names too
        for m in DOTTED.finditer(text):
            if m.group(0) in catalogue_keys or any(k.startswith(m.group(0) + ".") for k in catalogue_keys):
                found.append(("catalogue key", raw[:120]))
        for m in IDENT.finditer(text):
            found.append(("raw id", f"{m.group(0)} in {raw[:120]}"))
        if lang == "en" and HAN.search(text):
            found.append(("Han in English", raw[:120]))
        if lang == "zh":
            words = [w for w in WORD.findall(text) if w not in ALLOWED_LATIN and not w.isupper()]
            if words:
                found.append(("English in Chinese", f"{words[:5]} in {raw[:120]}"))
    return found


class _Text(HTMLParser):
    """Visible text of a page (no script, style, or ``<code class="id">`` ids)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <details> holds a number's definition: the formula text quotes the documents' own terms
        if tag in ("script", "style", "details") or (tag == "code" and ("class", "id") in attrs):
            self._skip += 1
        if tag in ("input", "img") and not self._skip and ("type", "hidden") not in attrs:
            for k, v in attrs:
                if k in ("placeholder", "alt", "title", "value") and v:
                    self.parts.append(v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "details") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def html_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def figure_texts(fig: dict[str, Any]) -> list[str]:
    """Strings a reader sees in a Plotly figure dict: titles, axis titles, legend, trace names,
    categorical axis values, text labels, annotations."""
    out: list[str] = []

    def title(obj: Any) -> None:
        if isinstance(obj, dict):
            t = obj.get("title")
            if isinstance(t, dict) and isinstance(t.get("text"), str):
                out.append(t["text"])
            elif isinstance(t, str):
                out.append(t)

    layout = fig.get("layout", {})
    title(layout)
    for k, v in layout.items():
        if k.startswith(("xaxis", "yaxis")) or k == "legend":
            title(v)
    for a in layout.get("annotations", []) or []:
        if isinstance(a.get("text"), str):
            out.append(a["text"])
    for trace in fig.get("data", []):
        if isinstance(trace.get("name"), str):
            out.append(trace["name"])
        for k in ("x", "y", "text", "labels"):
            v = trace.get(k)
            if isinstance(v, list):
                out.extend(s for s in v if isinstance(s, str))
            elif isinstance(v, str):
                out.append(v)
        node = trace.get("node")
        if isinstance(node, dict) and isinstance(node.get("label"), list):
            out.extend(s for s in node["label"] if isinstance(s, str))
    return [re.sub(r"<[^>]+>", " ", s) for s in out]
