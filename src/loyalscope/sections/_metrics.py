"""Helpers shared by the metric-based sections: headline numbers and trend frames."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from loyalscope.errors import InsufficientDataError, LoyalscopeError
from loyalscope.i18n import t
from loyalscope.metrics import REGISTRY, compute
from loyalscope.metrics._base import _OFFSET
from loyalscope.results import Chart, Number, Section, Unit

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


def last_full(frame: pd.DataFrame, grain: str, analysis_date: date) -> date | None:
    """The latest period that ended by the analysis date (else the latest period)."""
    if frame.empty:
        return None
    periods = sorted(set(frame.period))
    full = [p for p in periods if (pd.Timestamp(p) + _OFFSET[grain]).date() <= analysis_date]
    return (full or periods)[-1]


def headline(ds: Dataset, ctx: SectionContext, section: Section, ids: list[str]
             ) -> dict[str, pd.DataFrame]:
    """Add one Number per computable metric (latest full period); return the series."""
    grain = ctx.config.analysis.period
    series: dict[str, pd.DataFrame] = {}
    for mid in computable(ds, ids):
        try:
            df = compute(ds, mid, period=grain)
        except LoyalscopeError:
            continue
        series[mid] = df
        if REGISTRY[mid].breakdown:
            continue
        p = last_full(df, grain, ds.analysis_date)
        if p is None:
            continue
        row = df[df.period == p].iloc[0]
        value = None if pd.isna(row.value) else float(row.value)
        section.add(Number(
            label=f"metrics.{mid}.name", value=value, unit=unit(mid), metric_id=mid,
            numerator=float(row.numerator), denominator=float(row.denominator),
            note="metrics.section.latest_period", note_kw={"period": p.isoformat()},
            warn=value is None,
        ))
        if value is not None:  # latest values feed the strategy rules' gaps vs targets
            ctx.results.setdefault("metric_values", {})[mid] = value
            ctx.results.setdefault("metric_n", {})[mid] = float(row.denominator)
            ctx.results.setdefault("metric_period", {})[mid] = p
        section.data[mid] = {"period": p.isoformat(), "value": value,
                             "numerator": float(row.numerator),
                             "denominator": float(row.denominator), "reason": row.reason}
    if not series:
        raise InsufficientDataError(t("report.errors.no_metrics"), fix=t("report.errors.no_metrics_fix"))
    return series


def trend_chart(series: dict[str, pd.DataFrame], ids: list[str]) -> Chart | None:
    """A line chart of the given rate metrics over time (aggregates only)."""
    parts = [
        s.assign(metric=f"metrics.{m}.name")[["period", "metric", "value"]]
        for m, s in series.items() if m in ids and not s.empty
    ]
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)
    return Chart(kind="line", title="metrics.section.trend_chart", frame=frame, x="period",
                 y="value", color="metric", translate_values=("metric",),
                 labels={"period": "metrics.section.period", "value": "metrics.section.value"},
                 options={"percent_y": all(REGISTRY[m].percent for m in ids if m in series)})
