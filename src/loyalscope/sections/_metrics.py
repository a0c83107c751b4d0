"""Helpers shared by the metric-based sections: headline numbers and trend frames (periods and\nflags: :mod:`loyalscope.sections._headlines`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from loyalscope.errors import DataQualityError, InsufficientDataError, LoyalscopeError
from loyalscope.i18n import t
from loyalscope.metrics import REGISTRY, compute, wording
from loyalscope.metrics.registry import MetricContext
from loyalscope.results import Chart, Phrase, Section, Text, Unit
from loyalscope.sections._headlines import Window, full_periods, full_span, headline_numbers

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset
    from loyalscope.sections.context import SectionContext

UNITS: dict[str, Unit] = {
    "purchase_frequency": "ratio", "purchase_amount": "currency", "order_value": "currency",
    "interpurchase_interval": "days", "interpurchase_interval_median": "days",
    "relationship_duration": "days", "frequency_trend": "ratio", "cross_selling": "ratio",
    "resolution_time": "hours", "resolution_time_p90": "hours",
    "complaints_per_1000_orders": "ratio", "silent_dissatisfied": "count",
    "interaction_frequency": "ratio", "clv_simple": "currency",
}


def unit(metric_id: str) -> Unit:
    return "percent" if REGISTRY[metric_id].percent else UNITS.get(metric_id, "ratio")


def computable(ds: Dataset, ids: list[str]) -> list[str]:
    return [m for m in ids if m in REGISTRY and not ds.missing(REGISTRY[m].requires)]


def data_window(ds: Dataset) -> Window:
    """The first day of the data (first order; else the first survey answer) and the analysis date."""
    end = ds.analysis_date
    for table, col in (("transactions", "order_ts"), ("surveys", "answered_ts")):
        if ds.has(table):
            first = ds.table(table, col)[col].min().execute()
            if first is not None and not pd.isna(first):
                return Window(pd.Timestamp(first).date(), end)
    return Window(end, end)


def headline(ds: Dataset, ctx: SectionContext, section: Section, ids: list[str]
             ) -> dict[str, pd.DataFrame]:
    """Add the headline numbers of every computable metric (the whole window pooled over full
    periods, and the last full period with its changes; see :mod:`loyalscope.sections._headlines`);
    return the series. A metric whose input does not fit its declared scale is replaced by a
    warning that says why."""
    grain = ctx.config.analysis.period
    window = data_window(ds)
    series: dict[str, pd.DataFrame] = {}
    for mid in computable(ds, ids):
        try:
            df = compute(ds, mid, period=grain)
        except DataQualityError as exc:
            section.add(Text("metrics.section.refused", {"metric": wording(mid, ds).name, "reason": Phrase.from_message(exc.message),
                                                          "fix": exc.fix or ""}, style="warning"))
            continue
        except LoyalscopeError:
            continue
        series[mid] = df
        if REGISTRY[mid].breakdown:
            continue
        numbers, data = headline_numbers(mid, df, grain, window, unit(mid), ctx.config.analysis.min_n,
                                         _window_n(ds, mid, df, grain, window), wording(mid, ds))
        if not numbers:
            continue
        section.add(*numbers)
        if data.get("value") is not None:  # latest values feed the strategy rules' gaps vs targets
            ctx.results.setdefault("metric_values", {})[mid] = data["value"]
            if data.get("n") is not None:  # cases, never an amount of money (a binomial SE's n)
                ctx.results.setdefault("metric_n", {})[mid] = float(data["n"])
            if not data.get("partial"):  # the summary compares full periods only
                ctx.results.setdefault("metric_period", {})[mid] = pd.Timestamp(data["period"]).date()
        section.data[mid] = data
    if not series:
        raise InsufficientDataError(t("report.errors.no_metrics"), fix=t("report.errors.no_metrics_fix"))
    ctx.results.setdefault("data_window", window)
    return series


def _window_n(ds: Dataset, metric_id: str, df: pd.DataFrame, grain: str, window: Window) -> int | None:
    """Distinct cases (customers, members) over the full periods of ``df``, for a metric whose
    per-period ``n`` does not add up across periods (``Metric.window_n``); None otherwise."""
    count = REGISTRY[metric_id].window_n
    span = full_span(df, grain, window) if count is not None else None
    if count is None or span is None:
        return None
    key = ("window_n", metric_id, grain, span)
    return int(ds.memo(key, lambda: count(ds, MetricContext(period=grain, window=span)).execute()))  # type: ignore[arg-type]


def trend_chart(series: dict[str, pd.DataFrame], ids: list[str], window: Window | None = None,
                grain: str = "month") -> Chart | None:
    """A line chart of the given rate metrics over time (aggregates only); with ``window``, over
    the full periods only (the chart notes that partial ones are left out)."""
    parts = [
        s.assign(metric=f"metrics.{m}.name")[["period", "metric", "value"]]
        for m, s in series.items() if m in ids and not s.empty
    ]
    if window is not None:  # partial first and last periods are not trends
        parts = [full_periods(p, grain, window) for p in parts]
        parts = [p for p in parts if not p.empty]
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)
    return Chart(kind="line", title="metrics.section.trend_chart", frame=frame, x="period",
                 y="value", color="metric", translate_values=("metric",),
                 labels={"period": "metrics.section.period", "value": "metrics.section.value"},
                 options={"percent_y": all(REGISTRY[m].percent for m in ids if m in series)},
                 note="metrics.section.full_periods_only" if window is not None else None)
