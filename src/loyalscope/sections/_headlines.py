"""Headline numbers over meaningful periods.

A metric's per-period series becomes two headline numbers:

- the **whole analysis window**: every full period pooled, ``sum(numerator) / sum(denominator)``
  (for a monthly rate, the rate of the average month, weighted by its denominator), for metrics
  whose value is their ratio (a median or a p90 cannot be pooled and has no window figure:
  :data:`NOT_POOLABLE`);
- the **last full period**, with its change against the period before and against the same
  period a year earlier (``Number.changes``).

A period is *partial* when the data do not cover it entirely: the first one when the data start
after its first day, the last one when the analysis date falls before its end. Partial periods
are flagged, left out of both headlines and of the trend charts (a last month with 4 days of data
is not a collapse). A number from fewer than ``[analysis] min_n`` cases is flagged
``small_sample``; rates that are a share of counted cases carry a 95% Wilson interval.

The sample size ``n`` of a number:

- the metric's ``n`` column where it has one (metrics whose denominator is an amount of money
  or points: ``pareto_share`` and ``program_redemption_rate`` count ordering customers and
  points members, ``return_amount_rate`` and ``channel_mix_spend`` orders, see
  :mod:`loyalscope.metrics.registry`);
- else the denominator where that counts cases (customers, orders, answers);
- none for :data:`NOT_COUNTS` without an ``n`` column (``silent_dissatisfied`` is a count of
  complainants times a constant: no sample behind it).

For the whole window, ``n`` is the sum over the full periods (orders, answers and the
customer-periods of a pooled customer rate: a customer counted once per period, as in the
pooled denominator), except for metrics whose ``n`` counts people who recur across periods
(:attr:`~loyalscope.metrics.registry.Metric.window_n`): there the caller passes the distinct
customers or members over the full periods, computed in the engine (``window_n``), so a
Pareto share of 10 customers over 12 months is a number from 10 customers, not 120.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.intervals import wilson_interval
from loyalscope.metrics._base import _OFFSET
from loyalscope.metrics.registry import Wording
from loyalscope.report.format import fmt_period
from loyalscope.results import Flag, Number, Phrase, Unit

#: Rates that are a share of counted cases (k of n, k <= n): Wilson intervals.
PROPORTIONS = frozenset({
    "repeat_purchase_rate", "repurchase_rate", "retention_rate_std", "retention_rate_seed",
    "reactivation_rate", "churn_rate", "join_rate", "renewal_rate", "renewal_rate_seed",
    "complaint_rate", "return_rate", "complaint_resolution_rate", "post_complaint_repurchase",
    "referral_rate", "referral_conversion_rate", "switching_rate", "csat_top2", "mention_rate",
    "member_repeat_rate",
})
#: Metrics whose denominator is an amount (money, points) or a constant, not a number of cases:
#: their sample size is their ``n`` column (none without one).
NOT_COUNTS = frozenset({"pareto_share", "return_amount_rate", "program_redemption_rate",
                        "silent_dissatisfied", "channel_mix_spend"})


@dataclass(frozen=True)
class Window:
    """The data's first day and the analysis date (exclusive end)."""

    start: date
    end: date


def partial_mask(periods: pd.Series, grain: str, window: Window) -> np.ndarray:
    """True where the period is not fully inside ``[window.start, window.end)``."""
    starts = pd.to_datetime(periods)
    ends = starts + _OFFSET[grain]
    return ((starts < pd.Timestamp(window.start)) | (ends > pd.Timestamp(window.end))).to_numpy()


def full_periods(df: pd.DataFrame, grain: str, window: Window) -> pd.DataFrame:
    """The rows of a metric series whose period is fully covered by the data."""
    if df.empty:
        return df
    return df[~partial_mask(df.period, grain, window)]


#: Metrics whose value is not numerator / denominator (a median, a quantile, an estimate built
#: on a ratio): their periods cannot be pooled, so they have no whole-window figure.
NOT_POOLABLE = frozenset({"interpurchase_interval_median", "resolution_time", "resolution_time_p90",
                          "clv_simple", "silent_dissatisfied"})
#: value = factor x numerator / denominator.
FACTORS = {"complaints_per_1000_orders": 1000.0}


def _ratio_factor(metric_id: str) -> float | None:
    """The constant c with value = c x numerator / denominator, or None when not a ratio."""
    return None if metric_id in NOT_POOLABLE else FACTORS.get(metric_id, 1.0)


def _n(metric_id: str, denominator: float, cases: float | None = None) -> int | None:
    """The sample size: ``cases`` (the metric's ``n``) when given, else the denominator where
    it counts cases, else None."""
    if cases is not None and not pd.isna(cases):
        return int(cases)
    return None if metric_id in NOT_COUNTS else round(denominator)


def _flags(n: int | None, min_n: int, partial: bool = False) -> list[Flag]:
    flags: list[Flag] = ["small_sample"] if n is not None and n < min_n else []
    return [*flags, "partial_period"] if partial else flags


