"""Number formatting shared by the HTML, Excel and web renderers.

Units are words from the catalogue (``report.unit.<unit>``): a reader sees "12.3 days" /
"12.3 天", never a bare 12.3 whose unit is a guess. Periods are written as periods
("2025-11", "2025-Q4"), not as the timestamp of their first day.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from loyalscope.i18n import has_key, t
from loyalscope.results import Phrase

if TYPE_CHECKING:
    from loyalscope.results import Table

SUFFIX_UNITS = ("days", "hours", "weeks", "months", "years", "points")
"""Units written after the number ("12.3 days"); percent and currency have their own form."""


def fmt_value(value: Any, unit: str | None = None, lang: str = "en") -> str:
    """Format ``value`` for display; ``unit="percent"`` expects a share in [0, 1]."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return t("core.yes" if value else "core.no", lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if math.isinf(v):
            return "—"
        if unit in ("percent", "share"):
            return _percent(v)
        if unit == "pp":
            return f"{v * 100:+.1f} " + t("report.unit.pp", lang)
        if unit == "currency":
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"
        if unit == "count" or (v.is_integer() and abs(v) < 1e15 and unit is None):
            return f"{round(v):,}"
        text = _plain(v)
        if unit in SUFFIX_UNITS:
            return f"{text} {t(f'report.unit.{unit}', lang)}"
        return text
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _percent(v: float) -> str:
    pct = v * 100
    if pct != 0 and abs(pct) < 0.1:
        return f"{pct:.2f}%"
    return f"{pct:.1f}%"


def _plain(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}" if abs(v) >= 100_000 else f"{v:,.1f}"
    if v != 0 and abs(v) < 0.01:
        return f"{v:.2g}"
    return f"{v:,.2f}"


def fmt_period(value: Any, grain: str = "month") -> str:
    """A period start written as the period: 2025-11 (month), 2025-Q4 (quarter), 2025-W05 (week),
    2025 (year), 2025-11-03 (day)."""
    ts = pd.Timestamp(value)
    if grain == "month":
        return f"{ts.year}-{ts.month:02d}"
    if grain == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    if grain == "year":
        return str(ts.year)
    if grain == "week":
        iso = ts.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return ts.date().isoformat()


def column_unit(block: Table, column: str) -> str | None:
    """The unit of a table column: declared in ``units``, or percent by ``percent_columns``."""
    if column in block.percent_columns:
        return "percent"
    return block.units.get(column)


def table_header(block: Table, column: str, lang: str) -> str:
    """A column header with its unit: "spend (currency)", "time to resolve (hours)"."""
    key = block.columns.get(column)
    label = t(key, lang) if key else t(f"report.col.{column}", lang) if has_key(f"report.col.{column}") \
        else str(display_label(column, lang))
    unit = column_unit(block, column)
    if unit and unit not in ("count", "ratio", "score", "percent", "share") and has_key(f"report.unit.{unit}"):
        return t("report.with_unit", lang, label=label, unit=t(f"report.unit.{unit}", lang))
    return label


def render_kw(kw: dict[str, Any], lang: str, verbatim: bool = False) -> dict[str, Any]:
    """Format arguments ready for ``t``: catalogue keys and :class:`Phrase` values translated
    (recursively), lists of phrases joined with the language's list separator. ``verbatim``:
    other text is kept as written (not shown as its label, :func:`display_label`)."""
    return {k: render_value(v, lang, verbatim) for k, v in kw.items()}


def _is_fix(key: str) -> bool:
    """Whether ``key`` is a fix: a sentence holding what the user writes (``[survey.scales]
    repurchase_intent = "1-7"``), whose column names stay as written, never their labels."""
    return key.endswith("_fix")


def render_value(value: Any, lang: str, verbatim: bool = False) -> Any:
    """One format argument or table cell as display text (keys and phrases translated; a raw id
    shown as its label unless ``verbatim``, as it is inside a fix)."""
    if isinstance(value, Phrase):
        return t(value.key, lang, **render_kw(value.kw, lang, verbatim or _is_fix(value.key)))
    if isinstance(value, dict) and set(value) == {"key", "kw"}:  # a Phrase read back from JSON
        key = str(value["key"])
        return t(key, lang, **render_kw(dict(value["kw"]), lang, verbatim or _is_fix(key)))
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (Phrase, dict)) for v in value):
        return t("report.list_sep", lang).join(str(render_value(v, lang, verbatim)) for v in value)
    if isinstance(value, str) and has_key(value):
        return t(value, lang)
    if isinstance(value, str):
        return value if verbatim else display_label(value, lang)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # "52 weeks", not "52.0 weeks"
    return value


def display_label(value: Any, lang: str) -> Any:
    """A raw id that reaches the reader (a model id, a survey column, a grain, a group code) as
    its label: ``report.value.<id>`` (or its lower-case form), ``dim_<d>`` as the dimension;
    anything else (names in the data) unchanged."""
    if not isinstance(value, str) or not value or len(value) > 60:
        return value
    for key in (f"report.value.{value}", f"report.value.{value.lower()}"):
        if has_key(key):
            return t(key, lang)
    if value.startswith("dim_") and has_key(f"report.dimension.{value[4:]}"):
        return t(f"report.dimension.{value[4:]}", lang)
    if " -> " in value:  # a path "Image -> Loyalty"
        return " -> ".join(str(display_label(part, lang)) for part in value.split(" -> "))
    return value


def render_text(key: str, kw: dict[str, Any], lang: str) -> str:
    """``t(key, **kw)`` with the arguments rendered by :func:`render_kw`."""
    return t(key, lang, **render_kw(kw, lang))
