"""Behavioural loyalty (行为忠诚): frequency, spend, repeat and repurchase, intervals, breadth.

Formulas are in ``../shared/spec/metrics.md`` ("Behavioural loyalty") and in the i18n
catalogues (``metrics.<id>.formula``).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from loyalscope.metrics._base import (
    CATEGORIES,
    _period_code,
    cases,
    category_lines,
    customer_periods,
    epoch_days,
    f64,
    first_orders,
    group_mask,
    group_values,
    in_periods,
    ind,
    keys,
    money_sum,
    orders,
    period_index,
    ratio,
    ratio_schema,
    share_sum,
    shared,
    with_group,
)
from loyalscope.metrics.days import customer_days
from loyalscope.metrics.registry import Metric, MetricContext, register
from loyalscope.metrics.scales import check_scale

TX = ("transactions",)


def _per_customer(ds, ctx: MetricContext) -> ibis.Table:
    return customer_periods(ds, ctx)


def purchase_frequency(ds, ctx: MetricContext) -> ibis.Table:
    """Orders per ordering customer: orders / distinct customers with an order in the period."""
    pc = _per_customer(ds, ctx)
    return ratio(pc, ctx, pc.n.sum(), pc.customer_id.count())


def purchase_frequency_distribution(ds, ctx: MetricContext) -> ibis.Table:
    """Share of ordering customers by orders in the period, in the buckets 1, 2, 3-5, >5
    (the documents quote "30% bought once, 10% more than 5 times")."""
    pc = _per_customer(ds, ctx)
    pc = pc.mutate(orders_bucket=ibis.cases(
        (pc.n == 1, "1"), (pc.n == 2, "2"), (pc.n <= 5, "3-5"), else_=">5"
    ))
    by_b = pc.group_by(keys(ctx, "orders_bucket")).aggregate(numerator=f64(pc.n.count()))
    tot = pc.group_by(keys(ctx)).aggregate(denominator=f64(pc.n.count()))
    return by_b.inner_join(tot, keys(ctx))


def purchase_amount(ds, ctx: MetricContext) -> ibis.Table:
    """Spend per ordering customer: total amount / distinct customers with an order."""
    pc = _per_customer(ds, ctx)
    return ratio(pc, ctx, money_sum(pc.spend), pc.customer_id.count())


def order_value(ds, ctx: MetricContext) -> ibis.Table:
    """Mean order value: total amount / orders."""
    pc = _per_customer(ds, ctx)  # exact spend per customer and period, summed exactly
    return ratio(pc, ctx, money_sum(pc.spend), pc.n.sum())


def repeat_purchase_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Customers with >= 2 orders in the period / customers with >= 1 order."""
    pc = _per_customer(ds, ctx)
    return ratio(pc, ctx, ind(pc.n >= 2).sum(), pc.customer_id.count())


