"""The inactivity window: after how many days without an order a customer counts as churned.

One window serves every churn figure of an analysis (the churn rate, the survival curve, the
churn-risk label, churned vs retained comparisons), so they tell one story. It is
``[analysis] inactivity_days`` when given; otherwise it comes from the data: the
``[analysis] inactivity_quantile`` (0.9 by default) of the days between a customer's consecutive
purchase days, over all customers, rounded up to whole days. With 0.9, nine in ten repeat
purchases happen sooner than the window, so a customer silent for longer has, by the shop's own
rhythm, probably stopped buying. With fewer than :data:`MIN_GAPS` repeat purchases the quantile
is not meaningful and :data:`DEFAULT_DAYS` is used; the report says which of the three applied.

The quantile is computed in the engine, from the customer-days table of
:func:`loyalscope.metrics.days.customer_days` (each day's previous purchase day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from loyalscope.metrics._base import epoch_days
from loyalscope.metrics.days import customer_days

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

#: Fewest inter-purchase gaps for a data-driven window.
MIN_GAPS = 30
#: Window used when the data have too few repeat purchases to measure one.
DEFAULT_DAYS = 180


@dataclass(frozen=True)
class InactivityWindow:
    """The window in days, where it came from and what it rests on."""

    days: int
    source: Literal["config", "data", "default"]
    """"config": ``[analysis] inactivity_days``; "data": the quantile of inter-purchase times;
    "default": :data:`DEFAULT_DAYS`, the data having too few repeat purchases."""
    quantile: float
    gaps: int
    """Inter-purchase gaps (consecutive purchase days of one customer) in the data."""
    median_gap: float | None
    """Median gap in days, for the report's explanation (None without gaps)."""

    def to_dict(self) -> dict[str, object]:
        return {"days": self.days, "source": self.source, "quantile": self.quantile,
                "gaps": self.gaps, "median_gap": self.median_gap}


def inactivity_window(ds: Dataset) -> InactivityWindow:
    """The analysis's inactivity window (memoised on the dataset per configuration)."""
    cfg = ds.config.analysis
    key = ("inactivity_window", cfg.inactivity_days, cfg.inactivity_quantile)
    return ds.memo(key, lambda: _compute(ds, cfg.inactivity_days, cfg.inactivity_quantile))


def inactivity_days(ds: Dataset) -> int:
    """Shorthand for ``inactivity_window(ds).days``."""
    return inactivity_window(ds).days


def _compute(ds: Dataset, configured: int | None, q: float) -> InactivityWindow:
    days = customer_days(ds)
    days = days.filter(days.prev.notnull())
    gaps = days.select(gap=epoch_days(days.d) - epoch_days(days.prev))
    stats = gaps.aggregate(n=gaps.count(), qv=gaps.gap.quantile(q), med=gaps.gap.quantile(0.5)).execute().iloc[0]
    n = int(stats["n"] or 0)
    median = float(stats["med"]) if n else None
    if configured is not None:
        return InactivityWindow(int(configured), "config", q, n, median)
    if n < MIN_GAPS:
        return InactivityWindow(DEFAULT_DAYS, "default", q, n, median)
    return InactivityWindow(max(1, math.ceil(float(stats["qv"]))), "data", q, n, median)
