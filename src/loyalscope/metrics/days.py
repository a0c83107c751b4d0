"""Order days: one row per customer and day with an order, built once per dataset.

Several figures read a customer's orders as a sequence of days: the inactivity window (the gaps
between consecutive purchase days), the inter-purchase intervals, the retention family's
activity islands, and first / last order dates (cohorts, survival curve). Each used to sort the
whole order table by customer and time in its own window query. Here the orders are grouped
once into ``customer_id``, ``d`` (the order date), ``n`` (orders on that day) and ``prev`` (the
customer's previous day with an order, null on their first), with one window over the
customer-days, and materialised (a temporary table); the readers aggregate it instead.

Nothing is approximated: a customer's orders in (``order_ts``, ``order_id``) order visit the
days in date order, and the orders of one day are consecutive, so the gap between consecutive
orders is ``d - prev`` for the first order of a day and 0 for the ``n - 1`` others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset


def order_days(ds: Dataset, spend: bool = False) -> ibis.Table:
    """``customer_id``, ``d`` (the order date) and ``n`` (int64 orders that day): the orders
    grouped by customer and day (a query, not materialised); with ``spend``, also ``amt``, the
    day's spend (an exact decimal sum, :func:`~loyalscope.metrics._base.money_sum`)."""
    from loyalscope.metrics._base import money_sum  # _base imports this module

    tx = ds.table("transactions", "customer_id", "order_ts", *(["amount"] if spend else []))
    aggs = {"n": tx.count().cast("int64")}
    if spend:
        aggs["amt"] = money_sum(tx.amount)
    return tx.group_by(["customer_id", tx.order_ts.date().name("d")]).aggregate(**aggs)


def customer_days(ds: Dataset, grouped: ibis.Table | None = None) -> ibis.Table:
    """``customer_id``, ``d`` (date), ``n`` (int64 orders that day), ``prev`` (date of the
    customer's previous order day, null for the first): memoised per dataset.

    ``grouped``: a stored table that already holds :func:`order_days`' rows (its
    ``customer_id``, ``d`` and ``n``, other columns ignored), such as the value section's
    purchase days: the days are then read from it instead of grouping the orders again (1.45 of
    2.4 s at ten million orders). Used only when nothing is memoised yet."""

    def build() -> ibis.Table:
        days = order_days(ds) if grouped is None else grouped.select("customer_id", "d", "n")
        w = ibis.window(group_by="customer_id", order_by="d")
        return days.mutate(prev=days.d.lag().over(w)).cache()

    return ds.memo(("table", "customer_days"), build)


def customer_span(ds: Dataset) -> ibis.Table:
    """``customer_id``, ``first_date``, ``last_date`` (first and last order dates), ``orders``
    (int64): one row per customer with an order, from :func:`customer_days`, memoised."""

    def build() -> ibis.Table:
        cd = customer_days(ds)
        return cd.group_by("customer_id").aggregate(
            first_date=cd.d.min(), last_date=cd.d.max(), orders=cd.n.sum().cast("int64")).cache()

    return ds.memo(("table", "customer_span"), build)


def last_order_times(ds: Dataset) -> ibis.Table:
    """``customer_id``, ``last_ts`` (the time of the customer's last order): one row per
    customer with an order, memoised (a customer-sized temporary table).

    The complaint metrics and themes ask whether a complainant bought after the complaint; the
    post-complaint repurchase rate is computed for the report and again for each monitored split,
    and each used to group all the orders by customer for it (0.5 s a time at ten million
    orders)."""

    def build() -> ibis.Table:
        tx = ds.table("transactions", "customer_id", "order_ts")
        return tx.group_by("customer_id").aggregate(last_ts=tx.order_ts.max()).cache()

    return ds.memo(("table", "last_order_times"), build)