def repurchase_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Customers active in period t-1 who order again in t / customers active in t-1;
    reported at period t (periods after the last order are not reported)."""
    pc = _per_customer(ds, ctx)
    act = pc.select(*keys(ctx), "customer_id")
    act = act.mutate(idx=period_index(ctx, act.period))
    prev = act.select(
        customer_id=act.customer_id, pidx=act.idx + 1, **({ctx.by: act[ctx.by]} if ctx.by else {})
    )
    cur = act.select(cid2=act.customer_id, idx2=act.idx, period=act.period)
    periods = act.select(pp=act.period, ii=act.idx).distinct()
    j = prev.left_join(cur, (prev.customer_id == cur.cid2) & (prev.pidx == cur.idx2))
    j = j.select(*([ctx.by] if ctx.by else []), "pidx", back=j.cid2.notnull())
    j = j.inner_join(periods, j.pidx == periods.ii).rename(period="pp")
    return ratio(j, ctx, ind(j.back).sum(), j.pidx.count())


def _gap_counts(ds, ctx: MetricContext) -> ibis.Table:
    """Days since the customer's previous order, per order after the first (in the window),
    as counts: ``period`` (of the later order), [group], ``gap`` (days), ``c`` (orders with that
    gap, > 0); shared by the mean and the median interval.

    Without a group, or grouped by a customers attribute (a customer's group is fixed), the
    counts come from the customer-days (:func:`loyalscope.metrics.days.customer_days`): the
    first order of a day follows the previous order day (``d - prev``, when that day is in the
    window), the ``n - 1`` others follow an order of the same day (gap 0). Grouped by an orders
    column (channel), from the orders themselves, each gap in the group of the later order."""

    def build() -> ibis.Table:
        if ctx.by and ctx.by in ds.table("transactions").columns:
            tx = orders(ds, ctx, "order_id")
            w = ibis.window(group_by="customer_id", order_by=[tx.order_ts, tx.order_id])
            tx = tx.mutate(gap=epoch_days(tx.order_date) - epoch_days(tx.order_date.lag().over(w)))
            tx = tx.filter(tx.gap.notnull())
            return tx.group_by(keys(ctx, "gap")).aggregate(c=tx.count().cast("int64"))
        days = customer_days(ds)
        if ctx.window is not None:
            start, end = ctx.window
            days = days.filter((days.d >= start) & (days.d < end))
            after = days.prev.notnull() & (days.prev >= start)
        else:
            after = days.prev.notnull()
        days = with_group(ds, ctx, days.mutate(period=ctx.bucket(days.d)))
        first = days.filter(after)
        first = first.select(*keys(ctx), gap=epoch_days(first.d) - epoch_days(first.prev))
        first = first.group_by(keys(ctx, "gap")).aggregate(c=first.count().cast("int64"))
        same = days.group_by(keys(ctx)).aggregate(c=(days.n - 1).sum().cast("int64"))
        same = same.select(*keys(ctx), gap=ibis.literal(0).cast("int64"), c=same.c)
        both = first.select(*keys(ctx), gap=first.gap.cast("int64"), c=first.c).union(same)
        return both.filter(both.c > 0)

    return shared(ds, "order_gap_counts", ctx, build)


def interpurchase_interval(ds, ctx: MetricContext) -> ibis.Table:
    """Mean days between consecutive orders of a customer (reported in the period of the later
    order): sum of gaps / number of gaps. Orders on the same day give a gap of 0."""
    g = _gap_counts(ds, ctx)
    return ratio(g, ctx, (g.gap * g.c).sum(), g.c.sum())


def interpurchase_interval_median(ds, ctx: MetricContext) -> ibis.Table:
    """Median days between consecutive orders (``value``); numerator and denominator as in
    :func:`interpurchase_interval`. The median of the ``N`` gaps of a period is the mean of
    the ``floor((N - 1) / 2)``-th and ``floor(N / 2)``-th smallest (0-based), taken from the
    per-gap counts (the engine's continuous median, on every engine)."""
    key = ("interpurchase_interval_median", ctx.period, ctx.window, ctx.by)
    frame = ds.memo(key, lambda: _median_frame(_gap_counts(ds, ctx).execute(), keys(ctx)))
    schema = ibis.schema({**dict(ratio_schema(ds, ctx).items()), "value": "float64"})
    return ibis.memtable(frame, schema=schema)


def _median_frame(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``by``, ``numerator`` (sum of gaps), ``denominator`` (gaps), ``value`` (median) from the
    per-gap counts (``by``, ``gap``, ``c``)."""
    counts = counts.sort_values([*by, "gap"], kind="stable")
    rows = []
    for key, grp in counts.groupby(by, dropna=False, sort=False):
        gap = grp["gap"].to_numpy(dtype=np.int64)
        c = grp["c"].to_numpy(dtype=np.int64)
        cum = np.cumsum(c)
        n = int(cum[-1])
        lo = float(gap[np.searchsorted(cum, (n - 1) // 2, side="right")])
        hi = float(gap[np.searchsorted(cum, n // 2, side="right")])
        rows.append({**dict(zip(by, key, strict=True)), "numerator": float((gap * c).sum()),
                     "denominator": float(n), "value": lo + (hi - lo) * 0.5})
    out = pd.DataFrame(rows, columns=[*by, "numerator", "denominator", "value"])
    out["period"] = pd.to_datetime(out["period"]).dt.date
    return out


def relationship_duration(ds, ctx: MetricContext) -> ibis.Table:
    """Mean relationship length in days of customers ordering in the period: their last order
    date in the period minus their first order date ever (A11)."""
    pc = _per_customer(ds, ctx)
    fo = first_orders(ds, ctx)
    j = pc.inner_join(fo, "customer_id")
    j = j.mutate(days=epoch_days(j.last) - epoch_days(j.first_date))
    return ratio(j, ctx, j.days.sum(), j.customer_id.count())


def frequency_trend(ds, ctx: MetricContext, k: int | None = None) -> ibis.Table:
    """Mean over customers of the least-squares slope of orders per period over the last ``k``
    periods ending at t (``[analysis] trend_periods``), for customers with an order in those
    ``k`` periods; missing periods count as 0 orders (A13). Reported at every period with an
    order.

    slope_c = (2 sxy_c - (k - 1) sy_c) / (2 Sxx), x = 0..k-1, Sxx = k (k^2 - 1) / 12, so the sum
    over customers is linear in the orders: sum_c 2 Sxx slope_c = sum_{i in (t-k, t]}
    (2 i - 2 t + k - 1) A_i with A_i the orders in period i. The engine returns the orders per
    period and, per customer, the spans of periods t in which they count ([i, min(next order
    period - 1, i + k - 1)] from each order period i); the per-period sums are taken from those
    few rows, so nothing is expanded per customer and period. The numerator is summed as an
    exact integer and divided once, so the result does not depend on the engine.
    """
    k = k or ds.config.analysis.trend_periods
    key = ("frequency_trend", ctx.period, ctx.window, ctx.by, k)
    frame = ds.memo(key, lambda: _frequency_trend(ds, ctx, k))
    return ibis.memtable(frame, schema=ratio_schema(ds, ctx))


def _frequency_trend(ds, ctx: MetricContext, k: int) -> pd.DataFrame:
    g = [ctx.by] if ctx.by else []
    pc = _per_customer(ds, ctx)
    pc = pc.mutate(i=period_index(ctx, pc.period))
    # a customer's series within its group: split by an orders column (channel), one customer
    # has a row per channel in a period, and a window over the customer alone took the next
    # order period from whichever channel's row came first (a result that changed with the plan)
    w = ibis.window(group_by=["customer_id", *g], order_by="i")
    sp = pc.mutate(nxt=pc.i.lead().over(w))
    sp = sp.mutate(at=ibis.least(sp.nxt.fill_null(sp.i + k), sp.i + k))
    with sp.cache() as sp:  # three small queries read it: materialise once
        per_period = sp.group_by([*g, "period", "i"]).aggregate(a=sp.n.sum()).execute()
        opens = sp.group_by([*g, "i"]).aggregate(c=sp.customer_id.count()).execute()
        closes = sp.group_by([*g, "at"]).aggregate(c=sp.customer_id.count()).execute()
    ends = per_period[["period", "i"]].drop_duplicates().sort_values("i")
    sxx2 = k * (k * k - 1) / 6.0
    rows = []
    for key in group_values(g, per_period):
        sel = [group_mask(f, g, key) for f in (per_period, opens, closes)]
        a = per_period[sel[0]].set_index("i")["a"]
        delta = (opens[sel[1]].groupby("i")["c"].sum()
                 .sub(closes[sel[2]].groupby("at")["c"].sum(), fill_value=0))
        for t, period in zip(ends.i, ends.period, strict=True):
            count = int(delta[delta.index <= t].sum())
            if count == 0:
                continue
            win = a[(a.index > t - k) & (a.index <= t)]
            m2 = int(((2 * win.index.to_numpy() - 2 * t + k - 1) * win.to_numpy()).sum())
            rows.append({"period": period, **dict(zip(g, key, strict=True)),
                         "numerator": m2 / sxx2, "denominator": float(count)})
    out = pd.DataFrame(rows, columns=["period", *g, "numerator", "denominator"])
    out["period"] = pd.to_datetime(out["period"]).dt.date
    return out


def share_of_wallet(ds, ctx: MetricContext) -> ibis.Table:
    """Mean stated share of wallet of survey answers in the period (A21)."""
    check_scale(ds, "share_of_wallet")  # a share in [0, 1]; percentages (48.6) are refused
    s = in_periods(ds, ctx, ds.table("surveys", "customer_id", "answered_ts", "share_of_wallet"),
                   "answered_ts")
    # exact sum: a float sum changed in the last bits with the engine's order of rows
    return ratio(s, ctx, share_sum(s.share_of_wallet), s.share_of_wallet.count())


def cross_selling(ds, ctx: MetricContext) -> ibis.Table:
    """Distinct categories per ordering customer, mean over customers (A22). Categories come
    from the order lines when there are any (an order of tea and cups is two categories)."""
    tx = in_periods(ds, ctx, category_lines(ds), "order_ts")
    pc = tx.group_by([*keys(ctx), "customer_id"]).aggregate(c=tx.category.nunique())
    return ratio(pc, ctx, pc.c.sum(), pc.customer_id.count())


def _channel_mix(ds, ctx: MetricContext, spend: bool) -> ibis.Table:
    tx = orders(ds, ctx, "order_id", "amount", "channel")
    if not spend:  # the denominator counts the orders itself
        by_ch = tx.group_by(keys(ctx, "channel")).aggregate(numerator=f64(tx.order_id.count()))
        tot = by_ch.group_by(keys(ctx)).aggregate(denominator=money_sum(by_ch.numerator))
        return by_ch.inner_join(tot, keys(ctx))
    by_ch = tx.group_by(keys(ctx, "channel")).aggregate(numerator=money_sum(tx.amount),
                                                         orders=tx.order_id.count())
    tot = by_ch.group_by(keys(ctx)).aggregate(denominator=money_sum(by_ch.numerator),
                                              n=cases(by_ch.orders.sum()))
    return by_ch.drop("orders").inner_join(tot, keys(ctx))


def channel_mix(ds, ctx: MetricContext) -> ibis.Table:
    """Share of orders by channel: orders in the channel / orders in the period."""
    return _channel_mix(ds, ctx, spend=False)


def channel_mix_spend(ds, ctx: MetricContext) -> ibis.Table:
    """Share of spend by channel: amount in the channel / amount in the period; ``n`` = orders
    in the period (all channels: the cases the denominator's amount is summed over)."""
    return _channel_mix(ds, ctx, spend=True)


def pareto_share(ds, ctx: MetricContext, top: float = 0.2) -> ibis.Table:
    """Share of revenue from the top ``top`` (20%) of ordering customers by spend in the period:
    the ceil(0.2 n) customers with the largest spend (ties broken by customer_id), where
    ``n`` = ordering customers in the period (the cases the share is ranked over; the
    denominator is their spend)."""
    pc = _per_customer(ds, ctx)
    w = ibis.window(group_by=keys(ctx), order_by=[ibis.desc(pc.spend), pc.customer_id])
    wn = ibis.window(group_by=keys(ctx))
    pc = pc.mutate(rk=ibis.row_number().over(w), cnt=pc.customer_id.count().over(wn))
    ppm = round(top * 1_000_000)  # integer ceil(n * top), free of float rounding
    pc = pc.mutate(is_top=pc.rk < (pc.cnt * ppm + 999_999) // 1_000_000)  # row_number is 0-based
    return ratio(pc, ctx, money_sum(pc.is_top.ifelse(pc.spend, 0.0)), money_sum(pc.spend),
                 n=pc.customer_id.count())


def ordering_customers(ds, ctx: MetricContext) -> ibis.Value:
    """Distinct customers with an order in ``ctx.window``: the whole-window ``n`` of
    :func:`pareto_share` (a customer ordering in several periods counts once). A window of
    whole periods (the headline's full periods) is counted on the customer-period table the
    metrics share, a smaller table than the orders."""
    if ctx.window is not None and not ctx.by and all(
            pd.Timestamp(d) == pd.Timestamp(d).to_period(_period_code(ctx.period)).start_time
            for d in ctx.window):
        pc = customer_periods(ds, MetricContext(period=ctx.period))
        start, end = ctx.window
        pc = pc.filter((pc.period >= start) & (pc.period < end))
        return cases(pc.customer_id.nunique())
    return cases(orders(ds, ctx).customer_id.nunique())


_ADDITIVE = ("purchase_frequency", "repeat_purchase_rate", "repurchase_rate")
"""Counts of orders and customers (:attr:`Metric.additive`)."""

for _id, _fn, _req, _pct, _bd in (
    ("purchase_frequency", purchase_frequency, TX, False, None),
    ("purchase_frequency_distribution", purchase_frequency_distribution, TX, True,
     "orders_bucket"),
    ("purchase_amount", purchase_amount, TX, False, None),
    ("order_value", order_value, TX, False, None),
    ("repeat_purchase_rate", repeat_purchase_rate, TX, True, None),
    ("repurchase_rate", repurchase_rate, TX, True, None),
    ("interpurchase_interval", interpurchase_interval, TX, False, None),
    ("interpurchase_interval_median", interpurchase_interval_median, TX, False, None),
    ("relationship_duration", relationship_duration, TX, False, None),
    ("frequency_trend", frequency_trend, TX, False, None),
    ("share_of_wallet", share_of_wallet, ("surveys.share_of_wallet",), True, None),
    ("cross_selling", cross_selling, (CATEGORIES,), False, None),
    ("channel_mix", channel_mix, ("transactions.channel",), True, "channel"),
    ("channel_mix_spend", channel_mix_spend, ("transactions.channel",), True, "channel"),
    ("pareto_share", pareto_share, TX, True, None),
):
    register(Metric(_id, "behaviour", _req, _fn, percent=_pct, breakdown=_bd,
                    window_n=ordering_customers if _id == "pareto_share" else None,
                    additive=_id in _ADDITIVE))
