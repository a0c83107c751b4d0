"""Customer classes (客户分类): ordinary, high-end and repeat buyers from spend and frequency.

Rule (first match wins)
    1. ``high_end`` (高端客户): ``monetary >= spend_threshold``;
    2. ``repeat`` (重复购买客户): ``frequency >= repeat_orders``;
    3. ``ordinary`` (普通客户): everyone else.

``spend_threshold`` defaults to the 80th percentile of ``monetary`` (the top fifth of spenders),
``repeat_orders`` to 2 (bought more than once).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CLASSES = ("high_end", "repeat", "ordinary")


def customer_classes(
    summary: pd.DataFrame,
    spend_threshold: float | None = None,
    repeat_orders: int = 2,
) -> pd.Series:
    """Class of each customer of an RFM summary (columns ``frequency``, ``monetary``)."""
    if spend_threshold is None:
        spend_threshold = float(summary["monetary"].quantile(0.8)) if len(summary) else 0.0
    cls = np.where(
        summary["monetary"] >= spend_threshold,
        "high_end",
        np.where(summary["frequency"] >= repeat_orders, "repeat", "ordinary"),
    )
    return pd.Series(cls, index=summary.index, name="customer_class")
