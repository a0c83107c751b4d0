"""Per-customer facts shared by the loyalty-index indicators and the excellent-customer inputs,
computed in the engine in one query and memoised on the dataset.

Both :func:`loyalscope.indices.indicators.loyalty_indicators` and
:func:`loyalscope.indices.excellent_inputs.excellent_inputs` aggregate the same tables per
customer before the same cut-off (orders, category lines, survey answers); reading them once
saves a pass over the orders and the order lines (the loyalty-index step at 10M orders).

Columns (only rows before ``as_of``; absent when their source is absent), indexed by
``customer_id`` as text and sorted by it, one row per customer with an order before ``as_of``:

- ``first_ts``, ``last_ts``: first and last order time; ``orders``: orders;
- ``recent``, ``prior``: orders in ``[as_of - h, as_of)`` and ``[as_of - 2h, as_of - h)``,
  ``h = half_window`` days;
- ``revenue``: exact sum of ``amount`` (:func:`~loyalscope.metrics._base.money_sum`);
  ``margin`` likewise; ``channels``: distinct channels ordered through;
- ``categories``: distinct categories bought (order lines, else the orders' category; 0 for a
  customer without one);
- ``n_surveys``, ``recommendation`` (mean ``nps``, else mean ``recommend_intent``) and the mean
  answer of each survey indicator column (``share_of_wallet`` ... ``csat``, as float);
- ``n_complaints``, ``n_feedback`` (interactions of kind ``feedback``), ``n_referrals``
  (referrals made): null for a customer without any.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics._base import (
    CATEGORIES,
    category_lines,
    collect_by_customer,
    join_by_customer,
    money_sum,
)

SURVEY_COLUMNS = ("share_of_wallet", "mention_unprompted", "price_sensitivity", "voluntary", "csat")
"""Survey answers averaged per customer (the survey indicators of the loyalty index)."""
RECOMMENDATION = ("nps", "recommend_intent")
"""The recommendation answer: the first of these the surveys have."""


def customer_facts(ds: Dataset, as_of: date | None = None, half_window: int = 180) -> pd.DataFrame:
    """The facts above per customer, computed once per dataset, ``as_of`` and ``half_window``
    (callers must not modify the frame: it is shared)."""
    as_of = as_of or ds.analysis_date
    return ds.memo(("customer_facts", as_of, half_window),
                   lambda: _collect(ds, as_of, half_window))


def _by_customer(tbl: ibis.Table, **aggs: ibis.Expr) -> ibis.Table:
    return tbl.group_by("customer_id").aggregate(**aggs)


def _collect(ds: Dataset, as_of: date, half_window: int) -> pd.DataFrame:
    cut = datetime.combine(as_of, datetime.min.time())
    mid = cut - timedelta(days=half_window)
    start = mid - timedelta(days=half_window)
    tx = ds.table("transactions", "customer_id", "order_ts")
    tx = tx.filter(tx.order_ts < cut)
    aggs = {
        "first_ts": tx.order_ts.min(),
        "last_ts": tx.order_ts.max(),
        "orders": tx.count(),
        "recent": (tx.order_ts >= mid).sum(),
        "prior": ((tx.order_ts >= start) & (tx.order_ts < mid)).sum(),
    }
    for col in ("amount", "margin"):
        if col in tx.columns:
            aggs["revenue" if col == "amount" else col] = money_sum(tx[col])
    parts: list[ibis.Table] = []
    if "channel" in tx.columns:
        # distinct pairs counted in a grouping of their own: a distinct count inside the
        # orders' aggregate made DuckDB keep a distinct set per customer (2.5x the time)
        pairs = tx.select("customer_id", "channel").distinct()
        parts.append(_by_customer(pairs, channels=pairs.channel.count()))
    if not ds.missing((CATEGORIES,)):  # categories of the order lines when there are any
        cl = category_lines(ds)
        cl = cl.filter(cl.order_ts < cut)
        parts.append(_by_customer(cl, categories=cl.category.nunique()))
    if ds.has("surveys"):
        sv = ds.linked_answers("answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        sv_aggs = {"n_surveys": sv.count()}
        rec = next((c for c in RECOMMENDATION if c in sv.columns), None)
        if rec is not None:
            sv_aggs["recommendation"] = sv[rec].cast("float64").mean()
        for c in SURVEY_COLUMNS:
            if c in sv.columns:
                sv_aggs[c] = sv[c].cast("float64").mean()
        parts.append(_by_customer(sv, **sv_aggs))
    if ds.has("complaints"):
        cp = ds.table("complaints", "customer_id", "opened_ts")
        cp = cp.filter(cp.opened_ts < cut)
        parts.append(_by_customer(cp, n_complaints=cp.count()))
    if ds.has("interactions"):
        it = ds.table("interactions", "customer_id", "ts", "kind")
        it = it.filter((it.ts < cut) & (it.kind == "feedback"))
        parts.append(_by_customer(it, n_feedback=it.count()))
    if ds.has("referrals"):
        rf = ds.table("referrals", "referrer_id", "referred_ts")
        rf = rf.filter(rf.referred_ts < cut)
        parts.append(rf.group_by(customer_id=rf.referrer_id).aggregate(n_referrals=rf.count()))
    # one query: the per-customer aggregates joined in the engine, collected once
    df = collect_by_customer(join_by_customer(_by_customer(tx, **aggs), *parts), ds)
    for c in ("categories", "channels"):
        if c in df:
            df[c] = df[c].fillna(0)
    df.index.name = "customer_id"
    return df


def timestamps(values: pd.Series) -> pd.Series:
    """``values`` as ``datetime64``: unchanged when they already are (``pd.to_datetime`` would
    look for repeated values through Python objects first), else converted."""
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values
    return pd.to_datetime(values)
