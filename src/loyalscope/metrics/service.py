"""Service, complaints and returns (投诉与退换货).

``--by`` may name a column of the complaints table itself (``severity``, ``resolved``,
``category``, ``channel``) for the complaint metrics, or a customers attribute.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.datatypes as dt

from loyalscope.metrics._base import (
    calendar,
    cases,
    customer_periods,
    f64,
    in_periods,
    ind,
    keys,
    money_sum,
    on_calendar,
    orders,
)
from loyalscope.metrics.days import last_order_times
from loyalscope.metrics.registry import Metric, MetricContext, register


def _complaints(ds, ctx: MetricContext, *cols: str) -> ibis.Table:
    return in_periods(ds, ctx, ds.table("complaints", "customer_id", "opened_ts", *cols), "opened_ts")


def complaint_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Ordering customers with >= 1 complaint opened in the period / customers with an order in
    the period."""
    pc = customer_periods(ds, ctx)  # one row per ordering customer, period and group
    act = pc.select(*keys(ctx), "customer_id")
    c = _complaints(ds, ctx)
    comp = c.select(pc=c.period, cc=c.customer_id).distinct()
    j = act.left_join(comp, (act.period == comp.pc) & (act.customer_id == comp.cc))
    agg = j.group_by(keys(ctx)).aggregate(
        numerator=f64(j.cc.count()), denominator=f64(j.customer_id.count())
    )
    return on_calendar(calendar(ds, ctx), agg, ctx)


