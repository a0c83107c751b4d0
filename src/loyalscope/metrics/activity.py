"""Per-period activity counts shared by the retention family (S, E, N, E_old, S_lost, R, A).

A customer is *active at a boundary* b (a period start, or the end of the last period) when they
have an order on a date in ``[b - w, b)``, ``w`` = ``[analysis] inactivity_days``. Periods are
numbered j = 0..n-1 on the calendar (:func:`loyalscope.metrics._base.calendar`), and boundary j
is the start of period j (boundary n is the end of the last one).

How it is computed without a customers x periods expansion
---------------------------------------------------------
An order on date d makes its customer active at every boundary in ``(d, d + w]``: boundaries
``idx(d) + 1 .. idx(d + w)``, where ``idx`` is a date's period number. Per customer these
integer ranges are merged into maximal runs ("islands": a range starting at most one past the
running maximum of the earlier ones joins them). A customer is active at boundary j iff one of
their islands contains j, and, islands being maximal, active at j but not at j + 1 iff an island
ends at j. So, per period j:

- S(j) = islands containing j; E(j) = islands containing j + 1 (difference arrays over j);
- S_lost(j) = islands ending at j (j < n), plus customers active at both ends whose contract
  ended in the period (see below);
- N(j) = customers whose first order falls in period j; NE(j) = those of them active at j + 1;
  E_old = E - NE.
- R(j) = S(j) - S_lost(j): customers active at the start who are still customers at the end
  (retained, returning); A(j) = E_old(j) - (S(j) - islands ending at j): customers active at the
  end who were neither active at the start nor new (reactivated). So E = R + A + NE + (customers
  active at both ends whose contract lapsed), R <= S and A <= E.

The engine does the per-order and per-customer work; what comes back is a handful of counts per
(boundary, group), turned into the per-period table in pandas. The result is memoised on the
dataset, so retention_rate_std, retention_rate_seed, churn_rate, join_rate and clv_simple share
one pass over the transactions.

Contract ended (spec, churn_rate: "no order within the inactivity window, or contract ended"):
a contract whose ``end_date`` falls in period j and that is not renewed ends the relationship in
j unless another contract of the customer runs past the period end (starts before it and ends
on or after it). Such a customer, if still active by orders at the period end, is counted as
lost in j all the same.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from loyalscope.metrics._base import (
    absolute_period_index,
    calendar,
    customer_attributes,
    group_mask,
    group_values,
    ind,
    period_index,
    with_group,
)
from loyalscope.metrics.days import customer_days, customer_span
from loyalscope.metrics.registry import MetricContext
from loyalscope.metrics.window import inactivity_days

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

COUNTS = ("S", "E", "N", "E_old", "S_lost", "R", "A")


def activity_counts(ds: Dataset, ctx: MetricContext) -> pd.DataFrame:
    """``period``, [``ctx.by``], S, E, N, E_old, S_lost (int64) for every calendar period (and
    every group that has customers), memoised per grain, window, group and inactivity window."""
    w = inactivity_days(ds)
    key = ("activity_counts", ctx.period, ctx.window, ctx.by, w, ds.analysis_date)
    return ds.memo(key, lambda: _compute(ds, ctx, w))


def _compute(ds: Dataset, ctx: MetricContext, w: int) -> pd.DataFrame:
    cal = calendar(ds, ctx).execute().sort_values("idx").reset_index(drop=True)
    n = len(cal)
    g = [ctx.by] if ctx.by else []
    idx = _indexer(ctx, cal)
    # islands and first orders do not depend on the group: one pass over the transactions per
    # grain, window and inactivity window, whatever the number of groups asked for
    isl, first = _islands(ds, ctx, w, cal)
    isl = with_group(ds, ctx, isl)
    # the grouped islands feed five small queries: materialise them once (a temporary table)
    with isl.cache() if ctx.by else nullcontext(isl) as isl:
        opens = _counts(isl, g, isl.lo)
        closes = _counts(isl, g, isl.hi + 1)
        ends = _counts(isl.filter(isl.hi < n), g, isl.hi)

        first = with_group(ds, ctx, first)
        new = _counts(first, g, first.j)
        fi = first.inner_join(isl.select("customer_id", "lo", "hi"), "customer_id")
        fi = fi.filter((fi.lo <= fi.j + 1) & (fi.j + 1 <= fi.hi))
        new_active = _counts(fi, g, fi.j)

        lapsed = _contract_lapses(ds, ctx, idx, n, isl, g)

        return _assemble(cal, n, g, opens, closes, ends, new, new_active, lapsed)


def prefetch_counts(ds: Dataset, ctx: MetricContext, bys: list[str]) -> None:
    """:func:`activity_counts` split by each text column of ``customers`` in ``bys``, from one
    engine query, memoised as :func:`activity_counts` memoises them (its later calls per
    column return these frames without a query).

    The per-customer facts (islands, first orders, contract lapses) do not depend on the
    group: they are tagged, joined once to all the columns' values and counted per (fact,
    boundary, combination of values). A column's counts are then the sums over the other
    columns' values: each customer has one value per column, so counts of customers add up.
    One pass over the facts instead of a grouped islands table and a query per column; the
    result has at most one row per fact row (customer-sized), usually a few thousand.

    Only an optimisation: columns that are not text (their pandas type could change once
    padded with nulls), or whose name clashes with a working column, are left to
    :func:`activity_counts`."""
    w = inactivity_days(ds)
    ctx = replace(ctx, by=None)
    dims = [b for b in dict.fromkeys(bys) if b not in _WORK and ds.has("customers", b)
            and ds.table("customers", b).schema()[b].is_string()]
    if len(dims) < 2:
        return
    cal = calendar(ds, ctx).execute().sort_values("idx").reset_index(drop=True)
    n = len(cal)
    idx = _indexer(ctx, cal)
    isl, first = _islands(ds, ctx, w, cal)
    ends = isl.filter(isl.hi < n)
    fi = first.inner_join(isl.select("customer_id", "lo", "hi"), "customer_id")
    fi = fi.filter((fi.lo <= fi.j + 1) & (fi.j + 1 <= fi.hi))
    lapsed = _lapsed(ds, ctx, idx, n, isl, [])
    facts = [(isl, isl.lo), (isl, isl.hi + 1), (ends, ends.hi), (first, first.j), (fi, fi.j),
             (lapsed, None if lapsed is None else lapsed.j)]
    tagged = [t.select(customer_id=t.customer_id, _at=at.cast("int64"),
                       _part=ibis.literal(i).cast("int64"))
              for i, (t, at) in enumerate(facts) if t is not None and at is not None]
    events = ibis.union(*tagged, distinct=False)
    attrs = customer_attributes(ds, dims)  # customers absent there: every column's null group
    j = events.left_join(attrs, events.customer_id == attrs._cid)
    frame = j.group_by(["_part", "_at", *dims]).aggregate(_c=j.customer_id.count()).execute()
    part = frame["_part"].to_numpy()
    for d in dims:
        counts: list[pd.DataFrame | None] = []
        for i, (t, _) in enumerate(facts):
            if t is None:
                counts.append(None)
                continue
            f = frame[part == i].groupby([d, "_at"], dropna=False, sort=False)["_c"].sum()
            f = f.reset_index().rename(columns={"_at": "at", "_c": "c"})
            f[d] = f[d].astype(object).where(f[d].notna(), None)
            counts.append(f.astype({"at": "int64", "c": "int64"}))
        done = _from_counts(cal, n, [d], *counts)
        ds.memo(("activity_counts", ctx.period, ctx.window, d, w, ds.analysis_date),
                partial(_same, done))


_WORK = ("customer_id", "_cid", "_part", "_at", "_c")
"""Working column names of :func:`prefetch_counts` (a group column so named is left out)."""


def _same(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def _indexer(ctx: MetricContext, cal: pd.DataFrame):
    """``idx(d)``: the calendar position (0 = first period) of the period of date ``d``."""
    base = absolute_period_index(ctx, pd.Timestamp(cal.period.iloc[0]))

    def idx(d: ibis.Value) -> ibis.Value:
        return period_index(ctx, ctx.bucket(d)) - base

    return idx


def _islands(ds: Dataset, ctx: MetricContext, w: int, cal: pd.DataFrame
             ) -> tuple[ibis.Table, ibis.Table]:
    """``customer_id``, ``island``, ``lo``, ``hi`` (the merged runs of boundaries a customer is
    active at, clipped to the calendar) and ``customer_id``, ``j`` (calendar position of the
    first order, customers whose first order falls in the calendar): materialised once per
    grain, window and inactivity window (customer-sized temporary tables shared by every
    group)."""
    key = (ctx.period, ctx.window, w, ds.analysis_date)
    # two memo entries (not a tuple) so that Dataset.release drops both temporary tables
    isl = ds.memo(("activity_islands", *key), lambda: _build_islands(ds, ctx, w, cal).cache())
    first = ds.memo(("activity_first", *key), lambda: _build_first(ds, ctx, cal).cache())
    return isl, first


def _build_islands(ds: Dataset, ctx: MetricContext, w: int, cal: pd.DataFrame) -> ibis.Table:
    # from the customer-days with each day's previous order day (one shared window pass): the
    # ranges' upper ends idx(d + w) grow with d, so the running maximum of the earlier ranges
    # is the previous day's own upper end, idx(prev + w), and a day starts an island when its
    # range begins more than one past it; islands are numbered by a running count of starts
    n = len(cal)
    idx = _indexer(ctx, cal)
    days = customer_days(ds)
    spans = days.mutate(lo=idx(days.d) + 1, hi=idx(days.d + ibis.interval(days=w)),
                        prev_max=idx(days.prev + ibis.interval(days=w)))
    spans = spans.mutate(start=ind(spans.prev.isnull() | (spans.lo > spans.prev_max + 1)))
    upto = ibis.window(group_by="customer_id", order_by="d", preceding=None, following=0)
    spans = spans.mutate(island=spans.start.sum().over(upto))
    isl = spans.group_by(["customer_id", "island"]).aggregate(lo=spans.lo.min(), hi=spans.hi.max())
    isl = isl.mutate(lo=ibis.greatest(isl.lo, 0), hi=ibis.least(isl.hi, n))
    return isl.filter(isl.lo <= isl.hi)


def _build_first(ds: Dataset, ctx: MetricContext, cal: pd.DataFrame) -> ibis.Table:
    n = len(cal)
    idx = _indexer(ctx, cal)
    first = customer_span(ds)
    first = first.select("customer_id", f=first.first_date, j=idx(first.first_date))
    return first.filter((first.j >= 0) & (first.j < n))


def _counts(tbl: ibis.Table, g: list[str], at: ibis.Value) -> ibis.Table:
    t = tbl.mutate(at=at)
    return t.group_by([*g, "at"]).aggregate(c=t.customer_id.count())


def _contract_lapses(ds: Dataset, ctx: MetricContext, idx, n: int, isl: ibis.Table,
                     g: list[str]) -> ibis.Table | None:
    """Customers active at both ends of period j whose contract ended in j (see module doc)."""
    rows = _lapsed(ds, ctx, idx, n, isl, g)
    return None if rows is None else _counts(rows, g, ibis._.j)


def _lapsed(ds: Dataset, ctx: MetricContext, idx, n: int, isl: ibis.Table,
            g: list[str]) -> ibis.Table | None:
    """``customer_id``, [group], ``j``: one row per customer and period of
    :func:`_contract_lapses` (None without contract end dates)."""
    if not ds.has("contracts", "end_date"):
        return None
    cols = ["customer_id", "start_date", "end_date"]
    renewed = ds.has("contracts", "renewed")
    c = ds.table("contracts", *cols, *(["renewed"] if renewed else []))
    c = c.mutate(s=c.start_date.cast("date"), e=c.end_date.cast("date"))
    ended = c.filter(~c.renewed.fill_null(False)) if renewed else c
    ended = ended.mutate(j=idx(ended.e))
    ended = ended.filter((ended.j >= 0) & (ended.j < n))
    ended = ended.select("customer_id", "j", pe=_period_end(ctx, ended.e)).distinct()
    other = c.select(oc=c.customer_id, os=c.s, oe=c.e)
    cover = ended.inner_join(
        other, (ended.customer_id == other.oc) & (other.os < ended.pe) & (other.oe >= ended.pe)
    ).select("customer_id", "j").distinct()
    ended = ended.select("customer_id", "j").anti_join(cover, ["customer_id", "j"])
    both = ended.inner_join(isl.select("customer_id", *g, "lo", "hi"), "customer_id")
    both = both.filter((both.lo <= both.j) & (both.j + 1 <= both.hi))
    return both.select("customer_id", *g, "j").distinct()


def _period_end(ctx: MetricContext, d: ibis.Value) -> ibis.Value:
    start = ctx.bucket(d)
    step = {"day": ibis.interval(days=1), "week": ibis.interval(days=7),
            "month": ibis.interval(months=1), "quarter": ibis.interval(months=3),
            "year": ibis.interval(years=1)}[ctx.period]
    return (start + step).cast("date")


def _execute_together(g: list[str], parts: tuple[ibis.Table | None, ...]
                      ) -> list[pd.DataFrame | None]:
    """Run the count tables (``*g``, ``at``, ``c``) as one query (a tagged union) and split
    the result: one round trip to the engine instead of one per table."""
    live = [(i, p) for i, p in enumerate(parts) if p is not None]
    tagged = [p.select(*g, at=p.at.cast("int64"), c=p.c.cast("int64"),
                       _part=ibis.literal(i).cast("int64")) for i, p in live]
    frame = ibis.union(*tagged, distinct=False).execute()
    out: list[pd.DataFrame | None] = [None] * len(parts)
    for i, _ in live:
        out[i] = frame[frame["_part"].to_numpy() == i].drop(columns="_part").reset_index(drop=True)
    return out


def _assemble(cal: pd.DataFrame, n: int, g: list[str], *parts: ibis.Table | None) -> pd.DataFrame:
    return _from_counts(cal, n, g, *_execute_together(g, parts))


def _from_counts(cal: pd.DataFrame, n: int, g: list[str], *parts: pd.DataFrame | None
                 ) -> pd.DataFrame:
    """The per-period table from the six count frames (``*g``, ``at``, ``c``): islands opening,
    closing and ending, first orders, first orders still active, contract lapses."""
    opens, closes, ends, new, new_active, lapsed = parts
    rows = []
    for key in group_values(g, opens, new):

        def dense(f: pd.DataFrame | None, size: int, key: tuple = key) -> np.ndarray:
            out = np.zeros(size, dtype=np.int64)
            if f is None or f.empty:
                return out
            at = f["at"].to_numpy(dtype=np.int64)
            sel = group_mask(f, g, key) & (at >= 0) & (at < size)
            np.add.at(out, at[sel], f["c"].to_numpy(np.int64)[sel])
            return out

        active = np.cumsum(dense(opens, n + 2) - dense(closes, n + 2))[: n + 1]
        frame = pd.DataFrame({"period": cal.period.to_numpy(), **dict(zip(g, key, strict=True))})
        frame["S"] = active[:n]
        frame["E"] = active[1:]
        frame["N"] = dense(new, n)
        frame["E_old"] = frame["E"] - dense(new_active, n)
        ended = dense(ends, n)
        frame["S_lost"] = ended + dense(lapsed, n)
        frame["R"] = frame["S"] - frame["S_lost"]
        frame["A"] = frame["E_old"] - (frame["S"] - ended)
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=["period", *g, *COUNTS])
    out = pd.concat(rows, ignore_index=True)
    out["period"] = pd.to_datetime(out["period"]).dt.date
    return out[["period", *g, *COUNTS]]
