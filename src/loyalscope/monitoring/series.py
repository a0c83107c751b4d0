"""Metric time series of the monitor: one per metric (the total) and one per segment of each
segment column, on the full calendar, with the state of each period.

A period is *usable* (checked and learnt from) when it is complete (it starts on or after the
first order and ends by the analysis date), final (``lag`` further periods have ended), past
the inactivity warm-up for the metrics that need it, defined, and has at least ``min_n``
units. Everything is computed by :func:`loyalscope.metrics.compute` in the engine; only the
per-period aggregates come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from loyalscope.metrics import compute
from loyalscope.metrics._base import first_order_date
from loyalscope.metrics.window import inactivity_days
from loyalscope.monitoring import catalogue
from loyalscope.monitoring.baseline import Kind
from loyalscope.monitoring.periods import calendar, shift

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

STATES = ("ok", "partial", "not_final", "warmup", "undefined", "small_n")
"""Why a period is or is not usable, in the order the reasons are tested."""


@dataclass
class Series:
    """One metric's values per calendar period, for the total or one segment."""

    metric: str
    periods: list[date]
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    units: np.ndarray
    """``n`` of the spread model (see :func:`loyalscope.monitoring.baseline.track`)."""
    exposure: np.ndarray
    """Days of each period for :data:`~loyalscope.monitoring.catalogue.PER_DAY` metrics
    (tracked per day), else 1."""
    counts: np.ndarray | None
    state: list[str]
    kind: Kind
    dimension: str | None = None
    segment: Any = None
    cases: np.ndarray | None = None
    """The metric's ``n`` column (cases behind a ratio of amounts: customers, orders, members),
    None for metrics without one."""

    @property
    def usable(self) -> np.ndarray:
        return np.array([s == "ok" for s in self.state])

    def sample(self, i: int) -> float | None:
        """The period's sample size (units); for a ratio of amounts, its cases (``n``) when the
        metric counts them, else None."""
        if self.kind == "level":
            return float(self.cases[i]) if self.cases is not None else None
        if self.kind == "count":
            return float(self.counts[i]) if self.counts is not None else None
        return float(self.denominator[i])


@dataclass(frozen=True)
class Frame:
    """Where a dataset's periods start and end."""

    periods: list[date]
    grain: str
    first: date
    """First order date (periods starting before it are partial)."""
    end: date
    """Analysis date (exclusive)."""
    warmup_end: date


def frame(ds: Dataset, grain: str) -> Frame:
    """The periods of ``ds`` from its first order to its analysis date, with the facts that
    decide which are complete."""
    end = ds.analysis_date
    v = first_order_date(ds)
    first = end if v is None else v
    warm = first + timedelta(days=inactivity_days(ds))  # configured, or from the data's gaps
    return Frame(calendar(first, end, grain), grain, first, end, warm)


def build(ds: Dataset, metric_id: str, fr: Frame, min_n: int, lag: int,
          by: str | None = None, kind: Kind | None = None) -> list[Series]:
    """The total series of ``metric_id`` (``by`` None) or one series per segment of ``by``
    (with the spread model ``kind`` of the total)."""
    raw = compute(ds, metric_id, period=fr.grain, by=by)  # type: ignore[arg-type]
    if by is None:
        return [_series(metric_id, raw, fr, min_n, lag, ds, kind)]
    out = []
    for seg, part in raw.groupby(by, dropna=False, sort=True):
        seg_value = None if pd.isna(seg) else seg
        s = _series(metric_id, part.drop(columns=[by]), fr, min_n, lag, ds, kind)
        s.dimension, s.segment = by, seg_value
        out.append(s)
    return out


def _series(metric_id: str, raw: pd.DataFrame, fr: Frame, min_n: int, lag: int,
            ds: Dataset, kind: Kind | None) -> Series:
    raw = _one_row_per_period(raw)
    d = raw.set_index("period").reindex(fr.periods)
    value = d["value"].to_numpy(dtype=float)
    num = d["numerator"].to_numpy(dtype=float)
    den = d["denominator"].fillna(0.0).to_numpy(dtype=float)
    kind = kind or catalogue.kind(metric_id, raw)
    cases = d["n"].fillna(0).to_numpy(dtype=float) if "n" in d.columns else None
    counts: np.ndarray | None = None
    if kind == "count":
        setting = catalogue.COUNTS.get(metric_id)
        unit = float(getattr(ds.config.analysis, setting)) if setting else 1.0
        units, counts = np.full(value.size, unit), np.nan_to_num(num)
    elif kind == "level":
        units = np.ones(value.size)
    else:
        units = den
        counts = num if kind == "share" else None
    sizes = counts if kind != "level" else cases
    state = [_state(p, value[i], kind, sizes[i] if sizes is not None else None, den[i],
                    metric_id, fr, min_n, lag) for i, p in enumerate(fr.periods)]
    if metric_id in catalogue.PER_DAY:
        exposure = np.array([(shift(p, fr.grain) - p).days for p in fr.periods], dtype=float)
    else:
        exposure = np.ones(value.size)
    return Series(metric_id, fr.periods, value, num, den, units, exposure, counts, state, kind,
                  cases=cases)


def _one_row_per_period(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows of one period are added up (a metric split by a column with nulls can return the
    null group in pieces); the value is then numerator / denominator."""
    if not raw["period"].duplicated().any():
        return raw
    cols = ["numerator", "denominator", *(["n"] if "n" in raw.columns else [])]
    agg = raw.groupby("period", as_index=False)[cols].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["value"] = np.where(agg.denominator > 0, agg.numerator / agg.denominator, np.nan)
    return agg


def _state(p: date, value: float, kind: Kind, count: float | None, den: float, metric_id: str,
           fr: Frame, min_n: int, lag: int) -> str:
    """``count``: the count of a count metric, or the cases (``n``) of a level metric."""
    end = shift(p, fr.grain)
    if p < fr.first or end > fr.end:
        return "partial"
    if shift(p, fr.grain, 1 + lag) > fr.end:
        return "not_final"
    if metric_id in catalogue.WARMUP and p < fr.warmup_end:
        return "warmup"
    if not np.isfinite(value):
        return "undefined"
    # a level (ratio of amounts) is tested on its cases when the metric counts them
    n = count if kind in ("count", "level") else (den if kind in ("share", "mean") else None)
    if n is not None and n < min_n:
        return "small_n"
    return "ok"
