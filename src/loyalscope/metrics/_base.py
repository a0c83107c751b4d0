"""Building blocks shared by the metric modules.

Everything here returns Ibis expressions; nothing pulls rows into Python except the period
calendar, which is one small row per period (computed from two scalars: first and last date).

Conventions
-----------
- Dates: a timestamp is reduced with ``.date()`` before any day arithmetic, because
  ``delta(unit="day")`` counts calendar-day boundaries on DuckDB but 24-hour periods on Spark.
- "Active at date d": the customer has an order in ``[d - inactivity_days, d)``.
- "Customer base at the end of a period": customers whose first order is before the period end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalscope.metrics import combined
from loyalscope.metrics.days import customer_span
from loyalscope.metrics.registry import MetricContext

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

_OFFSET = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}
_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}


def f64(x: ibis.Value) -> ibis.Value:
    """Cast to float64 (numerators and denominators are float64 on every engine)."""
    return x.cast("float64")


def money_sum(x: ibis.Value) -> ibis.Value:
    """Sum of an amount column, exact and independent of row order: each value is rounded to
    0.0001 (DECIMAL(18, 4)) and summed as a decimal, then cast to float64.

    A float64 sum on a multi-threaded engine adds rows in a different order on each run and
    differs in the last bits, so the same data gave slightly different numbers run after run;
    an exact sum does not. Sums of such sums (per-customer spend summed per period) stay exact:
    a float64 with at most four decimals and below ~1e11 converts back to the same decimal.
    """
    return x.cast(dt.Decimal(18, 4)).sum().cast("float64")


def share_sum(x: ibis.Value) -> ibis.Value:
    """Sum of a column of shares in [0, 1] (stated share of wallet), exact and independent of
    row order: each value is taken to 18 decimals (DECIMAL(38, 18), finer than a float64's
    spacing at 0.5, ~1.1e-16) and summed as a decimal, then cast to float64 (int part up to
    1e20: far more answers than any survey).

    Like :func:`money_sum`, but without rounding the values to 0.0001: a share may have more
    decimals than money. The result is the float64 nearest the exact sum of the values.
    """
    return x.cast(dt.Decimal(38, 18)).sum().cast("float64")


def ind(cond: ibis.Value) -> ibis.Value:
    """1 where ``cond`` holds, else 0 (int64; PostgreSQL cannot cast boolean to bigint)."""
    return cond.ifelse(1, 0).cast("int64")


def keys(ctx: MetricContext, *extra: str) -> list[str]:
    """Grouping keys: ``period``, then the ``by`` column, then ``extra``."""
    return ["period", *([ctx.by] if ctx.by else []), *extra]


def windowed(tbl: ibis.Table, col: str, ctx: MetricContext) -> ibis.Table:
    """Rows of ``tbl`` whose ``col`` falls in ``ctx.window`` ([start, end) dates)."""
    if ctx.window is None:
        return tbl
    start, end = ctx.window
    return tbl.filter(
        (tbl[col] >= ibis.timestamp(pd.Timestamp(start)))
        & (tbl[col] < ibis.timestamp(pd.Timestamp(end)))
    )


def in_periods(ds: Dataset, ctx: MetricContext, tbl: ibis.Table, col: str) -> ibis.Table:
    """Rows of ``tbl`` whose timestamp ``col`` falls in ``ctx.window``, with ``period`` (the
    period of ``col``) and the group column (:func:`windowed`, then :func:`with_group`)."""
    tbl = windowed(tbl, col, ctx)
    return with_group(ds, ctx, tbl.mutate(period=ctx.bucket(tbl[col])))


def with_group(ds: Dataset, ctx: MetricContext, tbl: ibis.Table) -> ibis.Table:
    """Add the ``ctx.by`` column: taken from ``tbl`` itself when it has it, else joined from
    ``customers`` on ``customer_id`` (customers absent there fall into a null group)."""
    if not ctx.by or ctx.by in tbl.columns:
        return tbl
    attr = group_attribute(ds, ctx.by)
    j = tbl.left_join(attr, tbl.customer_id == attr._cid)
    return j.drop("_cid")


def group_attribute(ds: Dataset, by: str) -> ibis.Table:
    """``_cid``, ``by``: one row per customer id of ``customers`` with its ``by`` value,
    materialised once per column (every grouped metric joins it)."""

    if combined.columns_of(ds, by) is not None:  # several columns at once (metrics.combined)
        return combined.attributes(ds, by).select("_cid", by)

    return ds.memo(("table", "group_attribute", by),
                   lambda: customer_attributes(ds, (by,)).cache())


def customer_attributes(ds: Dataset, columns: tuple[str, ...] | list[str]) -> ibis.Table:
    """``_cid`` and ``columns`` of ``customers``, one row per customer id (not materialised).

    customer_id is the key of customers; ``max()`` keeps one row per id on every engine.
    Customers absent from ``customers`` get no row: joined to, they fall into each column's
    null group."""
    cust = ds.table("customers", "customer_id", *columns)
    return cust.group_by(_cid=cust.customer_id).aggregate(**{c: cust[c].max() for c in columns})


def group_type(ds: Dataset, by: str) -> dt.DataType:
    """The type of group column ``by`` (a column of ``customers``, or a combination of
    several: text)."""
    if combined.columns_of(ds, by) is not None:
        return dt.string
    return ds.table("customers", by).schema()[by]


def shared(ds: Dataset, name: str, ctx: MetricContext,
           build: Callable[[], ibis.Table]) -> ibis.Table:
    """``build()`` materialised once per dataset, grain, window and group (a temporary table
    on the backend): intermediate tables that several metrics read, such as one row per
    customer and period, are computed once per analysis instead of once per metric."""
    key = ("table", name, ctx.period, ctx.window, ctx.by)
    return ds.memo(key, lambda: build().cache())


def customer_periods(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    """One row per (period, [group], customer) with an order in the window: ``n`` orders,
    ``spend``, ``last`` order date. Shared by the behaviour metrics, cohorts and lifecycle
    (materialised once per grain, window and group)."""

    def build() -> ibis.Table:
        if ctx.by and ctx.by not in ds.table("transactions").columns:
            name = ctx.by if combined.columns_of(ds, ctx.by) else combined.combined_for(ds, ctx.by)
            if name is not None:  # a projection of the table grouped by several columns at once
                wide = _wide_customer_periods(ds, replace(ctx, by=name))
                return wide.select(*keys(ctx), "customer_id", "n", "spend", "last")
            # a customers attribute: the ungrouped rows with each customer's group joined (the
            # same rows, from a customer-period-sized table instead of the orders)
            pc = customer_periods(ds, replace(ctx, by=None))
            return with_group(ds, ctx, pc).select(*keys(ctx), "customer_id", "n", "spend",
                                                  "last").cache()
        tx = orders(ds, ctx, "order_id", "amount")
        return tx.group_by([*keys(ctx), "customer_id"]).aggregate(
            n=tx.order_id.count(), spend=money_sum(tx.amount), last=tx.order_date.max()
        ).cache()

    return ds.memo(("table", "customer_periods", ctx.period, ctx.window, ctx.by), build)


def _wide_customer_periods(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    """:func:`customer_periods` with the combination ``ctx.by`` and each of its columns
    (:mod:`loyalscope.metrics.combined`): one table from which the split by the combination
    and by each of its columns are projections."""
    name = ctx.by
    assert name is not None

    def build() -> ibis.Table:
        cols = combined.columns_of(ds, name) or ()
        pc = customer_periods(ds, replace(ctx, by=None))
        attr = combined.attributes(ds, name)
        j = pc.left_join(attr, pc.customer_id == attr._cid)
        return j.select("period", "customer_id", "n", "spend", "last", name, *cols)

    return shared(ds, "customer_periods_wide", ctx, build)


def ratio_schema(ds: Dataset, ctx: MetricContext) -> ibis.Schema:
    """Schema of a ratio table computed outside the engine: ``period``, [``ctx.by``] (typed as
    in ``customers``), ``numerator``, ``denominator``."""
    group = {ctx.by: group_type(ds, ctx.by)} if ctx.by else {}
    return ibis.schema({"period": "date", **group, "numerator": "float64",
                        "denominator": "float64"})


CATEGORIES = "order_lines.category|transactions.category"
"""Requirement of the metrics that read categories (see :func:`category_lines`)."""


def category_lines(ds: Dataset) -> ibis.Table:
    """``customer_id``, ``order_ts``, ``category``: one row per order line when ``order_lines``
    has categories (an order of several categories counts each of them), else one row per
    order from ``transactions``."""
    name = "order_lines" if ds.has("order_lines", "category") else "transactions"
    return ds.table(name, "customer_id", "order_ts", "category")


def orders(ds: Dataset, ctx: MetricContext, *cols: str) -> ibis.Table:
    """Transactions in the window with ``period``, ``order_date`` and the group column."""
    tx = windowed(ds.table("transactions", "customer_id", "order_ts", *cols), "order_ts", ctx)
    tx = tx.mutate(period=ctx.bucket(tx.order_ts), order_date=tx.order_ts.date())
    return with_group(ds, ctx, tx)


def date_bounds(ds: Dataset, ctx: MetricContext) -> tuple[date, date]:
    """First order date and the analysis date (exclusive end), clipped to the window."""
    start = first_order_date(ds)
    end = ds.analysis_date
    if start is None:
        start = end
    if ctx.window is not None:
        start, end = max(start, ctx.window[0]), min(end, ctx.window[1])
    return start, end


def first_order_date(ds: Dataset) -> date | None:
    """Date of the first order (None without orders), read once per dataset."""

    def build() -> date | None:
        first = ds.table("transactions", "order_ts").order_ts.min().execute()
        return pd.Timestamp(first).date() if first is not None and not pd.isna(first) else None

    return ds.memo(("first_order_date",), build)


def calendar(ds: Dataset, ctx: MetricContext, lookback_days: int = 0) -> ibis.Table:
    """One row per period from the first order to the analysis date: ``period`` (start date),
    ``period_end`` (exclusive), ``idx`` (consecutive integers), and ``start_lo`` / ``end_lo``
    (period start / end minus ``lookback_days``)."""
    start, end = date_bounds(ds, ctx)
    first = pd.Timestamp(start).to_period(_period_code(ctx.period)).start_time
    starts = pd.date_range(first, pd.Timestamp(end) - timedelta(days=1), freq=_FREQ[ctx.period])
    if len(starts) == 0 or starts[0] > first:
        starts = pd.DatetimeIndex([first]).append(starts)
    ends = starts + _OFFSET[ctx.period]
    lb = timedelta(days=lookback_days)
    frame = pd.DataFrame(
        {
            "period": starts.date,
            "period_end": ends.date,
            "idx": range(len(starts)),
            "start_lo": (starts - lb).date,
            "end_lo": (ends - lb).date,
        }
    )
    return ibis.memtable(
        frame,
        schema=ibis.schema(
            {"period": "date", "period_end": "date", "idx": "int64", "start_lo": "date",
             "end_lo": "date"}
        ),
    )


def _period_code(grain: str) -> str:
    return {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}[grain]


def period_index(ctx: MetricContext, period: ibis.Value) -> ibis.Value:
    """Consecutive integer of a period start date (so that t-1 is ``idx - 1``)."""
    if ctx.period == "month":
        return period.year() * 12 + period.month()
    if ctx.period == "quarter":
        return period.year() * 4 + period.quarter()
    if ctx.period == "year":
        return period.year().cast("int64")
    days = epoch_days(period)
    return days if ctx.period == "day" else (days + 3) // 7


def absolute_period_index(ctx: MetricContext, start: pd.Timestamp) -> int:
    """The engine's period number (:func:`period_index`) of the first calendar period."""
    if ctx.period == "month":
        return start.year * 12 + start.month
    if ctx.period == "quarter":
        return start.year * 4 + start.quarter
    if ctx.period == "year":
        return start.year
    days = (start - pd.Timestamp("1970-01-01")).days
    return days if ctx.period == "day" else (days + 3) // 7


