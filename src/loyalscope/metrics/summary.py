"""Per-customer RFM summary for the BTYD models, computed in the engine.

Definitions match ``lifetimes.utils.summary_data_from_transaction_data`` with ``freq="D"``
(Fader, Hardie & Lee 2005, "Counting your customers the easy way"):

- orders are reduced to purchase *days* (amounts of one day summed);
- ``frequency`` = number of purchase days - 1 (repeat purchase days);
- ``recency`` = last purchase day - first purchase day;
- ``T`` = observation end - first purchase day (the end day is inclusive: orders on it count);
- ``monetary_value`` = mean of the per-day amounts over the repeat purchase days, 0 when
  ``frequency`` is 0 (``monetary="repeat_mean"``); ``"all_mean"`` includes the first day.

Durations are in ``time_unit``: days, weeks (days / 7) or months (days / 30.4375, the mean
Gregorian month; lifetimes' equivalent is ``freq="D", freq_multiplier=30.4375``). They are
continuous, so a first purchase 3 days before the end gives ``T = 3/7`` weeks.

``time_unit="hour"`` reduces orders to purchase *clock hours* instead of days (lifetimes'
``freq="h"``) and measures durations in hours; ``T`` runs to the last hour of the end day
(23:00), so orders on the end day count, as for days.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

import ibis
import pandas as pd

from loyalscope.errors import ConfigError
from loyalscope.i18n import t
from loyalscope.metrics._base import money_sum

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

TimeUnit = Literal["hour", "day", "week", "month"]
UNIT_DAYS = {"hour": 1.0 / 24.0, "day": 1.0, "week": 7.0, "month": 30.4375}


def _purchase_days(ds: Dataset, start: date | None, end: date, hourly: bool = False) -> ibis.Table:
    """Amount per customer and purchase day (``d``: whole days since 1970-01-01), or per purchase
    clock hour (``d``: whole hours since 1970-01-01) when ``hourly``."""
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    day = tx.order_ts.date()
    tx = tx.filter(day <= ibis.date(end))
    if start is not None:
        tx = tx.filter(tx.order_ts.date() > ibis.date(start))
    secs = tx.order_ts.cast("timestamp").epoch_seconds()
    grain = 3600 if hourly else 86400
    tx = tx.mutate(d=(secs // grain).cast("int64"))
    return tx.group_by(["customer_id", "d"]).aggregate(amt=money_sum(tx.amount))


def _unit(time_unit: str) -> float:
    if time_unit not in UNIT_DAYS:
        raise ConfigError(
            f"Unknown time unit {time_unit!r}.", value=time_unit, fix="Use hour, day, week or month."
        )
    return UNIT_DAYS[time_unit]


def customer_summary(
    ds: Dataset,
    calibration_end: date | None = None,
    observation_end: date | None = None,
    time_unit: TimeUnit = "day",
    monetary: Literal["repeat_mean", "all_mean"] = "repeat_mean",
) -> ibis.Table:
    """Frequency, recency, T and monetary value per customer.

    Parameters
    ----------
    ds : Dataset
    calibration_end : date, optional
        End (inclusive) of the calibration period. When given, the summary covers orders up to
        it and ``T`` is measured to it; if ``observation_end`` is later, the holdout columns
        ``frequency_holdout`` (purchase days in (calibration_end, observation_end]),
        ``monetary_value_holdout`` (their mean per-day amount, 0 if none) and
        ``duration_holdout`` are added, as in lifetimes' ``calibration_and_holdout_data``
        (except that lifetimes averages single transactions in the holdout; we average
        purchase days, as in the calibration period).
    observation_end : date, optional
        Inclusive end of observation; default: the last order date.
    time_unit : {"hour", "day", "week", "month"}
    monetary : {"repeat_mean", "all_mean"}

    Returns
    -------
    ibis.Table
        ``customer_id, frequency, recency, T, monetary_value`` [holdout columns]; customers
        whose first order is after the end are absent.
    """
    per = _unit(time_unit)
    if monetary not in ("repeat_mean", "all_mean"):
        raise ConfigError(t("core.input_errors.unknown_monetary", monetary=monetary),
                          fix=t("core.input_errors.unknown_monetary_fix"))
    if observation_end is None:
        tx = ds.table("transactions", "order_ts")
        last = tx.order_ts.max().execute()
        if last is None or pd.isna(last):
            raise ConfigError(t("core.input_errors.no_transactions"), fix=t("core.input_errors.no_transactions_fix"))
        observation_end = pd.Timestamp(last).date()
    end = calibration_end or observation_end
    hourly = time_unit == "hour"
    # durations in grains (days, or hours when hourly), then divided by grains per unit
    per = 1.0 if hourly else per
    days = _purchase_days(ds, None, end, hourly)
    first = days.group_by("customer_id").aggregate(first=days.d.min()).rename(cid="customer_id")
    j = days.inner_join(first, days.customer_id == first.cid)
    j = j.mutate(rep=(j.d > j.first).ifelse(j.amt, 0.0))
    agg = j.group_by("customer_id").aggregate(
        n=j.d.count(), f=j.first.min(), last=j.d.max(), total=money_sum(j.amt), rep_sum=money_sum(j.rep)
    )
    freq = agg.n - 1
    if monetary == "repeat_mean":
        mon = (freq > 0).ifelse(agg.rep_sum / freq.cast("float64"), 0.0)
    else:
        mon = agg.total / agg.n.cast("float64")
    end_days = (pd.Timestamp(end) - pd.Timestamp("1970-01-01")).days
    end_grain = end_days * 24 + 23 if hourly else end_days
    out = agg.select(
        "customer_id",
        frequency=freq.cast("int64"),
        recency=(agg.last - agg.f).cast("float64") / per,
        T=(end_grain - agg.f).cast("float64") / per,
        monetary_value=mon.cast("float64"),
    )
    if calibration_end is None or observation_end <= calibration_end:
        return out
    hold = _purchase_days(ds, calibration_end, observation_end, hourly)
    h = hold.group_by("customer_id").aggregate(
        fh=hold.d.count(), mh=money_sum(hold.amt) / hold.d.count().cast("float64")
    ).rename(hid="customer_id")
    o = out.left_join(h, out.customer_id == h.hid)
    duration = (pd.Timestamp(observation_end) - pd.Timestamp(calibration_end)).days / UNIT_DAYS[time_unit]
    return o.select(
        *out.columns,
        frequency_holdout=o.fh.fill_null(0).cast("int64"),
        monetary_value_holdout=o.mh.fill_null(0.0).cast("float64"),
        duration_holdout=ibis.literal(duration, "float64"),
    )


def compress(summary: ibis.Table) -> ibis.Table:
    """Distinct ``(frequency, recency, T)`` triples with their ``count`` (the weights for
    fitting the BTYD models on far fewer rows)."""
    return summary.group_by(["frequency", "recency", "T"]).aggregate(
        count=summary.customer_id.count()
    ).order_by(["frequency", "recency", "T"])
