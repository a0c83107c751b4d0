"""What the monitor knows about each metric of the catalogue beyond its formula: which change
is bad, how long until a period's value is final, what its denominator counts, its bounds.

Every headline metric (a metric of the registry with one value per period, i.e. without a
``breakdown`` column) is monitored unless listed in :data:`OPEN_ENDED`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from loyalscope.metrics import REGISTRY
from loyalscope.monitoring.baseline import Kind

Direction = Literal["down", "up", "both"]

UP_IS_BAD: frozenset[str] = frozenset({
    "churn_rate", "complaint_rate", "complaints_per_1000_orders", "return_rate",
    "return_amount_rate", "resolution_time", "resolution_time_p90", "silent_dissatisfied",
    "interpurchase_interval", "interpurchase_interval_median",
})
"""Metrics where a rise is the bad change (for every other metric a fall is)."""
BOTH_BAD: frozenset[str] = frozenset({"pareto_share", "program_redemption_rate"})
"""Metrics where a change either way is worth a full alert (concentration of revenue,
points liability)."""

LAG: dict[str, int] = {
    "return_rate": 1, "return_amount_rate": 1, "complaint_resolution_rate": 1,
    "resolution_time": 1, "resolution_time_p90": 1, "referral_conversion_rate": 1,
}
"""Full periods after a period's end before its value is final: returns arrive after the
order, complaints are resolved and referrals convert after they were opened."""
OPEN_ENDED: frozenset[str] = frozenset({"post_complaint_repurchase"})
"""Metrics whose value for a period keeps changing as long as later data arrives (a
repurchase at any time after the complaint): recent periods always look worse than old
ones, so they are not monitored unless ``[monitor.metrics.<id>] lag`` is set."""
WARMUP: frozenset[str] = frozenset({
    "churn_rate", "retention_rate_std", "retention_rate_seed", "clv_simple",
})
"""Metrics defined through the inactivity window: periods that start less than
``[analysis] inactivity_days`` after the first order are not comparable (nobody can have
churned yet) and are neither checked nor learnt from."""
COUNTS: dict[str, str | None] = {
    "orders": None, "buyers": None, "new_customers": None, "silent_dissatisfied": "iceberg_ratio",
}
"""Count metrics, with the ``[analysis]`` setting their count is multiplied by (if any)."""
NO_UNITS: frozenset[str] = frozenset({
    "pareto_share", "return_amount_rate", "program_redemption_rate", "revenue",
})
"""Amounts and ratios of amounts (yuan, points): their denominator counts no customers, orders
or answers, so no segment check; the small-sample test uses the metric's ``n`` column (ordering
customers, orders, points members) where it has one (see :mod:`loyalscope.monitoring.series`)."""
PER_DAY: frozenset[str] = frozenset({
    "orders", "revenue", "buyers", "new_customers", "silent_dissatisfied",
})
"""Volumes that grow with the length of the period: tracked per calendar day, so that a
28-day February is not a fall against a 31-day January."""
ADDITIVE: frozenset[str] = PER_DAY
"""Metrics whose segments add up to the total (drivers weigh every segment by 1)."""
SIGNED: frozenset[str] = frozenset({"competitor_gap", "frequency_trend", "clv_simple"})
"""Non-percentage metrics that can be negative."""
SCORES: frozenset[str] = frozenset({"satisfaction_score", "recommend_index_seed",
                                    "loyalty_index_seed"})
"""Scores on 0-100 (mean answer / scale top x 100): their expected ranges end at 100."""


SEGMENT_CHECKED: frozenset[str] = frozenset({
    "orders", "buyers", "new_customers", "repurchase_rate", "repeat_purchase_rate",
    "purchase_frequency", "order_value", "churn_rate", "complaint_rate", "return_rate", "nps",
    "csat_top2",
})
"""Metrics whose segments are checked by default: the volumes and the rates a CRM team acts
on. Every segment check is one more test, so checking every segment of every metric would
trade sensitivity for false alarms (and time)."""


def headline_ids() -> list[str]:
    """Every metric of the registry with one value per period, in registry order."""
    return [m.id for m in REGISTRY.values() if m.breakdown is None]


def direction(metric_id: str) -> Direction:
    """Which change is bad by default."""
    if metric_id in BOTH_BAD:
        return "both"
    return "up" if metric_id in UP_IS_BAD else "down"


def bounds(metric_id: str) -> tuple[float | None, float | None]:
    """Range a value can take (expected ranges are clipped to it)."""
    if metric_id == "nps":
        return (-1.0, 1.0)
    if metric_id in SIGNED:
        return (None, None)
    if metric_id == "return_amount_rate":
        return (0.0, None)
    if metric_id in SCORES:
        return (0.0, 100.0)
    return (0.0, 1.0) if REGISTRY[metric_id].percent else (0.0, None)


def kind(metric_id: str, frame: pd.DataFrame) -> Kind:
    """Spread model of a metric's series (see :mod:`loyalscope.monitoring.baseline`):

    - ``count`` for :data:`COUNTS`, ``level`` for :data:`NO_UNITS`;
    - ``share`` for a percentage whose numerators are whole counts between 0 and the
      denominator and whose value is their ratio (a binomial-type rate);
    - ``mean`` otherwise (a mean over the units of the denominator).
    """
    if metric_id in COUNTS:
        return "count"
    if metric_id in NO_UNITS:
        return "level"
    if not REGISTRY[metric_id].percent:
        return "mean"
    num = frame["numerator"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    val = frame["value"].to_numpy(dtype=float)
    ok = np.isfinite(num) & np.isfinite(val) & (den > 0)
    if not ok.any():
        return "share"
    num, den, val = num[ok], den[ok], val[ok]
    whole = np.all(num == np.round(num)) and np.all(den == np.round(den))
    inside = np.all(num >= 0) and np.all(num <= den)
    ratio = np.allclose(val, num / den, rtol=1e-9, atol=1e-12)
    return "share" if whole and inside and ratio else "mean"