def complaints_per_1000_orders(ds, ctx: MetricContext) -> ibis.Table:
    """1000 x complaints opened in the period / orders in the period."""
    tx = orders(ds, ctx, "order_id")
    o = tx.select(*keys(ctx), numerator=ibis.literal(0.0), denominator=ibis.literal(1.0))
    c = _complaints(ds, ctx, "complaint_id")
    k = c.select(*keys(ctx), numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
    # a union grouped by the keys, not an outer join: a null group (customers without the
    # --by attribute) must meet its own complaints (null = null is not true in a join)
    u = o.union(k.cast(o.schema()))
    j = u.group_by(keys(ctx)).aggregate(numerator=u.numerator.sum(),
                                         denominator=u.denominator.sum())
    if not ctx.by:
        j = on_calendar(calendar(ds, ctx), j, ctx)
    return j.mutate(value=1000.0 * j.numerator / j.denominator.nullif(0.0))


def _returned_orders(ds) -> ibis.Table:
    """The rows of transactions whose order has a return, each with ``ramount`` (its returns'
    exact amount) or, when returns have no amount, ``rn`` (their number): materialised once
    per dataset (a few percent of the orders), read by the return metrics of the report and of
    each monitored split."""

    def build() -> ibis.Table:
        tx = ds.table("transactions")
        r = ds.table("returns", "order_id")
        aggs = {"ramount": money_sum(r.amount)} if "amount" in r.columns else {"rn": r.order_id.count()}
        r = r.group_by(rid=r.order_id).aggregate(**aggs)
        return tx.join(r, tx.order_id == r.rid).drop("rid").cache()

    return ds.memo(("table", "returned_orders"), build)


def _return_rate(ds, ctx: MetricContext, total: Callable[[ibis.Table], ibis.Value],
                 returned: Callable[[ibis.Table], ibis.Value], n: bool) -> ibis.Table:
    """Per period (and group): ``denominator`` (and ``n`` = orders) from the ordering customers'
    periods (``total`` of :func:`customer_periods`' rows: the orders counted and summed per
    customer first); ``numerator``: ``returned`` of :func:`_returned_orders`' rows in the
    window (in the period of the order) plus ``returned`` of the returns without an order (in
    the period of the return).

    The same numbers as joining every order to its returns, without that join: the orders are
    scanned by the customer-period table the report builds anyway, and the returned orders
    once."""
    ks = keys(ctx)
    pc = customer_periods(ds, ctx)
    n_agg = {"n": cases(pc.n.sum())} if n else {}
    den = pc.group_by(ks).aggregate(denominator=total(pc), **n_agg).mutate(numerator=ibis.literal(0.0))
    ro = in_periods(ds, ctx, _returned_orders(ds), "order_ts")
    extras = [ro.group_by(ks).aggregate(more=returned(ro))]
    r = _returns_without_order(ds, ctx)
    if r is not None:
        extras.append(r.group_by(ks).aggregate(more=returned(r)))
    return on_calendar(calendar(ds, ctx), _plus(den, extras, ctx), ctx)


def _returns_without_order(ds, ctx: MetricContext) -> ibis.Table | None:
    """Returns of a known customer whose order is not among the transactions, in the period of
    the return: cancellation invoices such as ``C536379`` in an invoice-line export carry their
    own id, not the original order's. None when returns have no ``customer_id``."""
    r = ds.table("returns", "order_id", "return_ts")
    if "customer_id" not in r.columns:
        return None
    tx = ds.table("transactions", "order_id")
    r = r.filter(r.customer_id.notnull()).anti_join(tx, r.order_id == tx.order_id)
    return in_periods(ds, ctx, r, "return_ts")


def _plus(agg: ibis.Table, extras: list[ibis.Table], ctx: MetricContext) -> ibis.Table:
    """``agg`` (keys, numerator, denominator, [n]) with each of ``extras`` (keys, more) added to
    numerator (``extras`` add no case to ``n``)."""
    # a union grouped by the keys, not a full outer join on NULL-safe equality: PostgreSQL
    # runs a FULL JOIN only on plain equality (and a group's key may be NULL)
    zero = ibis.literal(0.0)
    ks = keys(ctx)
    has_n = "n" in agg.columns
    n_agg = {"n": agg.n.cast("int64")} if has_n else {}
    n_extra = {"n": ibis.literal(0).cast("int64")} if has_n else {}
    both = agg.select(*ks, numerator=agg.numerator.cast("float64"),
                      denominator=agg.denominator.cast("float64"), **n_agg).union(
        *[extra.select(*[extra[k].cast(agg[k].type()).name(k) for k in ks],
                       numerator=extra.more.cast("float64"), denominator=zero, **n_extra)
          for extra in extras])
    n_sum = {"n": cases(both.n.fill_null(0).sum())} if has_n else {}
    return both.group_by(ks).aggregate(numerator=both.numerator.fill_null(0.0).sum(),
                                       denominator=both.denominator.fill_null(0.0).sum(), **n_sum)


def _returned_amount(rows: ibis.Table) -> ibis.Value:
    """The exact returned amount of returned orders (``ramount``) or of returns (``amount``)."""
    col = rows.ramount if "ramount" in rows.columns else rows.amount
    return money_sum(col.fill_null(0.0))


def return_rate(ds, ctx: MetricContext) -> ibis.Table:
    """(Returned orders + return documents without an order) / orders.

    A returned order counts in the period of the order; a return of a known customer whose
    order is not in the data (a cancellation invoice with its own id) counts once, in the
    period of the return.
    """
    return _return_rate(ds, ctx, lambda pc: f64(pc.n.sum()), lambda r: f64(r.order_id.count()), n=False)


def return_amount_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Returned amount / sold amount: returns of an order in the period of the order, returns
    whose order is not in the data (cancellation invoices) in the period of the return (can
    exceed 100% when returns are larger than the orders). ``n`` = orders in the period (the
    cases the sold amount is summed over)."""
    return _return_rate(ds, ctx, lambda pc: money_sum(pc.spend), _returned_amount, n=True)


def complaint_resolution_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Complaints resolved / complaints opened in the period."""
    c = _complaints(ds, ctx, "complaint_id", "resolved")
    return c.group_by(keys(ctx)).aggregate(
        numerator=f64(ind(c.resolved.fill_null(False)).sum()),
        denominator=f64(c.complaint_id.count()),
    )


def _hours(ds, ctx: MetricContext) -> ibis.Table:
    """Closed complaints with ``secs`` (seconds from opened to closed) and ``h`` (hours)."""
    c = _complaints(ds, ctx, "closed_ts")
    c = c.filter(c.closed_ts.notnull())
    secs = f64(c.closed_ts.epoch_seconds() - c.opened_ts.epoch_seconds())
    return c.mutate(secs=secs, h=secs / 3600.0)


def _resolution_time(q: float):
    def build(ds, ctx: MetricContext) -> ibis.Table:
        c = _hours(ds, ctx)
        # the total summed exactly (the engine's epoch seconds as a decimal: whole seconds on
        # DuckDB, fractions kept to the microsecond where an engine gives them), then in hours:
        # a float sum of the hours depends on the order a parallel engine adds them in (the
        # last digits moved between two runs of 1M complaints)
        total = f64(c.secs.cast(dt.Decimal(38, 6)).sum()) / 3600.0
        return c.group_by(keys(ctx)).aggregate(
            numerator=total, denominator=f64(c.h.count()), value=c.h.quantile(q)
        )

    build.__doc__ = (
        f"Quantile {q} of hours from opened to closed over complaints opened in the period "
        "(``value``); numerator = total hours, denominator = closed complaints."
    )
    return build


def post_complaint_repurchase(ds, ctx: MetricContext) -> ibis.Table:
    """Complainants (customers with a complaint opened in the period) with an order after their
    first complaint of the period / complainants. Split with ``--by severity`` / ``resolved``."""
    c = _complaints(ds, ctx)
    first = c.group_by([*keys(ctx), "customer_id"]).aggregate(fc=c.opened_ts.min())
    last = last_order_times(ds).rename(cid="customer_id", lo="last_ts")
    j = first.left_join(last, first.customer_id == last.cid)
    back = ind(j.lo.notnull() & (j.lo > j.fc))
    return j.group_by(keys(ctx)).aggregate(
        numerator=f64(back.sum()), denominator=f64(j.customer_id.count())
    )


def silent_dissatisfied(ds, ctx: MetricContext) -> ibis.Table:
    """Estimated dissatisfied customers = complainants in the period x iceberg ratio
    (``[analysis] iceberg_ratio``, documents: 25).

    No ``n``: the value is a count scaled by a constant, not an estimate from a sample of
    cases (the complainants are the numerator itself; the denominator is the constant 1)."""
    ratio_ = float(ds.config.analysis.iceberg_ratio)
    c = _complaints(ds, ctx)
    agg = c.group_by(keys(ctx)).aggregate(numerator=f64(c.customer_id.nunique()))
    return agg.mutate(denominator=ibis.literal(1.0), value=agg.numerator * ratio_)


_C = ("complaints",)
for _id, _fn, _req, _pct in (
    ("complaint_rate", complaint_rate, ("transactions", "complaints"), True),
    ("complaints_per_1000_orders", complaints_per_1000_orders, ("transactions", "complaints"), False),
    ("return_rate", return_rate, ("transactions", "returns"), True),
    ("return_amount_rate", return_amount_rate, ("transactions", "returns.amount"), True),
    ("complaint_resolution_rate", complaint_resolution_rate, ("complaints.resolved",), True),
    ("resolution_time", _resolution_time(0.5), ("complaints.closed_ts",), False),
    ("resolution_time_p90", _resolution_time(0.9), ("complaints.closed_ts",), False),
    ("post_complaint_repurchase", post_complaint_repurchase, ("transactions", "complaints"), True),
    ("silent_dissatisfied", silent_dissatisfied, _C, False),
):
    register(Metric(_id, "service", _req, _fn, percent=_pct,
                    additive=_id in ("complaint_rate", "return_rate")))  # counts of customers, orders