def epoch_days(d: ibis.Value) -> ibis.Value:
    """Whole days since 1970-01-01 of a date (engine-independent)."""
    return (d.cast("timestamp").epoch_seconds() // 86400).cast("int64")


def first_orders(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    """``customer_id``, ``first_date`` over all transactions (not windowed: a customer's first
    order before the window still makes them an existing customer)."""

    # customer-sized and the same for every grain, window and group: materialised once
    return customer_span(ds).select("customer_id", "first_date")


def ratio(tbl: ibis.Table, ctx: MetricContext, num: ibis.Value, den: ibis.Value,
          *extra: str, n: ibis.Value | None = None) -> ibis.Table:
    """Group ``tbl`` by period (and group) and return numerator and denominator; with ``n``
    (a count aggregate), also ``n``: the number of cases behind the value, for metrics whose
    denominator is an amount rather than a number of cases (see :func:`cases`)."""
    aggs = {"numerator": f64(num), "denominator": f64(den)}
    if n is not None:
        aggs["n"] = cases(n)
    return tbl.group_by(keys(ctx, *extra)).aggregate(**aggs)


def cases(count: ibis.Value) -> ibis.Value:
    """A count aggregate as the ``n`` column of a metric table (int64): how many cases
    (customers, orders, members) the period's value comes from, where the denominator does not
    say it (an amount of money or points)."""
    return count.cast("int64")


def on_calendar(cal: ibis.Table, agg: ibis.Table, ctx: MetricContext) -> ibis.Table:
    """Left-join per-period aggregates onto the calendar so that periods without rows appear
    with a zero denominator (and ``n`` = 0 when ``agg`` has an ``n`` column; only without a
    ``by`` group: groups have no calendar)."""
    if ctx.by:
        return agg
    j = cal.select("period").left_join(agg, "period")
    n = {"n": j.n.fill_null(0)} if "n" in agg.columns else {}
    return j.select(
        "period",
        numerator=j.numerator.fill_null(0.0),
        denominator=j.denominator.fill_null(0.0),
        **n,
    )


def group_values(g: list[str], *frames: pd.DataFrame | None) -> list[tuple]:
    """The distinct values of the group columns ``g`` in ``frames`` (``[()]`` without a group);
    null is a group of its own."""
    if not g:
        return [()]
    parts = [f[g] for f in frames if f is not None]
    if not parts:
        return []
    return list(pd.concat(parts).drop_duplicates().itertuples(index=False, name=None))


def group_mask(f: pd.DataFrame, g: list[str], key: tuple) -> np.ndarray:
    """Rows of ``f`` in group ``key`` (null matches null)."""
    sel = np.ones(len(f), dtype=bool)
    for col, val in zip(g, key, strict=True):
        sel &= f[col].isna().to_numpy() if pd.isna(val) else (f[col] == val).to_numpy()
    return sel


def join_by_customer(first: ibis.Table, *others: ibis.Table) -> ibis.Table:
    """``first`` (one row per customer_id) with the value columns of each of ``others`` (per
    customer aggregates, other column names) left-joined on customer_id, in the engine: one
    result to collect instead of one per table and string-keyed joins in pandas."""
    out = first
    for other in others:
        out = out.left_join(other, "customer_id").drop("customer_id_right")
    return out


def collect_by_customer(tbl: ibis.Table, ds: Dataset | None = None) -> pd.DataFrame:
    """Collected through Arrow, indexed by customer_id as text and sorted by it (the order the
    sums use); see :func:`sorted_by_customer`. The frame holds the converted arrays as they are
    (no consolidation copy)."""
    index, values = sorted_by_customer(tbl.to_pyarrow(), ds)
    return pd.DataFrame(values, index=index, copy=False)


def sorted_by_customer(arrow: pa.Table, ds: Dataset | None = None) -> tuple[pd.Index, dict[str, Any]]:
    """The ``customer_id`` column of ``arrow`` as a text index and every other column as the
    array pandas makes of it, all sorted by the ids as pandas sorts text (by code point).

    Column by column: each is converted as ``to_pandas`` converts it (NaN for a null in a count
    or a mean, ``datetime64`` in the column's unit, NaT for a null time, a time zone kept as an
    extension array; text as one object per distinct value) and gathered in the ids' order on
    its own, so that only the table and the arrays built so far are held. A
    whole-table ``to_pandas()``, its re-indexing and its ``take`` held three or four copies of
    every column (+0.5 GB at a million customers and the churn model's three cut-offs). The
    order is Arrow's sort of the ids (bytes of UTF-8 text: code point order); ids that were
    not text in the engine are sorted again as text. With ``ds``, the ids are those of
    :func:`shared_ids`."""
    order = pc.sort_indices(arrow["customer_id"]).to_numpy()
    ids = arrow["customer_id"].to_numpy(zero_copy_only=False)[order]
    index = pd.Index(ids, dtype=object, name="customer_id").astype(str)
    values = {c: _column(arrow[c])[order] for c in arrow.column_names if c != "customer_id"}
    values = {c: v.to_numpy() if isinstance(v, pd.api.extensions.ExtensionArray) and isinstance(v.dtype, np.dtype)
              else v for c, v in values.items()}
    # Arrow sorts text by its UTF-8 bytes, which is code point order, as Python compares str:
    # only ids of another type (numbers, read as text here) or a missing id (the text "None")
    # may need sorting again (the check alone cost 0.2 s a call at a million ids)
    id_col = arrow["customer_id"]
    sorted_text = (pa.types.is_string(id_col.type) or pa.types.is_large_string(id_col.type)) \
        and id_col.null_count == 0
    if not sorted_text and not index.is_monotonic_increasing:
        again = text_order(index)
        index, values = index[again], {c: v[again] for c, v in values.items()}
    if ds is not None:  # the id objects an earlier frame of ``ds`` holds (:func:`shared_ids`)
        index = pd.Index(shared_ids(ds, index.to_numpy()), dtype=object, name="customer_id")
    return index, values


def _column(col: pa.ChunkedArray) -> Any:
    """The array ``to_pandas`` makes of ``col``; text as objects shared by equal values (one per
    distinct text, None for a null) rather than one per row: a region, a channel, a tier per
    customer are a handful of texts (four such columns were 2 GB at ten million customers)."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        coded = col.combine_chunks().dictionary_encode()
        texts = np.array([*coded.dictionary.to_numpy(zero_copy_only=False), None], dtype=object)
        codes = coded.indices.fill_null(len(coded.dictionary)).to_numpy(zero_copy_only=False)
        return texts[codes]
    return col.to_pandas().array


def shared_ids(ds: Dataset, ids: Any) -> np.ndarray:
    """``ids`` (customer ids as text, sorted) as an object array, or the equal array an earlier
    per-customer frame of ``ds`` already holds: its text objects, not a copy of each.

    The value summary, the RFM summaries, the customer facts and the churn features each
    collected their own million id objects (~60 bytes each: 0.2 GB per million customers held
    to the end for three of them). The first array collected (the value summary's: every
    customer with an order) is the one held; an array of another length (customers born before
    an earlier cut-off) is returned as it is and not held. The comparison is one pass in C
    (0.2 s at ten million ids)."""
    arr = np.asarray(ids, dtype=object)
    held: list[np.ndarray] = ds.memo(("shared_customer_ids",), list)
    if not held:
        held.append(arr)
    first = held[0]
    return first if first is not arr and len(first) == len(arr) and np.array_equal(first, arr) else arr


def in_fixed_order(tbl: ibis.Table, columns: list[str]) -> ibis.Table:
    """``columns`` of ``tbl`` sorted by all of them: the same rows in the same order on every
    run and engine. A parallel scan returns rows in any order, and float sums, correlations and
    iterative fits over them then end in other digits from one run to the next (the
    satisfaction drivers and the factor loadings did at 100,000 customers); equal rows are
    interchangeable, so sorting by every column fixes the order completely."""
    return tbl.select(*columns).order_by(list(columns))


def map_distinct(values: Any, fn: Callable[[Any], Any]) -> np.ndarray:
    """``fn(v)`` for each of ``values``, as an object array, with ``fn`` called once per distinct
    value (missing values included) and its result shared by every row that holds it.

    A label per customer drawn from a handful of segments or tiers is then a handful of text
    objects referenced a million times, not a million objects (64 MB at a million customers,
    and 0.3 s of Python calls per column)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [fn(u) for u in uniques]
    return mapped[codes]


def text_order(values: Any) -> np.ndarray:
    """The stable ascending order of distinct texts, as pandas sorts them (by code point).

    Compared as a fixed-width unicode array in C rather than as Python objects (several times
    faster on a million customer ids); texts that are not all ``str`` or that hold a NUL
    character (which that array would drop at the end) are sorted as objects.
    """
    arr = np.asarray(values, dtype=object)
    if arr.size and pd.api.types.infer_dtype(arr, skipna=False) == "string" and "\x00" not in "".join(arr):
        return np.argsort(arr.astype(str), kind="stable")
    return np.argsort(arr, kind="stable")
