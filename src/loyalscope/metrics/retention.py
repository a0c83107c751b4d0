"""Retention and churn (留存与流失): retention (documents' and standard forms), churn, joining,
renewal. Cohort matrices and lifecycle states are in :mod:`loyalscope.metrics.cohorts`.

Definitions (``w`` = ``[analysis] inactivity_days``):

- active at date d: an order on a date in ``[d - w, d)``;
- S (customers at start): active at the period start; E (at end): active at the period end;
- N (new): first order ever in the period.
"""

from __future__ import annotations

import ibis

from loyalscope.metrics._base import (
    calendar,
    f64,
    first_orders,
    ind,
    keys,
    on_calendar,
    windowed,
    with_group,
)
from loyalscope.metrics.registry import Metric, MetricContext, register


def _states(ds, ctx: MetricContext) -> ibis.Table:
    """Per (period, customer): ``at_start``, ``at_end``, ``new`` flags, with the group column.

    Periods come from the calendar (so a period without orders is still there)."""
    w = ds.config.analysis.inactivity_days
    cal = calendar(ds, ctx, lookback_days=w)
    tx = ds.table("transactions", "customer_id", "order_ts")
    days = tx.select(tx.customer_id, d=tx.order_ts.date()).distinct()
    j = days.inner_join(cal, (days.d >= cal.start_lo) & (days.d < cal.period_end))
    j = j.mutate(
        s=ind(j.d < j.period),
        e=ind(j.d >= j.end_lo),
    )
    per = j.group_by(["period", "customer_id"]).aggregate(at_start=j.s.max(), at_end=j.e.max())
    fo = first_orders(ds, ctx)
    per = per.inner_join(fo, "customer_id").inner_join(cal.select("period", "period_end"), "period")
    per = per.mutate(
        new=ind((per.first_date >= per.period) & (per.first_date < per.period_end))
    )
    return with_group(ds, ctx, per), cal


def _rate(ds, ctx: MetricContext, num: str, den: str) -> ibis.Table:
    per, cal = _states(ds, ctx)
    per = per.mutate(
        S=per.at_start,
        E=per.at_end,
        N=per.new,
        E_old=per.at_end * (1 - per.new),
        S_lost=per.at_start * (1 - per.at_end),
    )
    agg = per.group_by(keys(ctx)).aggregate(
        numerator=f64(per[num].sum()), denominator=f64(per[den].sum())
    )
    return on_calendar(cal, agg, ctx)


def retention_rate_std(ds, ctx: MetricContext) -> ibis.Table:
    """(E - N) / S: customers active at the period end who are not new in it / customers active
    at the period start. (E - N counts only non-new customers active at the end.)"""
    return _rate(ds, ctx, "E_old", "S")


def retention_rate_seed(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' form: (current customers - new customers) / current customers = (E - N) / E."""
    return _rate(ds, ctx, "E_old", "E")


def churn_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Customers active at the start with no order in the ``w`` days before the period end
    / customers active at the start."""
    return _rate(ds, ctx, "S_lost", "S")


def join_rate(ds, ctx: MetricContext) -> ibis.Table:
    """New customers in the period / customers active at the end of the period."""
    return _rate(ds, ctx, "N", "E")


def _contracts_due(ds, ctx: MetricContext) -> ibis.Table:
    c = ds.table("contracts", "customer_id", "end_date", "renewed")
    c = windowed(c, "end_date", ctx)
    c = c.mutate(period=ctx.bucket(c.end_date), ren=ind(c.renewed.fill_null(False)))
    return with_group(ds, ctx, c)


def renewal_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Contracts renewed / contracts ending (due for renewal) in the period."""
    c = _contracts_due(ds, ctx)
    return c.group_by(keys(ctx)).aggregate(
        numerator=f64(c.ren.sum()), denominator=f64(c.customer_id.count())
    )


def renewal_rate_seed(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' form: customers with a renewed contract ending in the period / customers with
    any contract ending in the period (customer level, not contract level)."""
    c = _contracts_due(ds, ctx)
    pc = c.group_by([*keys(ctx), "customer_id"]).aggregate(r=c.ren.max())
    return pc.group_by(keys(ctx)).aggregate(
        numerator=f64(pc.r.sum()), denominator=f64(pc.customer_id.count())
    )


_TX = ("transactions",)
for _id, _fn, _req in (
    ("retention_rate_std", retention_rate_std, _TX),
    ("retention_rate_seed", retention_rate_seed, _TX),
    ("churn_rate", churn_rate, _TX),
    ("join_rate", join_rate, _TX),
    ("renewal_rate", renewal_rate, ("contracts.renewed",)),
    ("renewal_rate_seed", renewal_rate_seed, ("contracts.renewed",)),
):
    register(Metric(_id, "retention", _req, _fn))
