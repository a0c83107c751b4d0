"""The typed pieces an :class:`~loyalscope.analysis.Analysis` is made of.

Sections hold *blocks*: numbers, tables, charts and sentences. Blocks store i18n keys and data,
never rendered text, so one Analysis renders in zh and in en, and the CLI, the JSON, the
report and the web pages all read the same numbers.

Charts hold small aggregated frames (never one row per customer); the report turns them into
Plotly figures (see ``report/charts.py`` for the kinds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Unit = Literal["percent", "share", "currency", "count", "days", "hours", "weeks", "months", "years",
               "score", "ratio", "points", "pp"]
"""``pp``: a difference of two shares, shown in percentage points."""
Flag = Literal["small_sample", "partial_period", "weak_fit", "not_estimable", "out_of_range"]
"""Why a number needs a second look (``report.flag.<flag>`` is its text):

- ``small_sample``: computed from fewer than the minimum n (``[analysis] min_n``, 30 by default);
- ``partial_period``: the period is not fully inside the data (first or last, cut short);
- ``weak_fit``: from a model whose fit is weakly identified (see :class:`FitStatus`);
- ``not_estimable``: the model could not be estimated; the value is None;
- ``out_of_range``: the value lies outside its definition's range (never shown as a result).
"""
FLAGS: tuple[str, ...] = ("small_sample", "partial_period", "weak_fit", "not_estimable", "out_of_range")
ChartKind = Literal[
    "bar", "hbar", "line", "area", "heatmap", "pie", "treemap", "scatter", "histogram",
    "path_diagram", "sankey", "quadrant",
    "tracking", "frequency_distribution", "alive_history",  # BTYD diagnostics (report/charts_btyd.py)
]


@dataclass(frozen=True)
class Phrase:
    """A translatable phrase inside another block: an i18n key with its own format arguments.

    Used where a sentence or a table cell embeds another translated sentence (a finding's
    comparison, a recommendation's evidence); the renderers translate it recursively.
    """

    key: str
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_message(cls, message: str) -> Phrase | str:
        """A message translated when it was raised (an error, a skip reason) as a phrase that
        both report languages render (:func:`loyalscope.i18n.source_of`); the text itself when
        it did not come from the catalogue."""
        from loyalscope.i18n import source_of

        found = source_of(message)
        if found is None:
            return message
        key, kw = found
        return cls(key, {k: cls.from_message(v) if isinstance(v, str) else v for k, v in kw.items()})


@dataclass
class Number:
    """A headline number with its definition and denominator.

    ``value`` for ``unit="percent"`` is a share in [0, 1] and is displayed x 100.
    """

    label: str
    """i18n key of the label (e.g. ``metrics.repeat_purchase_rate.name``)."""
    value: float | None
    unit: Unit | None = None
    metric_id: str | None = None
    """Catalogue id; the report shows its definition (:meth:`formula_key`)."""
    numerator: float | None = None
    denominator: float | None = None
    interval: tuple[float, float] | None = None
    note: str | None = None
    """i18n key of a note (formatted with ``note_kw``)."""
    note_kw: dict[str, Any] = field(default_factory=dict)
    label_kw: dict[str, Any] = field(default_factory=dict)
    warn: bool = False
    """Highlight as a warning (small sample, breach of a threshold ...); set whenever ``flags``
    is not empty."""
    n: int | None = None
    """Sample size behind the number (customers, answers, orders ...: the count the precision
    depends on; for a rate usually the denominator)."""
    flags: list[Flag] = field(default_factory=list)
    """See :data:`Flag`; the report's summary and the monitors read these."""
    interval_method: str | None = None
    """How ``interval`` was computed: "wilson", "bayes", "bootstrap", "wald" (95% unless stated)."""
    period: str | None = None
    """What the number covers: "2025-10-01" (a period's start), or "2024-01-01/2025-12-31"
    (the whole analysis window, ISO 8601 interval); None when not tied to a period."""
    changes: dict[str, float | None] = field(default_factory=dict)
    """For a period's number: change against "previous" (the period before) and "year_ago"
    (the same period a year earlier), in the number's unit (shares for percentages); None where
    that period is not in the data."""

    formula: str | None = None
    """i18n key of the definition shown with the number where it depends on the data (CSAT of a
    yes / no question: :func:`loyalscope.metrics.wording`); None: ``metrics.<metric_id>.formula``."""

    def formula_key(self) -> str | None:
        """The i18n key of the number's definition: :attr:`formula`, else its metric's
        ``metrics.<metric_id>.formula``; None without a metric."""
        if self.formula is not None:
            return self.formula
        return f"metrics.{self.metric_id}.formula" if self.metric_id else None

    def __post_init__(self) -> None:
        self.flags = [f for f in dict.fromkeys(self.flags)]
        unknown = [f for f in self.flags if f not in FLAGS]
        if unknown:
            raise ValueError(f"Unknown flag(s) {unknown}; use {FLAGS}.")
        if self.flags:
            self.warn = True

    def flag(self, *flags: Flag) -> Number:
        """Add ``flags`` (kept unique, in order) and mark the number as a warning."""
        self.flags = list(dict.fromkeys([*self.flags, *flags]))
        self.__post_init__()
        return self


@dataclass
class Table:
    """A small table. ``columns`` maps frame columns to i18n label keys (absent: shown as is)."""

    title: str
    frame: pd.DataFrame
    columns: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    note_kw: dict[str, Any] = field(default_factory=dict)
    percent_columns: tuple[str, ...] = ()
    translate_values: tuple[str, ...] = ()
    """Columns whose values are i18n keys to translate."""
    max_rows: int = 50
    units: dict[str, Unit] = field(default_factory=dict)
    """column -> unit: headers show it ("spend (currency)") and cells are formatted by it."""


@dataclass
class Chart:
    """A chart of aggregated data. ``x``, ``y``, ``color``, ``size`` name frame columns."""

    kind: ChartKind
    title: str
    frame: pd.DataFrame
    x: str | None = None
    y: str | list[str] | None = None
    color: str | None = None
    size: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    """column -> i18n key of its axis / legend label."""
    options: dict[str, Any] = field(default_factory=dict)
    """Kind-specific options (``percent_y``, ``z`` for heatmaps, ``nodes``/``edges`` ...)."""
    note: str | None = None
    note_kw: dict[str, Any] = field(default_factory=dict)
    translate_values: tuple[str, ...] = ()


@dataclass
class Text:
    """A sentence or paragraph: i18n key + format arguments."""

    key: str
    kw: dict[str, Any] = field(default_factory=dict)
    style: Literal["p", "note", "warning", "finding"] = "p"
    link: str | None = None
    """Id of the section holding the evidence (the report links to it)."""


Block = Number | Table | Chart | Text


@dataclass
class Section:
    """One report section (``report.section.<id>`` is its title key)."""

    id: str
    blocks: list[Block] = field(default_factory=list)
    skipped: str | None = None
    """i18n key of the reason when the section could not run."""
    skipped_kw: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    """Machine-readable results for ``analysis.json`` (scalars and small lists)."""

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


def to_jsonable(obj: Any) -> Any:
    """Convert blocks, frames and numpy scalars into JSON-ready Python objects."""
    if isinstance(obj, pd.DataFrame):
        frame = obj.copy()
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                frame[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
        frame = frame.astype(object).where(pd.notna(frame), None)
        return [{str(k): to_jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
    if isinstance(obj, Phrase):
        return {"key": obj.key, "kw": to_jsonable(obj.kw)}
    if isinstance(obj, (Number, Table, Chart, Text, Section)):
        out = {"type": type(obj).__name__.lower()}
        out.update({k: to_jsonable(v) for k, v in obj.__dict__.items()})
        return out
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj
