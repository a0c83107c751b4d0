"""Customer lifetime value from a fitted transaction model and a spend model, and the
calibration / holdout checks of a transaction model.

Units are explicit everywhere: a transaction model is fitted with recency and T in one
``time_unit`` ("hour", "day", "week", "month" or "year"; a month is 365.25/12 days); horizons are given
in that unit; the discount rate is annual. Nothing is converted behind the caller's back.

    CLV_i = margin * E[spend_i] * sum_{k=1..steps} (E[Y_i(t_k)] - E[Y_i(t_{k-1})]) / (1 + d)^(years(t_k))

with t_k = k * horizon / steps: purchases expected in each step are discounted from the step's end
(the usual discrete approximation of continuous discounting; more steps, finer).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from loyalscope.models.base import as_array
from loyalscope.models.numerics.grouping import distinct_rows

DAYS_PER_UNIT = {"hour": 1.0 / 24.0, "day": 1.0, "week": 7.0, "month": 365.25 / 12.0, "year": 365.25}


class TransactionModel(Protocol):
    def predict_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray: ...

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray: ...


class SpendModel(Protocol):
    def conditional_expected_average_spend(self, frequency: Any, monetary: Any) -> np.ndarray: ...


def years_per_unit(time_unit: str) -> float:
    """Length of one ``time_unit`` in years (365.25 days)."""
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"The 'time_unit' argument must be one of {sorted(DAYS_PER_UNIT)}. Got {time_unit!r} instead.")
    return DAYS_PER_UNIT[time_unit] / 365.25


def clv(transaction_model: TransactionModel, spend_model: SpendModel, frequency: Any, recency: Any, T: Any,
        monetary: Any, *, horizon: float, time_unit: str, annual_discount_rate: float, margin: float = 1.0,
        steps: int | None = None) -> np.ndarray:
    """Discounted CLV of each customer over the next ``horizon`` time units.

    Parameters
    ----------
    transaction_model : fitted BGNBD, MBGNBD, ParetoNBD or BGBB (recency, T in ``time_unit``).
    spend_model : fitted GammaGamma; customers with frequency 0 get its population mean spend.
    frequency, recency, T, monetary : per-customer arrays (monetary = mean repeat-purchase value).
    horizon : length of the projection, in ``time_unit``.
    time_unit : unit of recency, T and horizon: "day", "week", "month" or "year".
    annual_discount_rate : yearly discount rate d (0.1 for 10%); 0 means no discounting.
    margin : share of spend that is profit (1.0 gives discounted revenue).
    steps : discount steps over the horizon; default one per month of horizon (at least 1).

    Returns
    -------
    array of CLV in the currency of ``monetary``.
    """
    spend = spend_model.conditional_expected_average_spend(frequency, monetary)
    # the discounted purchases depend on (x, t_x, T) only: summed once per distinct row, gathered
    columns = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
    rows, inverse = distinct_rows(*(np.ascontiguousarray(c).ravel() for c in columns))
    value = discounted_purchases(transaction_model, *rows, horizon=horizon, time_unit=time_unit,
                                 annual_discount_rate=annual_discount_rate, steps=steps)
    return margin * spend * value[inverse].reshape(columns[0].shape)


def discounted_purchases(transaction_model: TransactionModel, frequency: Any, recency: Any, T: Any, *,
                         horizon: float, time_unit: str, annual_discount_rate: float,
                         steps: int | None = None) -> np.ndarray:
    """``sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d)^years(t_k)`` of each row: the discounted
    purchases of :func:`clv` (which multiplies them by margin and expected spend).

    Call it once per distinct ``(x, t_x, T)`` row and gather (``value[inverse]``): each row's
    value depends on that row alone, so the gathered values are those of a call on every
    customer. Arguments as in :func:`clv`.
    """
    yrs = years_per_unit(time_unit)
    if horizon <= 0:
        raise ValueError(f"The 'horizon' argument must be > 0 ({time_unit}s). Got {horizon!r} instead.")
    if annual_discount_rate < 0:
        raise ValueError(f"The 'annual_discount_rate' argument must be >= 0. Got {annual_discount_rate!r} instead.")
    if steps is None:
        steps = max(1, int(np.ceil(horizon * yrs * 12 - 1e-9)))
    rows = [np.ascontiguousarray(np.asarray(v, dtype=float)).ravel() for v in (frequency, recency, T)]
    value = np.zeros(rows[0].size)
    previous = np.zeros_like(value)
    ts = [horizon * k / steps for k in range(1, steps + 1)]
    many = getattr(transaction_model, "predict_purchases_steps", None)  # all horizons at once (BG/NBD)
    curves = many(ts, *rows) if many is not None else None
    for k in range(1, steps + 1):
        t_k = ts[k - 1]
        cumulative = (np.asarray(transaction_model.predict_purchases(t_k, *rows), dtype=float)
                      if curves is None else curves[k - 1])
        value = value + (cumulative - previous) / (1.0 + annual_discount_rate) ** (t_k * yrs)
        previous = cumulative
    return value


def clv_simple(spend_per_period: Any, expected_lifetime_periods: Any, acquisition_cost: Any = 0.0,
               margin: float = 1.0) -> np.ndarray:
    """The catalogue's undiscounted form (metric ``clv_simple``)::

        CLV = margin * mean spend per period * expected lifetime in periods - acquisition cost

    All three arrays use the same period (e.g. spend per month and lifetime in months).
    """
    spend = as_array("spend_per_period", spend_per_period)
    life = as_array("expected_lifetime_periods", expected_lifetime_periods)
    cost = as_array("acquisition_cost", acquisition_cost)
    return margin * spend * life - cost


def calibration_holdout_summary(customer: Any, time: Any, calibration_end: float, holdout_end: float,
                                value: Any = None) -> pd.DataFrame:
    """Per-customer (frequency, recency, T) in the calibration period and purchases in the holdout.

    ``time`` is each transaction's time in one unit from any origin (e.g. days since 1970, or
    weeks); transactions at the same customer and time count as one purchase (values summed).
    Customers whose first purchase is after ``calibration_end`` are left out. ``monetary`` is the
    mean value of the calibration repeat purchases (0 when frequency is 0).

    Returns a DataFrame indexed by customer with frequency, recency, T, monetary (when ``value``
    is given), frequency_holdout and duration_holdout (= holdout_end - calibration_end).
    """
    if holdout_end <= calibration_end:
        raise ValueError("The 'holdout_end' argument must be after 'calibration_end'.")
    df = pd.DataFrame({"customer": np.asarray(customer), "time": as_array("time", time, nonneg=False)})
    df["value"] = 0.0 if value is None else as_array("value", value, nonneg=False)
    df = df[df.time <= holdout_end].groupby(["customer", "time"], as_index=False)["value"].sum()
    first = df.groupby("customer")["time"].transform("min")
    df = df[first <= calibration_end].assign(first=first[first <= calibration_end])
    cal = df[df.time <= calibration_end]
    g = cal.groupby("customer")
    out = pd.DataFrame({"frequency": g.size() - 1, "recency": g.time.max() - g["first"].min(),
                        "T": calibration_end - g["first"].min()})
    if value is not None:
        repeat = cal[cal.time > cal["first"]].groupby("customer")["value"].mean()
        out["monetary"] = repeat.reindex(out.index).fillna(0.0)
    out["frequency_holdout"] = df[df.time > calibration_end].groupby("customer").size().reindex(out.index).fillna(0).astype(int)
    out["duration_holdout"] = holdout_end - calibration_end
    return out


def holdout_by_frequency(predicted: Any, actual: Any, frequency: Any, max_bucket: int = 7) -> pd.DataFrame:
    """Mean predicted vs actual holdout purchases per calibration frequency (``max_bucket``+ pooled).

    Columns: frequency (label: "0", "1", ..., "7+"), customers, predicted, actual.
    """
    pred, act, x = as_array("predicted", predicted), as_array("actual", actual), as_array("frequency", frequency)
    bucket = np.minimum(x, max_bucket).astype(int)
    df = pd.DataFrame({"bucket": bucket, "predicted": pred, "actual": act})
    out = df.groupby("bucket").agg(customers=("predicted", "size"), predicted=("predicted", "mean"),
                                   actual=("actual", "mean")).reset_index()
    out.insert(0, "frequency", [f"{b}+" if b == max_bucket else str(b) for b in out.pop("bucket")])
    return out


def holdout_mae(predicted: Any, actual: Any) -> float:
    """Mean absolute error of per-customer holdout purchase predictions."""
    return float(np.mean(np.abs(as_array("predicted", predicted) - as_array("actual", actual))))


def cumulative_curve(model: TransactionModel, first_purchase: Any, repeat_purchase_times: Any,
                     grid: Any) -> pd.DataFrame:
    """Aggregate cumulative repeat purchases, expected vs actual (FHL 2005, figure 2).

    ``first_purchase`` holds each customer's first-purchase time, ``repeat_purchase_times`` the times
    of all repeat purchases, ``grid`` the times to report; all in the model's time unit and from one
    origin. Expected(t) = sum_i E[X(t - first_i)] over customers with first_i < t.
    """
    births, counts = np.unique(as_array("first_purchase", first_purchase, nonneg=False), return_counts=True)
    repeats = np.sort(as_array("repeat_purchase_times", repeat_purchase_times, nonneg=False))
    grid = as_array("grid", grid, nonneg=False)
    expected = np.empty(grid.size)
    for i, t in enumerate(grid):
        alive = births < t
        expected[i] = counts[alive] @ model.expected_purchases_new_customer(t - births[alive]) if alive.any() else 0.0
    actual = np.searchsorted(repeats, grid, side="right")
    return pd.DataFrame({"t": grid, "expected": expected, "actual": actual})
