"""Cohort retention matrix, lifecycle states and the retention (survival) curve.

The heavy work (one row per order or per customer) runs in the engine; only the aggregated
matrices (cohorts x periods) come back as pandas frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from loyalscope.config import Period
from loyalscope.i18n import t
from loyalscope.metrics._base import (
    absolute_period_index,
    calendar,
    customer_periods,
    epoch_days,
    ind,
    money_sum,
    period_index,
    shared,
    with_group,
)
from loyalscope.metrics.days import customer_span
from loyalscope.metrics.registry import GRAINS, Metric, MetricContext, register
from loyalscope.metrics.window import inactivity_days

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

LIFECYCLE_STATES = ("new", "returning", "resurrecting", "dormant")


def _ctx(period: str, by: str | None) -> MetricContext:
    if period not in GRAINS:
        from loyalscope.errors import ConfigError

        raise ConfigError(t("core.input_errors.unknown_period", period=period),
                          fix=t("core.input_errors.unknown_period_fix", known=", ".join(GRAINS)))
    return MetricContext(period=period, by=by)  # type: ignore[arg-type]


def _active(ds: Dataset, ctx: MetricContext) -> tuple[ibis.Table, ibis.Table]:
    """(customer, [by], period, idx, revenue) per active customer-period; and the calendar."""
    cal = calendar(ds, ctx)

    frame = cal.execute()
    base, n = absolute_period_index(ctx, pd.Timestamp(frame.period.min())), len(frame)

    def build() -> ibis.Table:
        # idx by arithmetic, not by joining the calendar: a cached table must not refer to an
        # in-memory table (Spark drops its view when the Python object goes)
        pc = customer_periods(ds, ctx)
        act = pc.select("customer_id", *([ctx.by] if ctx.by else []), "period",
                        revenue=pc.spend.cast("float64"),
                        idx=(period_index(ctx, pc.period) - base).cast("int64"))
        return act.filter((act.idx >= 0) & (act.idx < n))

    return shared(ds, "cohort_active", ctx, build), cal


def cohort_matrix(ds: Dataset, period: Period = "month", by: str | None = None) -> pd.DataFrame:
    """Acquisition cohorts (first-order period) x periods since first order ``k``.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (date), [``by``], ``k``, ``cohort_size``, ``active`` (customers ordering in
        period k), ``active_or_later`` (ordering in k or any later period), ``share``,
        ``share_or_later`` (both / cohort_size), ``revenue`` (cohort revenue in period k) and
        ``cum_revenue_per_member`` (revenue in periods 0..k / cohort_size). Only observable k
        (cohort + k not after the last period) are present; k = 0 has share 1.
    """
    ctx = _ctx(period, by)
    act, cal = _active(ds, ctx)
    g = [by] if by else []
    # first and last active period per customer (with its group): read twice, built once
    per = shared(ds, "cohort_customers", ctx, lambda: act.group_by(["customer_id", *g]).aggregate(
        c_idx=act.idx.min(), last_idx=act.idx.max()))
    a = act.inner_join(per.select("customer_id", "c_idx"), "customer_id")
    a = a.mutate(k=a.idx - a.c_idx)
    cells = a.group_by(["c_idx", *g, "k"]).aggregate(
        active=a.customer_id.count(), revenue=money_sum(a.revenue)
    ).execute()
    later = per.mutate(kmax=per.last_idx - per.c_idx)
    kmax = later.group_by(["c_idx", *g, "kmax"]).aggregate(n=later.customer_id.count()).execute()
    n_periods = int(cal.idx.max().execute()) + 1
    starts = cal.order_by("idx").period.execute().tolist()
    rows = []
    for key, grp in kmax.groupby(["c_idx", *g], dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        c_idx = int(key[0])
        size = int(grp.n.sum())
        ks = np.arange(0, n_periods - c_idx)
        # customers whose last active k is >= k, for every k
        counts = np.array([grp.n[grp.kmax >= k].sum() for k in ks])
        rows.append(pd.DataFrame({"c_idx": c_idx, **dict(zip(g, key[1:], strict=True)), "k": ks,
                                  "cohort_size": size, "active_or_later": counts}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["c_idx", *g, "k", "cohort_size", "active_or_later"])
    out = out.merge(cells, on=["c_idx", *g, "k"], how="left")
    out["active"] = out["active"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0).astype("float64")
    out["active_or_later"] = out["active_or_later"].astype("int64")
    out = out.sort_values(["c_idx", *g, "k"], kind="stable").reset_index(drop=True)
    out["share"] = out.active / out.cohort_size
    out["share_or_later"] = out.active_or_later / out.cohort_size
    out["cum_revenue_per_member"] = (
        out.groupby(["c_idx", *g], dropna=False).revenue.cumsum() / out.cohort_size
    )
    out.insert(0, "cohort", [starts[i] for i in out.c_idx])
    return out.drop(columns="c_idx")


def lifecycle(ds: Dataset, period: Period = "month", by: str | None = None) -> pd.DataFrame:
    """Customers per period in each lifecycle state (PostHog's lifecycle definitions):

    - ``new``: first order ever in the period;
    - ``returning``: ordered in the period and in the previous one;
    - ``resurrecting``: ordered in the period, not in the previous one, but before;
    - ``dormant``: ordered in the previous period but not in this one (a positive count here;
      charts usually draw it below zero).

    Returns
    -------
    pandas.DataFrame
        ``period``, [``by``], ``state``, ``customers``; every period and state present.
    """
    ctx = _ctx(period, by)
    act, cal = _active(ds, ctx)
    g = [by] if by else []
    # one pass over the customer's active periods in order: previous and next active period
    w = ibis.window(group_by="customer_id", order_by="idx")
    a = act.mutate(prev=act.idx.lag().over(w), nxt=act.idx.lead().over(w))
    state = ibis.cases(
        (a.prev.isnull(), "new"), (a.prev == a.idx - 1, "returning"), else_="resurrecting"
    )
    n_periods = int(cal.count().execute())
    d = a.filter((a.nxt.isnull() | (a.nxt != a.idx + 1)) & (a.idx + 1 < n_periods))
    both = a.select(idx=a.idx.cast("int64"), **{c: a[c] for c in g}, state=state).union(
        d.select(idx=(d.idx + 1).cast("int64"), **{c: d[c] for c in g},
                 state=ibis.literal("dormant"))
    )
    counts = both.group_by(["idx", *g, "state"]).aggregate(customers=both.idx.count()).execute()
    grid = cal.select("period", "idx").execute()
    groups = counts[g].drop_duplicates() if g else pd.DataFrame(index=[0])
    full = grid.merge(groups, how="cross").merge(
        pd.DataFrame({"state": list(LIFECYCLE_STATES)}), how="cross"
    )
    full = full.merge(counts, on=["idx", *g, "state"], how="left")
    full["customers"] = full.customers.fillna(0).astype("int64")
    full["state"] = pd.Categorical(full.state, LIFECYCLE_STATES)
    full = full.sort_values(["idx", *g, "state"], kind="stable").reset_index(drop=True)
    full["state"] = full.state.astype(str)
    full["period"] = pd.to_datetime(full.period).dt.date
    return full[["period", *g, "state", "customers"]]


def survival_curve(ds: Dataset, by: str | None = None) -> pd.DataFrame:
    """Kaplan-Meier retention curve: share of customers still active ``days`` after their first order.

    "Active" is the definition every churn figure uses (:mod:`loyalscope.metrics.window`): an
    order within the inactivity window ``w``. A customer whose last order is more than ``w``
    days before the analysis date churned on the first day they stopped being active, ``w + 1``
    days after that order: the lifetime is ``last - first + w + 1`` days (event). Every other
    customer is still active and is censored at ``analysis date - first order``. So the curve is
    1 at day 0 and stays 1 until day ``w + 1`` (no one can count as churned sooner), and it
    agrees with the churn rate of the retention metrics. Durations are counted in the engine;
    the product-limit estimate S(t) = prod_{t_i <= t} (1 - d_i / n_i) is taken over the distinct
    durations.

    Returns
    -------
    pandas.DataFrame
        [``by``], ``days``, ``at_risk``, ``events``, ``censored``, ``survival``; the first row
        is day 0 with survival 1.
    """
    ctx = MetricContext(by=by)
    end = ds.analysis_date
    w = inactivity_days(ds)
    span = customer_span(ds)  # first and last order dates, shared with the other sections
    per = span.select("customer_id", f=span.first_date, la=span.last_date)
    end_days = (pd.Timestamp(end) - pd.Timestamp("1970-01-01")).days
    per = per.mutate(
        churned=(end_days - epoch_days(per.la)) > w,
    )
    per = per.mutate(
        days=per.churned.ifelse(epoch_days(per.la) + (w + 1), end_days) - epoch_days(per.f)
    )
    per = with_group(ds, ctx, per)
    g = [by] if by else []
    cnt = per.group_by([*g, "days"]).aggregate(
        events=ind(per.churned).sum(), total=per.customer_id.count()
    ).execute()
    frames = []
    for _key, grp in (cnt.groupby(g, dropna=False) if g else [((), cnt)]):
        grp = grp.sort_values("days").reset_index(drop=True)
        grp["at_risk"] = grp.total[::-1].cumsum()[::-1].to_numpy()
        grp["censored"] = grp.total - grp.events
        grp["survival"] = np.cumprod(1.0 - grp.events / grp.at_risk)
        if grp.empty or grp.days.iloc[0] > 0:  # the curve starts at day 0 with everyone active
            start = pd.DataFrame({**{c: [v] for c, v in zip(g, _key if g else (), strict=False)},
                                  "days": [0], "events": [0], "total": [0],
                                  "at_risk": [int(grp.total.sum())], "censored": [0], "survival": [1.0]})
            grp = pd.concat([start, grp], ignore_index=True)
        frames.append(grp)
    out = pd.concat(frames, ignore_index=True)
    return out[[*g, "days", "at_risk", "events", "censored", "survival"]]


# ---- catalogue entries: the matrices and the curve through the per-period API -------------
def _cohort_builder(later: bool):
    def build(ds: Dataset, ctx: MetricContext) -> ibis.Table:
        """Rows: ``period`` = acquisition cohort, ``k`` = periods since the first order;
        numerator = customers ordering in period k (or in k or later), denominator = cohort size."""
        m = ds.memo(("cohort_matrix", ctx.period, ctx.by), lambda: cohort_matrix(ds, ctx.period,
                                                                              ctx.by))
        g = [ctx.by] if ctx.by else []
        frame = pd.DataFrame({
            "period": m.cohort, **{c: m[c] for c in g}, "k": m.k.astype("int64"),
            "numerator": (m.active_or_later if later else m.active).astype("float64"),
            "denominator": m.cohort_size.astype("float64"),
        })
        return ibis.memtable(frame, schema=_schema(ds, ctx, k="int64"))

    return build


def _lifecycle_metric(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    """Rows per period and ``state``: numerator = customers in the state, denominator =
    customers ordering in the period (new + returning + resurrecting); dormant / ordering can
    exceed 1."""
    lc = lifecycle(ds, ctx.period, ctx.by)
    g = [ctx.by] if ctx.by else []
    ordering = lc[lc.state != "dormant"].groupby(["period", *g], dropna=False).customers.sum()
    lc = lc.join(ordering.rename("denominator"), on=["period", *g])
    frame = lc.rename(columns={"customers": "numerator"})[
        ["period", *g, "state", "numerator", "denominator"]]
    frame = frame.astype({"numerator": "float64", "denominator": "float64"})
    return ibis.memtable(frame, schema=_schema(ds, ctx, state="string"))


def _survival_metric(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    """Kaplan-Meier curve as of the analysis date (``period``): per ``days`` of lifetime,
    value = S(days), numerator = churn events at that duration, denominator = customers at
    risk."""
    sc = survival_curve(ds, ctx.by)
    g = [ctx.by] if ctx.by else []
    frame = pd.DataFrame({
        "period": ds.analysis_date, **{c: sc[c] for c in g}, "days": sc.days.astype("int64"),
        "numerator": sc.events.astype("float64"), "denominator": sc.at_risk.astype("float64"),
        "value": sc.survival.astype("float64"),
    })
    return ibis.memtable(frame, schema=_schema(ds, ctx, days="int64", value="float64"))


def _schema(ds: Dataset, ctx: MetricContext, **extra: str) -> ibis.Schema:
    from loyalscope.metrics._base import ratio_schema

    base = dict(ratio_schema(ds, ctx).items())
    head = {k: base.pop(k) for k in ["period", *([ctx.by] if ctx.by else [])]}
    value = {"value": extra.pop("value")} if "value" in extra else {}
    return ibis.schema({**head, **extra, **base, **value})


_TX = ("transactions",)
register(Metric("cohort_retention", "retention", _TX, _cohort_builder(later=False),
                breakdown="k"))
register(Metric("cohort_retention_or_later", "retention", _TX, _cohort_builder(later=True),
                breakdown="k"))
register(Metric("lifecycle", "retention", _TX, _lifecycle_metric, breakdown="state"))
register(Metric("survival_curve", "retention", _TX, _survival_metric, breakdown="days"))
