"""Volumes per period (业务量): orders, revenue, buyers and new customers.

The counts and amounts a monitor watches first (a fall in orders shows here before it
shows in any rate). Orders, revenue and buyers are sums over the shared per-customer-period
table (:func:`loyalscope.metrics._base.customer_periods`), not a pass over the orders each. ``numerator`` is the count or amount, ``denominator`` is 1 (so ``value``
is the count); periods without orders are present with 0 (without a ``by`` group).
"""

from __future__ import annotations

import ibis

from loyalscope.metrics._base import (
    calendar,
    customer_periods,
    f64,
    first_orders,
    keys,
    money_sum,
    windowed,
    with_group,
)
from loyalscope.metrics.registry import Metric, MetricContext, register


def _volume(ds, ctx: MetricContext, agg: ibis.Table) -> ibis.Table:
    """``agg`` (keys, numerator) with denominator 1, on the calendar without a group."""
    if not ctx.by:
        cal = calendar(ds, ctx).select("period")
        j = cal.left_join(agg, "period")
        agg = j.select("period", numerator=j.numerator.fill_null(0.0))
    return agg.mutate(denominator=ibis.literal(1.0))


def orders_count(ds, ctx: MetricContext) -> ibis.Table:
    """Orders placed in the period."""
    pc = customer_periods(ds, ctx)
    return _volume(ds, ctx, pc.group_by(keys(ctx)).aggregate(numerator=f64(pc.n.sum())))


def revenue(ds, ctx: MetricContext) -> ibis.Table:
    """Sum of order amounts in the period (before returns)."""
    pc = customer_periods(ds, ctx)  # spend is exact per customer and period: its sum too
    return _volume(ds, ctx, pc.group_by(keys(ctx)).aggregate(numerator=money_sum(pc.spend)))


def buyers(ds, ctx: MetricContext) -> ibis.Table:
    """Distinct customers with an order in the period."""
    pc = customer_periods(ds, ctx)  # one row per ordering customer, period and group
    return _volume(ds, ctx, pc.group_by(keys(ctx)).aggregate(
        numerator=f64(pc.customer_id.count())))


def new_customers(ds, ctx: MetricContext) -> ibis.Table:
    """Customers whose first order falls in the period."""
    fo = first_orders(ds, ctx)
    fo = fo.mutate(_ts=fo.first_date.cast("timestamp"))
    fo = windowed(fo, "_ts", ctx).mutate(period=ctx.bucket(fo._ts))
    fo = with_group(ds, ctx, fo)
    return _volume(ds, ctx, fo.group_by(keys(ctx)).aggregate(
        numerator=f64(fo.customer_id.count())))


for _id, _fn in (("orders", orders_count), ("revenue", revenue), ("buyers", buyers),
                 ("new_customers", new_customers)):
    # not additive (metrics.combined): the denominator is the constant 1, not a count
    register(Metric(_id, "behaviour", ("transactions",), _fn, percent=False))