def _interval(metric_id: str, num: float, den: float) -> tuple[float, float] | None:
    if metric_id not in PROPORTIONS or not 0 <= num <= den:
        return None
    return wilson_interval(num, den)


def full_span(df: pd.DataFrame, grain: str, window: Window) -> tuple[date, date] | None:
    """``[start, end)`` of the full periods of a metric series (None without one): the dates the
    whole-window number covers."""
    full = full_periods(df, grain, window)
    if full.empty:
        return None
    end = pd.Timestamp(full.period.max()) + _OFFSET[grain]
    return pd.Timestamp(full.period.min()).date(), end.date()


def headline_numbers(metric_id: str, df: pd.DataFrame, grain: str, window: Window, unit: Unit | None,
                     min_n: int, window_n: int | None = None, words: Wording | None = None
                     ) -> tuple[list[Number], dict[str, Any]]:
    """The whole-window and last-full-period numbers of one metric series, and its data record.

    ``window_n``: the whole window's sample size when the series' ``n`` is not additive across
    periods (distinct customers or members over :func:`full_span`); else the sum of ``n`` over
    the full periods is used (see the module docstring). ``words``: the metric's name and
    definition on the data (:func:`loyalscope.metrics.wording`; default ``metrics.<id>.*``).
    """
    words = words or Wording.of(f"metrics.{metric_id}")
    full = full_periods(df, grain, window)
    has_n = "n" in df.columns
    numbers: list[Number] = []
    data: dict[str, Any] = {}
    factor = _ratio_factor(metric_id) if len(full) else None
    if factor is not None:
        num, den = float(full.numerator.sum()), float(full.denominator.sum())
        value = factor * num / den if den else None
        cases = window_n if window_n is not None else (float(full.n.sum()) if has_n else None)
        n = _n(metric_id, den, cases)
        span = {"start": str(full.period.min()), "end": str(full.period.max()), "periods": len(full)}
        numbers.append(Number(
            label="metrics.section.window_value", value=value, unit=unit, metric_id=metric_id,
            numerator=num, denominator=den, n=n, interval=_interval(metric_id, num, den),
            interval_method="wilson" if _interval(metric_id, num, den) else None,
            flags=_flags(n, min_n), period=f"{span['start']}/{(pd.Timestamp(full.period.max()) + _OFFSET[grain]).date()}",
            formula=words.formula, label_kw={"metric": words.name}, note="metrics.section.window_note",
            note_kw={**span, "start": fmt_period(full.period.min(), grain), "end": fmt_period(full.period.max(), grain),
                     "grain": f"metrics.grain.{grain}"}))
        data["window"] = {**span, "value": value, "numerator": num, "denominator": den, "n": n}
    rows = full.dropna(subset=["value"]) if len(full) else full
    partial = False
    if rows.empty:  # no full period with a value: the latest period, flagged partial
        rows, partial = df.dropna(subset=["value"]), True
        if rows.empty:
            return numbers, data
    last = rows.iloc[-1]
    p = pd.Timestamp(last.period)
    value = float(last.value)
    by_period = df.set_index(pd.to_datetime(df.period)).value
    changes = {"previous": _change(value, by_period, p - _OFFSET[grain]),
               "year_ago": _change(value, by_period, p - pd.DateOffset(years=1))}
    n = _n(metric_id, float(last.denominator), float(last.n) if has_n else None)
    interval = _interval(metric_id, float(last.numerator), float(last.denominator))
    numbers.append(Number(
        label=words.name, value=value, unit=unit, metric_id=metric_id, formula=words.formula,
        numerator=float(last.numerator), denominator=float(last.denominator), n=n,
        interval=interval, interval_method="wilson" if interval else None, flags=_flags(n, min_n, partial),
        period=p.date().isoformat(), changes=changes, note="metrics.section.last_period_note",
        note_kw={"period": fmt_period(p, grain), "previous": _versus("previous", changes["previous"], unit),
                 "year_ago": _versus("year_ago", changes["year_ago"], unit)}))
    data.update(period=p.date().isoformat(), value=value, numerator=float(last.numerator),
                denominator=float(last.denominator), reason=last.reason, n=n, changes=changes,
                partial=partial, interval=list(interval) if interval else None)
    return numbers, data


def _change(value: float, series: pd.Series, at: pd.Timestamp) -> float | None:
    if at not in series.index or pd.isna(series[at]):
        return None
    return value - float(series[at])


def _versus(against: str, change: float | None, unit: Unit | None) -> Phrase:
    """A change against the period before (``against="previous"``) or a year earlier
    (``"year_ago"``) as a phrase for the note: percentage points for shares, else the number;
    a phrase saying the data have no such period when ``change`` is None."""
    if change is None:
        return Phrase(f"metrics.section.no_{against}")
    text: str | Phrase = f"{change:+,.4g}"
    if unit == "percent":
        text = Phrase("metrics.section.change_pp", {"value": f"{100 * change:+.1f}"})
    return Phrase(f"metrics.section.vs_{against}", {"change": text})
