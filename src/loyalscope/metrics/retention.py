"""Retention and churn (留存与流失): retention (documents' and standard forms), churn, joining,
renewal. Cohort matrices and lifecycle states are in :mod:`loyalscope.metrics.cohorts`.

Definitions (``w`` = ``[analysis] inactivity_days``):

- active at date d: an order on a date in ``[d - w, d)``;
- S (customers at start): active at the period start; E (at end): active at the period end;
- N (new): first order ever in the period;
- R (retained, returning): active at the start and still a customer at the end (not lost:
  still active by orders, no lapsed contract); R = S - lost, so retention + churn = 1;
- A (reactivated): active at the end, not active at the start, not new.

Every rate here is a share of its denominator and stays in [0, 1]: customers active at the end
who were not active at the start are reactivated, never counted as retained (the textbook
``(E - N) / S`` counts them and exceeds 100% after a win-back campaign).
"""

from __future__ import annotations

import ibis

from loyalscope.metrics._base import f64, ind, keys, ratio_schema, windowed, with_group
from loyalscope.metrics.activity import _period_end, activity_counts, prefetch_counts
from loyalscope.metrics.days import customer_span
from loyalscope.metrics.registry import Metric, MetricContext, register


def _rate(ds, ctx: MetricContext, num: str, den: str) -> ibis.Table:
    """numerator / denominator from the shared per-period counts
    (:func:`loyalscope.metrics.activity.activity_counts`)."""
    counts = activity_counts(ds, ctx)
    g = [ctx.by] if ctx.by else []
    frame = counts[["period", *g]].assign(
        numerator=counts[num].astype("float64"), denominator=counts[den].astype("float64")
    )
    if ctx.by:
        frame = frame[(counts[["S", "E", "N"]] != 0).any(axis=1)]
    return ibis.memtable(frame.reset_index(drop=True), schema=ratio_schema(ds, ctx))


def retention_rate_std(ds, ctx: MetricContext) -> ibis.Table:
    """R / S: customers active at the period start who are still customers at its end /
    customers active at the start (1 - churn rate). Reactivated customers are not in R."""
    return _rate(ds, ctx, "R", "S")


def reactivation_rate(ds, ctx: MetricContext) -> ibis.Table:
    """A / E: customers active at the period end who were inactive at its start and are not
    new / customers active at the end."""
    return _rate(ds, ctx, "A", "E")


def retention_rate_seed(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' form: (current customers - new customers) / current customers = (E - N) / E."""
    return _rate(ds, ctx, "E_old", "E")


def churn_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Customers active at the start with no order in the ``w`` days before the period end, or
    whose contract ended in the period (not renewed, no other contract running past the period
    end) / customers active at the start."""
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


def _first_dates(ds, ctx: MetricContext) -> ibis.Table:
    """``customer_id``, [group], ``first_date``: the earlier of a customer's first contract start
    and first order (a contract customer need not have orders)."""
    c = ds.table("contracts", "customer_id", "start_date")
    parts = [c.select("customer_id", d=c.start_date.cast("date"))]
    if ds.has("transactions"):  # each customer's first order date (customer-sized, shared)
        parts.append(customer_span(ds).select("customer_id", d=ibis._.first_date))
    u = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return with_group(ds, ctx, u.group_by("customer_id").aggregate(first_date=u.d.min()))


def renewal_rate_seed(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' form (客户续约率 = 续约客户数量 / 客户总数): customers with a renewed contract
    ending in the period / all customers at the period end (customers whose first contract or
    first order began before it). One row per period in which contracts end, as in the standard
    form, which divides by the contracts due instead."""
    c = _contracts_due(ds, ctx)
    num = c.group_by(keys(ctx)).aggregate(numerator=f64(c.customer_id.nunique(where=c.ren == 1)))
    per = num.mutate(period_end=_period_end(ctx, num.period))
    f = _first_dates(ds, ctx).rename(_cid="customer_id", **({"_g": ctx.by} if ctx.by else {}))
    pred = [f.first_date < per.period_end]
    if ctx.by:
        pred.append(f._g.identical_to(per[ctx.by]))
    j = per.inner_join(f, pred)
    out = j.group_by([*keys(ctx), "numerator"]).aggregate(denominator=f64(j._cid.count()))
    return out.select(*keys(ctx), "numerator", "denominator")


_TX = ("transactions",)
for _id, _fn, _req in (
    ("retention_rate_std", retention_rate_std, _TX),
    ("retention_rate_seed", retention_rate_seed, _TX),
    ("reactivation_rate", reactivation_rate, _TX),
    ("churn_rate", churn_rate, _TX),
    ("join_rate", join_rate, _TX),
    ("renewal_rate", renewal_rate, ("contracts.renewed",)),
    ("renewal_rate_seed", renewal_rate_seed, ("contracts.renewed",)),
):
    # the activity-based rates split by several columns share one pass over the customers
    register(Metric(_id, "retention", _req, _fn,
                    prefetch=prefetch_counts if _req == _TX else None))
