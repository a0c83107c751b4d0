"""The value section's inputs from the engine in one pass over the transactions.

The section needs, per customer, the summary over the whole window and over the calibration
period with the holdout purchases (:func:`loyalscope.metrics.summary.customer_summary`), the
spend of the trailing horizon, and for its diagnostics the repeat purchase days; and, per day,
the customers born and the repeat purchase days. Each used to be its own query over the
transactions (five scans, each grouping the orders by customer and day again, and joining each
day to the customer's first). Here the orders are grouped by customer and purchase day once,
into a materialised table ``(customer_id, day, amt)`` (``day``: whole days since 1970, ``amt``:
the day's spend); one group-by over it computes every per-customer column with conditional
aggregates, and one over the days the purchase days per day (births come from the customers'
first days).

The definitions are those of :func:`~loyalscope.metrics.summary.customer_summary` and
:func:`~loyalscope.sections.value.trailing_spend`, with the same exact decimal sums
(:func:`~loyalscope.metrics._base.money_sum`): a day's spend summed again as a decimal gives the
sum over its orders exactly (a float64 with at most four decimals converts back to the same
decimal), so the numbers are those of the separate queries. Hourly summaries (``time_unit =
"hour"``) group by clock hour and keep the separate queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from loyalscope.metrics._base import epoch_days, ind, money_sum, shared_ids, text_order
from loyalscope.metrics.days import customer_days, order_days

__all__ = ["ValueInputs", "daily_inputs", "purchase_days"]

EPOCH = pd.Timestamp("1970-01-01")


@dataclass
class ValueInputs:
    """Per-customer frames of the value section (see the module doc).

    ``full``: customer_id, frequency, recency, T, monetary_value, repeat_purchase_days (the
    offsets in days of the repeat purchase days, space separated; None without any) and
    trailing_spend (spend in the trailing window, 0 without any). ``split``: the calibration
    summary with frequency_holdout, monetary_value_holdout, duration_holdout (None without a
    calibration period). ``tracking``: customers per first purchase day and repeat purchase
    days per day, as :func:`~loyalscope.sections.value_diagnostics.tracking_inputs` returns
    them (the days in the same numbering).
    """

    full: pd.DataFrame
    split: pd.DataFrame | None
    tracking: tuple[pd.DataFrame, pd.DataFrame]


def purchase_days(ds: Any) -> Any:
    """``customer_id, d, n, amt, day``: the purchase days (``d`` the date, ``day`` the same in
    whole days since 1970) with their orders (int64) and spend, materialised in the engine.
    Its rows, ``n`` and ``amt`` are :func:`~loyalscope.metrics.days.order_days`' (with the
    spend), which :func:`daily_inputs` lets the shared customer-days table read from here."""
    days = order_days(ds, spend=True)
    return days.mutate(day=epoch_days(days.d)).cache()


def _day(d: date) -> int:
    return int((pd.Timestamp(d) - EPOCH).days)


def _exact(v: Any) -> Any:
    return v.cast(dt.Decimal(18, 4))


# purchase days per query of the per-customer lists: the lists of a hash aggregate are held in
# memory (DuckDB cannot spill them); 102M purchase days at 10M customers needed more than 3.7 GiB
BUCKET_ROWS = 10_000_000


def by_customer_buckets(j: Any, per_customer: Callable[[Any], Any]) -> pd.DataFrame:
    """``per_customer(j)`` collected, as one query up to :data:`BUCKET_ROWS` rows of ``j``, else
    one per bucket of customers (a hash of the id): each customer's rows in one bucket, so the
    rows are those of one query (in another order, which the caller sorts).

    Collected through Arrow (:func:`_collect`): numbers as numpy arrays, a column of integers
    with missing values as floats, text as objects. Ibis's ``execute`` made a Python object of
    every value of each column holding a missing value first (1 s at a million customers); the
    callers convert every column to the type they need."""
    buckets = -(-int(j.count().execute()) // BUCKET_ROWS)
    if buckets <= 1:
        return _collect(per_customer(j))
    key = (j.customer_id.hash() % buckets).abs()
    return pd.concat([_collect(per_customer(j.filter(key == i))) for i in range(buckets)],
                     ignore_index=True)


def _collect(expr: Any) -> pd.DataFrame:
    """``expr`` as a frame through Arrow, each column its own block and the Arrow buffers freed
    as they are converted (a plain ``to_pandas()`` held both copies at once: +100 MiB at the
    value step's peak, 1M customers)."""
    return expr.to_pyarrow().to_pandas(split_blocks=True, self_destruct=True)


def daily_inputs(ds: Any, end: date, cal_end: date | None, trailing_start: pd.Timestamp,
                 per: float, duration: float | None) -> ValueInputs:
    """:class:`ValueInputs` for daily (or coarser) time units from one purchase-days table.

    ``end``: the last order date (observation end, inclusive); ``cal_end``: the calibration end
    (None: no split); ``trailing_start``: the first instant of the trailing window (a midnight);
    ``per``: days per time unit; ``duration``: the holdout length in time units.

    The spend of the repeat purchase days is the exact decimal sum over all purchase days less
    the first day's (the same decimal as the sum over the days after the first), so no row
    needs its customer's first day joined to it.
    """
    days = purchase_days(ds)
    try:
        # the section's next step reads the customer days (the inactivity window): from the
        # purchase days while they exist, instead of grouping the orders again
        customer_days(ds, days)
        return _inputs(ds, days, end, cal_end, trailing_start, per, duration)
    finally:
        days.release()


def _inputs(ds: Any, j: Any, end: date, cal_end: date | None, trailing_start: pd.Timestamp, per: float,
            duration: float | None) -> ValueInputs:
    c = _day(cal_end) if cal_end is not None else None

    def per_customer(part: Any) -> Any:
        first_amt = _exact(part.amt.argmin(part.day))
        cols: dict[str, Any] = {
            "n": part.day.count(), "f": part.day.min(), "last": part.day.max(),
            "rep_sum": (_exact(part.amt).sum() - first_amt).cast("float64"),
            "trailing": money_sum((part.day >= _day(trailing_start.date())).ifelse(part.amt, 0.0)),
            "all_days": part.day.collect(),
        }
        if c is not None:
            cal = part.day <= c
            cols.update(n_cal=ind(cal).sum(), last_cal=part.day.max(where=cal),
                        rep_cal=(_exact(cal.ifelse(part.amt, 0.0)).sum() - first_amt).cast("float64"),
                        n_hold=ind(~cal).sum(), hold_sum=money_sum((~cal).ifelse(part.amt, 0.0)))
        agg = part.group_by("customer_id").aggregate(**cols)
        text = agg.all_days.sort()[1:].map(lambda v: (v - agg.f).cast("string")).join(" ").nullif("")
        return agg.mutate(repeat_purchase_days=text).drop("all_days")

    frame = by_customer_buckets(j, per_customer)
    ids = frame.customer_id.astype(str).to_numpy()
    order = text_order(ids)  # by customer id, as the section sorts them: full and split sorted once
    frame, ids = frame.take(order), shared_ids(ds, ids[order])
    frame.index = pd.RangeIndex(len(frame))  # reset_index(drop=True) copied every column again
    f = frame.f.to_numpy(np.int64)
    full = _summary(ids, frame.n.to_numpy(np.int64), f, frame["last"].to_numpy(np.int64),
                    frame.rep_sum.to_numpy(float), _day(end), per)
    full["repeat_purchase_days"] = frame.repeat_purchase_days.to_numpy(object)
    full["trailing_spend"] = frame.trailing.to_numpy(float)
    split = None
    if c is not None and duration is not None:
        born = f <= c
        # the calibration columns only: a mask over the frame copied every column (its text too)
        sub = {k: frame[k].to_numpy()[born] for k in ("n_cal", "last_cal", "rep_cal", "n_hold", "hold_sum")}
        split = _summary(ids[born], sub["n_cal"].astype(np.int64), f[born], sub["last_cal"].astype(np.int64),
                         sub["rep_cal"].astype(float), c, per)
        fh = sub["n_hold"].astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            mh = np.where(fh > 0, sub["hold_sum"].astype(float) / fh.astype(float), 0.0)
        split["frequency_holdout"] = fh
        split["monetary_value_holdout"] = mh
        split["duration_holdout"] = float(duration)
    births = pd.Series(f).value_counts().sort_index()
    per_day = j.group_by("day").aggregate(n=j.day.count()).order_by("day").execute()
    repeats = per_day.n.to_numpy(np.int64) - births.reindex(per_day.day.to_numpy(), fill_value=0).to_numpy(np.int64)
    tracking = (pd.DataFrame({"first": births.index.to_numpy(np.int64), "n": births.to_numpy(np.int64)}),
                pd.DataFrame({"day": per_day.day.to_numpy(np.int64), "n": repeats})[repeats > 0].reset_index(drop=True))
    return ValueInputs(full, split, tracking)


def _summary(ids: np.ndarray, n: np.ndarray, first: np.ndarray, last: np.ndarray, rep_sum: np.ndarray,
             end_day: int, per: float) -> pd.DataFrame:
    """The columns of :func:`~loyalscope.metrics.summary.customer_summary` from the aggregates
    (the same arithmetic: integer day differences cast to float64, divided by ``per``)."""
    freq = n - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        mon = np.where(freq > 0, rep_sum / freq.astype(float), 0.0)
    return pd.DataFrame({"customer_id": ids, "frequency": freq,
                         "recency": (last - first).astype(float) / per,
                         "T": (end_day - first).astype(float) / per, "monetary_value": mon})
