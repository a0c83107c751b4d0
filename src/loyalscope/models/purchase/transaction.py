"""What every transaction model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) offers beyond its likelihood.

A model implements ``p_alive``, ``_pmf(n, t, x, t_x, T)`` (see :mod:`.pmf`) and ``_simulate``
(see :mod:`.simulate`); this base adds, vectorised over customers:

* :meth:`TransactionModel.prob_n_purchases` and :meth:`prob_n_purchases_new_customer`:
  ``P(Y(t) = n | x, t_x, T)`` and ``P(X(t) = n)``;
* :meth:`p_alive_matrix`: P(alive) on a frequency x recency grid for one customer age;
* :meth:`p_alive_history`: P(alive) of one customer over time, from the purchase times;
* :meth:`expected_frequency_distribution`: expected customers with 0, 1, 2, ... repeat purchases
  in calibration, ``sum_i P(X(T_i) = n)``, against which the observed counts are compared;
* :meth:`simulate`: new customers drawn from the fitted model.

Times are in the model's time unit (BG/BB: whole opportunities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalscope.models.base import MLEModel, as_array, harmless_underflow
from loyalscope.models.numerics.grouping import distinct_rows


class TransactionModel(MLEModel):
    """Shared predictions of the repeat-transaction models (abstract)."""

    #: BG/BB counts whole opportunities; the continuous-time models any duration.
    _discrete: bool = False

    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _pmf(self, n: np.ndarray, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - abstract

    def _simulate(self, T: Any, size: int | None, t_holdout: float, seed: int | None) -> pd.DataFrame:
        raise NotImplementedError  # pragma: no cover - abstract

    @harmless_underflow
    def prob_n_purchases(self, n: Any, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability of exactly ``n`` repeat purchases in the next ``t`` time units, per customer.

        ``P(Y(t) = n | x, t_x, T) = P(alive) P(Y(t) = n | alive) + (1 - P(alive)) [n = 0]``; see
        :mod:`loyalscope.models.purchase.pmf` for each model's formula. ``n`` (whole numbers >= 0),
        ``t`` and the customer arrays broadcast against each other.
        """
        self._check_fitted()
        arrays = [np.asarray(v, dtype=float) for v in (n, t, frequency, recency, T)]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        nn, tt, x, tx, age = (as_array(k, np.broadcast_to(a, shape))
                              for k, a in zip(("n", "t", "frequency", "recency", "T"), arrays, strict=True))
        if np.any(nn != np.round(nn)):
            raise ValueError(f"The 'n' argument must hold whole numbers of purchases. Got {nn[nn != np.round(nn)][0]!r}.")
        rows, inverse = distinct_rows(nn, tt, x, tx, age)  # once per distinct (n, t, x, t_x, T)
        return self._pmf(*rows)[inverse].reshape(shape)

    def prob_n_purchases_new_customer(self, n: Any, t: Any) -> np.ndarray:
        """``P(X(t) = n)``: probability that a customer who first bought at time 0 makes exactly ``n``
        repeat purchases by ``t`` (FHL 2005, eq. 8 for BG/NBD)."""
        return self.prob_n_purchases(n, t, 0.0, 0.0, 0.0)

    @harmless_underflow
    def p_alive_matrix(self, max_frequency: int, max_recency: float, T: float | None = None,
                       recency_steps: int | None = None) -> pd.DataFrame:
        """P(alive) of a customer of age ``T`` (default ``max_recency``) for every frequency
        ``0..max_frequency`` (columns) and recency on a grid from 0 to ``max_recency`` (rows).

        Frequency > 0 with recency 0 (all repeat purchases on the first day) is included, as in
        lifetimes' ``conditional_probability_alive_matrix``. The grid has ``recency_steps + 1``
        rows (default: one per time unit, at most 201).
        """
        self._check_fitted()
        age = float(max_recency if T is None else T)
        if max_frequency < 0 or max_recency < 0 or max_recency > age:
            raise ValueError("p_alive_matrix needs max_frequency >= 0 and 0 <= max_recency <= T.")
        steps = recency_steps if recency_steps is not None else int(min(200, max(1, np.ceil(max_recency))))
        recency = np.linspace(0.0, float(max_recency), steps + 1)
        if self._discrete:
            recency = np.unique(np.round(recency))
        freq = np.arange(int(max_frequency) + 1, dtype=float)
        x, tx = np.meshgrid(freq, recency)
        if self._discrete:  # BG/BB needs x <= t_x; impossible cells are NaN
            ok = x <= tx
            values = np.full(x.shape, np.nan)
            values[ok] = self.p_alive(x[ok], tx[ok], np.full(int(ok.sum()), age))
        else:
            values = self.p_alive(x.ravel(), tx.ravel(), np.full(x.size, age)).reshape(x.shape)
        return pd.DataFrame(values, index=pd.Index(recency, name="recency"),
                            columns=pd.Index(freq.astype(int), name="frequency"))

    @harmless_underflow
    def p_alive_history(self, purchase_times: Any, T: float, grid: Any = None) -> pd.DataFrame:
        """P(alive) of one customer at every time of a grid from the first purchase to ``T``.

        ``purchase_times``: times of the customer's purchases since the first one (which is at 0
        and may be given or left out), in the model's time unit. At time ``u`` the customer has
        ``x(u)`` repeat purchases, the last at ``t_x(u)``, and age ``u``, so
        ``P(alive at u) = p_alive(x(u), t_x(u), u)``: it falls between purchases and jumps up at each.
        ``grid`` defaults to 200 points from 0 to T plus each purchase time (the jumps).

        Returns a frame with columns t, frequency, recency, p_alive.
        """
        self._check_fitted()
        times = np.sort(as_array("purchase_times", purchase_times, nonneg=False))
        repeat = times[times > 0]
        if repeat.size and repeat[-1] > T + 1e-9:
            raise ValueError(f"Purchase times must be <= T ({T!r}). Got {repeat[-1]!r}.")
        if grid is None:
            grid = np.unique(np.concatenate([np.linspace(0.0, float(T), 201), repeat]))
            if self._discrete:
                grid = np.arange(0.0, float(T) + 1.0)
        u = as_array("grid", grid)
        x = np.searchsorted(repeat, u, side="right").astype(float)
        tx = np.where(x > 0, repeat[np.maximum(x.astype(int) - 1, 0)] if repeat.size else 0.0, 0.0)
        return pd.DataFrame({"t": u, "frequency": x, "recency": tx, "p_alive": self.p_alive(x, tx, u)})

    def expected_frequency_distribution(self, T: Any, weights: Any = None, max_frequency: int = 7) -> pd.DataFrame:
        """Expected number of customers with 0, 1, ..., ``max_frequency``+ repeat purchases in
        calibration: ``E_n = sum_i w_i P(X(T_i) = n)`` over the customers' ages ``T_i`` (the last
        row pools ``n >= max_frequency``). Computed once per distinct age.

        Returns a frame with columns frequency (int), expected.
        """
        ages = as_array("T", T)
        w = np.ones(ages.size) if weights is None else as_array("weights", weights)
        uniq, inverse = np.unique(ages, return_inverse=True)
        per_age = np.bincount(inverse.ravel(), weights=w, minlength=uniq.size)
        n = np.arange(max_frequency, dtype=float)
        probs = self.prob_n_purchases_new_customer(n[None, :], uniq[:, None]) if n.size else np.zeros((uniq.size, 0))
        expected = per_age @ probs
        tail = float(per_age.sum() - expected.sum())
        return pd.DataFrame({"frequency": np.arange(max_frequency + 1), "expected": np.append(expected, max(tail, 0.0))})

    def simulate(self, T: Any, size: int | None = None, t_holdout: float = 0.0, seed: int | None = None) -> pd.DataFrame:
        """Draw new customers of ages ``T`` (an array, or one age repeated ``size`` times) from the
        fitted model (see :mod:`loyalscope.models.purchase.simulate`).

        Returns frequency, recency, T (fit input), frequency_holdout (purchases in the next
        ``t_holdout``), alive (at T) and each customer's latent rates.
        """
        self._check_fitted()
        return self._simulate(T, size, t_holdout, seed)
