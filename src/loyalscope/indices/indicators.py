"""The loyalty-index indicators A11-A34 per customer, computed in the engine from a Dataset.

Only rows before ``as_of`` are used. A13 compares the orders of the last ``half_window`` days
with those of the ``half_window`` days before. Survey indicators are each customer's mean
answer (``mention_unprompted`` as the share of "yes"). Columns whose source is absent are not
returned (the index drops them with a note).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics._base import (
    CATEGORIES,
    category_lines,
    collect_by_customer,
    join_by_customer,
)

SURVEY_INDICATORS = {"A21": "share_of_wallet", "A31": "mention_unprompted",
                     "A32": "price_sensitivity", "A33": "voluntary", "A34": "csat"}


def loyalty_indicators(ds: Dataset, as_of: date | None = None, half_window: int = 180) -> pd.DataFrame:
    """Indicators indexed by ``customer_id`` (customers with an order before ``as_of``)."""
    as_of = as_of or ds.analysis_date
    cut = datetime.combine(as_of, datetime.min.time())
    mid = cut - timedelta(days=half_window)
    start = mid - timedelta(days=half_window)
    tx = ds.table("transactions", "customer_id", "order_ts")
    tx = tx.filter(tx.order_ts < cut)
    aggs = {
        "first_ts": tx.order_ts.min(),
        "last_ts": tx.order_ts.max(),
        "A12": tx.count(),
        "recent": (tx.order_ts >= mid).sum(),
        "prior": ((tx.order_ts >= start) & (tx.order_ts < mid)).sum(),
    }
    parts = []
    if not ds.missing((CATEGORIES,)):  # categories of the order lines when there are any
        cl = category_lines(ds)
        cl = cl.filter(cl.order_ts < cut)
        parts.append(cl.group_by("customer_id").aggregate(A22=cl.category.nunique()))
    survey: list[str] = []
    if ds.has("surveys"):
        sv = ds.table("surveys", "customer_id", "answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        cols = {k: v for k, v in SURVEY_INDICATORS.items() if v in sv.columns}
        if cols:
            parts.append(sv.group_by("customer_id").aggregate(
                **{k: sv[v].cast("float64").mean() for k, v in cols.items()}))
            survey = list(cols)
    # one query: the per-customer aggregates joined in the engine, collected once
    df = collect_by_customer(join_by_customer(tx.group_by("customer_id").aggregate(**aggs), *parts))
    if "A22" in df:
        df["A22"] = df["A22"].fillna(0)
    df["A11"] = (pd.to_datetime(df.last_ts) - pd.to_datetime(df.first_ts)).dt.total_seconds() / 86400
    df["A13"] = df["recent"].astype(float) - df["prior"].astype(float)
    df["A12"] = df["A12"].astype(float)
    out = df[[c for c in ("A11", "A12", "A13", "A22", *survey) if c in df]]
    out.index.name = "customer_id"
    return out[sorted(out.columns)]  # sorted by customer: means do not depend on the engine's order


