"""Customer value (客户价值), documents' simple CLV. Model-based CLV lives in the value models."""

from __future__ import annotations

import ibis

from loyalscope.metrics._base import f64, keys, money_sum
from loyalscope.metrics.activity import prefetch_counts
from loyalscope.metrics.behaviour import purchase_amount
from loyalscope.metrics.registry import Metric, MetricContext, register
from loyalscope.metrics.retention import churn_rate


def clv_simple(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' CLV: mean spend per ordering customer in the period x expected lifetime in
    periods (1 / churn rate of the period) - mean acquisition cost (``customers.acquisition_cost``
    over all customers, 0 when absent; summed exactly, see ``money_sum``, so that the value does
    not change in the last bits from run to run). Numerator / denominator: spend / ordering
    customers; ``value`` is null when the churn rate is 0 or undefined."""
    spend = purchase_amount(ds, ctx)
    churn = churn_rate(ds, ctx).rename(cn="numerator", cd="denominator")
    j = spend.left_join(churn, keys(ctx))
    j = j.select(*keys(ctx), "numerator", "denominator", "cn", "cd")
    acq = ibis.literal(0.0)
    if ds.has("customers", "acquisition_cost"):
        c = ds.table("customers", "acquisition_cost")
        # mean = exact sum / count: a float mean changed in the last bits with the engine's
        # order of rows (several threads), and so did every period's value
        mean = money_sum(c.acquisition_cost) / f64(c.acquisition_cost.count()).nullif(0.0)
        acq = mean.fill_null(0.0).as_scalar()
    churn_r = j.cn / j.cd.nullif(0.0)
    value = (j.numerator / j.denominator.nullif(0.0)) / churn_r.nullif(0.0) - acq
    reason = ibis.cases(
        (j.cd.isnull() | (j.cd == 0.0), "churn_undefined"), (j.cn == 0.0, "zero_churn"),
        else_=ibis.null("string"),
    )
    return j.select(*keys(ctx), "numerator", "denominator", value=value.cast("float64"),
                    reason=reason)


register(Metric("clv_simple", "value", ("transactions",), clv_simple, percent=False,
                prefetch=prefetch_counts))  # its churn rates split in one pass
