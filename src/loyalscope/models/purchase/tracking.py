"""Tracking of a transaction model: actual vs expected repeat transactions per period.

The customers of a base were "born" (made their first purchase) at times ``b`` with counts
``N_b``; the model expects a customer to make ``E[X(t)]`` repeat purchases in the first ``t`` time
units, so the base is expected to have made (Fader, Hardie & Lee 2005, figure 2)::

    cumulative expected(t) = sum_b N_b E[X(t - b)]        over the births b < t

repeat purchases by time t, against the actual count of repeat purchases up to t. Period by
period, the incremental curves are the differences. Everything is on distinct birth times and
period ends (a few hundred each), so a base of millions of customers costs a matrix of
``births x periods`` expectations; the inputs are aggregates from the engine.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from loyalscope.models.base import as_array


class _NewCustomerModel(Protocol):
    def expected_purchases_new_customer(self, t: Any) -> np.ndarray: ...


def tracking_frame(model: _NewCustomerModel, birth_times: Any, birth_counts: Any, repeat_times: Any,
                   repeat_counts: Any, period_ends: Any) -> pd.DataFrame:
    """Actual and expected repeat transactions per period, incremental and cumulative.

    Parameters
    ----------
    model : a fitted transaction model (``expected_purchases_new_customer``), in the time unit below.
    birth_times, birth_counts : distinct first-purchase times and how many customers had each.
    repeat_times, repeat_counts : distinct times of repeat purchases and how many at each.
    period_ends : increasing ends of the periods; the first period starts at the earliest birth.

    All times are in the model's time unit from one origin (e.g. days since the first order / 7).

    Returns
    -------
    DataFrame with columns period_end, actual, expected, cumulative_actual, cumulative_expected.
    """
    births = as_array("birth_times", birth_times, nonneg=False)
    counts = as_array("birth_counts", birth_counts)
    times = as_array("repeat_times", repeat_times, nonneg=False)
    repeats = as_array("repeat_counts", repeat_counts)
    ends = as_array("period_ends", period_ends, nonneg=False)
    if births.shape != counts.shape or times.shape != repeats.shape:
        raise ValueError("Times and counts must have the same length.")
    if np.any(np.diff(ends) <= 0):
        raise ValueError("The 'period_ends' argument must be increasing.")
    age = np.clip(ends[None, :] - births[:, None], 0.0, None)  # (births, periods)
    expected_cum = counts @ model.expected_purchases_new_customer(age.ravel()).reshape(age.shape)
    order = np.argsort(times)
    cum_repeats = np.concatenate([[0.0], np.cumsum(repeats[order])])
    actual_cum = cum_repeats[np.searchsorted(times[order], ends, side="right")]
    return pd.DataFrame({
        "period_end": ends,
        "actual": np.diff(actual_cum, prepend=0.0),
        "expected": np.diff(expected_cum, prepend=0.0),
        "cumulative_actual": actual_cum,
        "cumulative_expected": expected_cum,
    })


def frequency_distribution(model: Any, frequency: Any, T: Any, weights: Any = None, max_frequency: int = 7) -> pd.DataFrame:
    """Customers with 0, 1, ..., ``max_frequency``+ repeat transactions in calibration: actual
    counts against the model's ``sum_i P(X(T_i) = n)`` (lifetimes' ``plot_period_transactions``,
    computed exactly instead of by simulation).

    Returns a frame with columns frequency (label "0" ... "7+"), actual, expected.
    """
    x = as_array("frequency", frequency)
    w = np.ones(x.size) if weights is None else as_array("weights", weights)
    expected = model.expected_frequency_distribution(T, weights=w, max_frequency=max_frequency)["expected"].to_numpy()
    actual = np.bincount(np.minimum(x, max_frequency).astype(int), weights=w, minlength=max_frequency + 1)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.DataFrame({"frequency": labels, "actual": actual, "expected": expected})
