"""A metric split by several customer attributes at once, then added up per attribute.

The monitor splits a metric by every segment column (region, channel, member tier ...). Split
one column at a time, each split is a pass over the metric's input (10M orders joined to their
returns, a self-join of the customer-period table ...). For a metric whose numerator,
denominator and ``n`` are *counts of cases that each belong to one customer* (orders, ordering
customers, answers: :attr:`~loyalscope.metrics.registry.Metric.additive`), and for columns that
are attributes of the customer (read from ``customers``, one value per customer), one pass
grouped by the combination of the columns gives every split: a customer is in exactly one
combination, so the counts of, say, one region are the sums of its combinations' counts. The
sums of counts are exact (integers in float64 below 2**53).

The combination is one text column (:func:`combination`), a join of the columns' values with
``|``, each value's ``\\`` and ``|`` escaped and a missing value written ``\\N``; a
one-to-one code, decoded in Python (:func:`decode`) without a query.

Reference: the same identity the retention family's split uses
(:func:`loyalscope.metrics.activity.prefetch_counts`): counts of customers add up over a
partition of the customers.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset
    from loyalscope.metrics.registry import Grain, Metric

PREFIX = "_ls_by_"
"""Name prefix of a combination column (never a column of the data: names starting with an
underscore are not canonical columns)."""
_NULL = "\\N"


def name_for(columns: tuple[str, ...]) -> str:
    """The combination column's name for ``columns`` (short and plain on every engine)."""
    digest = hashlib.sha1("\x1f".join(columns).encode()).hexdigest()[:12]
    return PREFIX + digest


def register(ds: Dataset, columns: tuple[str, ...]) -> str:
    """Remember which customer columns the combination named :func:`name_for` holds (the
    metrics' group joins read them back through :func:`columns_of`); return the name."""
    name = name_for(columns)
    ds.memo(("combined_columns", name), lambda: columns)
    return name


def columns_of(ds: Dataset, name: str) -> tuple[str, ...] | None:
    """The customer columns of a registered combination, None if ``name`` is not one."""
    if not name.startswith(PREFIX):
        return None
    cols: tuple[str, ...] | None = ds.memoised(("combined_columns", name))
    return cols


def _escaped(v: ir.StringValue) -> ir.StringValue:
    return ibis.ifelse(v.isnull(), _NULL, v.replace("\\", "\\\\").replace("|", "\\|"))


def combination(cust: ir.Table, columns: tuple[str, ...]) -> ir.StringValue:
    """The combination of ``columns`` of ``cust`` as one text value (see the module
    docstring)."""
    out: ir.StringValue = _escaped(cust[columns[0]].cast("string"))
    for c in columns[1:]:
        out = out + "|" + _escaped(cust[c].cast("string"))
    return out


def decode(code: str, width: int) -> tuple[str | None, ...]:
    """The values a :func:`combination` text was made of (None for a missing value)."""
    values: list[str | None] = []
    buf: list[str] = []
    null = False
    i = 0
    while i < len(code):
        ch = code[i]
        if ch == "\\":
            nxt = code[i + 1]
            if nxt == "N":
                null = True
            else:
                buf.append(nxt)
            i += 2
            continue
        if ch == "|":
            values.append(None if null else "".join(buf))
            buf, null = [], False
        else:
            buf.append(ch)
        i += 1
    values.append(None if null else "".join(buf))
    if len(values) != width:
        raise ValueError(f"combination {code!r} holds {len(values)} values, not {width}")
    return tuple(values)


def attributes(ds: Dataset, name: str) -> ir.Table:
    """``_cid``, the combination ``name`` and each of its columns: one row per customer id of
    ``customers`` (materialised once; customer_id is the key, ``max`` keeps one row per id on
    every engine, as for a single column)."""
    cols = columns_of(ds, name)
    if cols is None:
        raise KeyError(name)

    def build() -> ir.Table:
        from loyalscope.metrics._base import customer_attributes

        agg = customer_attributes(ds, cols)
        return agg.mutate(**{name: combination(agg, cols)}).cache()

    return ds.memo(("table", "combined_attributes", name), build)


def customer_columns(ds: Dataset, requires: tuple[str, ...], bys: list[str]) -> list[str]:
    """The columns of ``bys`` that are text attributes of ``customers`` and no column of a table
    the metric reads (``requires``: a column of the orders, such as their channel, groups each
    order by its own value; a customer can then be in several groups)."""
    tables = {part.split(".")[0] for req in requires for part in req.split("|")}
    out = []
    for b in dict.fromkeys(bys):
        if not ds.has("customers", b) or not ds.table("customers", b).schema()[b].is_string():
            continue
        if any(ds.has(tb) and b in ds.table(tb).columns for tb in tables if tb != "customers"):
            continue
        out.append(b)
    return out


def prefetch(ds: Dataset, metric: Metric, period: Grain, bys: list[str],
             window: tuple[date, date] | None = None) -> list[str]:
    """Memoise the splits of an additive ``metric`` by each customer column of ``bys`` (see
    :func:`customer_columns`) from one engine query, as :func:`~loyalscope.metrics.registry.
    compute` would; return the columns done (none when fewer than two qualify, or when the
    metric's table is not a sum of counts: a ``value`` or ``breakdown`` column)."""
    from loyalscope.metrics.registry import MetricContext, _same, finish

    cols = tuple(customer_columns(ds, metric.requires, bys))
    if not metric.additive or metric.breakdown is not None or len(cols) < 2:
        return []
    name = register(ds, cols)
    expr = metric.build(ds, MetricContext(period=period, by=name, window=window))
    if "value" in expr.columns or name not in expr.columns:
        return []
    frame = expr.execute()
    # from now on the per-column customer-period tables are projections of the combined one
    # (only once it has worked: a failure here leaves every column to its own split)
    for c in cols:
        ds.memo(("combined_for", c), lambda: name)
    sums = [c for c in ("numerator", "denominator", "n") if c in frame.columns]
    # a customer absent from customers has no combination: no value in any column
    missing = (None,) * len(cols)
    values = [missing if code is None or code != code else decode(code, len(cols))
              for code in frame[name].tolist()]
    for i, col in enumerate(cols):
        part = frame[["period", *sums]].copy()
        part[col] = pd.Series([v[i] for v in values], index=frame.index, dtype=object)
        grouped = part.groupby(["period", col], dropna=False, sort=False)[sums].sum().reset_index()
        grouped[col] = grouped[col].astype(object).where(grouped[col].notna(), None)
        done = finish(grouped[["period", col, *sums]], col, None)
        ds.memo(("metric", metric.id, period, col, window), partial(_same, done))
    return list(cols)


def combined_for(ds: Dataset, column: str) -> str | None:
    """The registered combination holding customer column ``column``, if any."""
    found: str | None = ds.memoised(("combined_for", column))
    return found
