"""Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; the
lifetime is exponential with rate ``mu ~ Gamma(s, beta)``. The likelihood of ``(x, t_x, T)`` and
its analytic gradient are in :mod:`loyalscope.models.purchase.pareto_nbd_likelihood` (Gauss
hypergeometric terms in log space, so x in the thousands and T in the thousands of days stay
finite). Time is in whatever unit ``recency`` and ``T`` are given in; ``alpha``, ``beta`` and every
``t`` share that unit.

References
----------
Schmittlein, Morrison & Colombo (1987), Management Science 33(1), 1-24.
Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions",
http://brucehardie.com/notes/009/.

Example
-------
>>> import pandas as pd
>>> from loyalscope.models import ParetoNBD
>>> df = pd.read_csv("tests/data/cdnow_sample_summary.csv")        # doctest: +SKIP
>>> ParetoNBD().fit(df.x, df.t_x, df.T).params_                     # doctest: +SKIP
{'r': 0.5533, 'alpha': 10.5776, 's': 0.6062, 'beta': 11.6679}
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln

from loyalscope.models.base import Data, as_array, as_weights, harmless_underflow
from loyalscope.models.numerics.grouping import Grouped, distinct_rows, group_rows
from loyalscope.models.purchase.bgnbd import _mean_age, _totals, no_dropout
from loyalscope.models.purchase.pareto_nbd_likelihood import (
    pareto_nbd_loglik,
    pareto_nbd_loglik_grouped,
    pareto_nbd_loglik_pairs,
)
from loyalscope.models.purchase.pmf import pareto_nbd_pmf
from loyalscope.models.purchase.simulate import simulate_pareto_nbd
from loyalscope.models.purchase.transaction import TransactionModel
from loyalscope.models.status import FitIssue

#: Above this many distinct rows, ``fit`` starts from a fit on a subsample of this many customers
#: and polishes with quasi-Newton steps (:meth:`MLEModel._warm_start`).
WARM_START_ROWS = 20_000


def _one_minus_ratio_power(p: float, log_ratio: np.ndarray) -> np.ndarray:
    """``(1 - exp(-p * log_ratio)) / p``, with its limit ``log_ratio`` at ``p = 0``."""
    if abs(p) < 1e-12:
        return log_ratio
    return -np.expm1(-p * log_ratio) / p


class ParetoNBD(TransactionModel):
    """Pareto/NBD model; ``fit(frequency, recency, T, weights=None)``.

    Parameters are those of the paper: ``r, alpha`` (gamma heterogeneity of the purchase rate)
    and ``s, beta`` (gamma heterogeneity of the dropout rate); ``alpha`` and ``beta`` are in the
    time unit of the data. See :class:`~loyalscope.models.base.MLEModel` for ``penalizer``,
    ``tol`` and ``maxiter``. The gradient used by the optimiser is analytic.

    ``fit`` groups identical ``(x, t_x, T)`` rows first and fits on the distinct triples with
    their counts as weights; the log-likelihood is a weighted sum, so the result is the same as
    on every row, and much faster on large customer bases. The hypergeometric series are
    summed once per distinct ``(x, t_x)`` and ``(x, T)`` pair
    (:func:`~loyalscope.models.purchase.pareto_nbd_likelihood.pareto_nbd_loglik_grouped`).
    """

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _time_columns: ClassVar[tuple[int, ...]] = (1, 2)
    _time_params: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    _event_column: ClassVar[int | None] = 0
    #: (parameters, (x, t_x, T), log P(alive)) of the last :meth:`_log_p_alive` call
    _p_alive_memo: tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray] | None = None

    def fit(
        self,
        frequency: Any,
        recency: Any,
        T: Any,
        weights: Any = None,
        initial_params: Any = None,
    ) -> ParetoNBD:
        """Maximum-likelihood fit.

        Parameters
        ----------
        frequency : array_like
            Repeat purchases ``x`` (total purchases minus one).
        recency : array_like
            ``t_x``, time of the last repeat purchase since the first purchase (0 if ``x = 0``).
        T : array_like
            Customer age: time from the first purchase to the end of the calibration period.
        weights : array_like, optional
            Counts of identical ``(x, t_x, T)`` rows.
        initial_params : sequence of 4 floats, optional
            Starting values ``(r, alpha, s, beta)``.

        Returns
        -------
        ParetoNBD
            ``self``, with ``params_``, ``se_``, ``loglik_``, ``n_``, ``aic_``, ``bic_``.
        """
        data = self._validate(frequency, recency, T)
        w = as_weights(weights, data[0].size)
        return self._fit_mle(data, w, initial_params, warm_start_rows=WARM_START_ROWS)  # type: ignore[return-value]

    def _prepare(self, data: Data, weights: np.ndarray) -> tuple[Grouped, np.ndarray]:
        grouped = group_rows(data[0], data[1], data[2], weights)
        return grouped, grouped.weights

    @staticmethod
    def _validate(frequency: Any, recency: Any, T: Any) -> Data:
        arrays = (
            as_array(n, v) for n, v in (("frequency", frequency), ("recency", recency), ("T", T))
        )
        x, tx, t_cal = np.broadcast_arrays(*arrays)
        if np.any(tx > t_cal + 1e-9):
            raise ValueError(
                "The 'recency' argument must be <= 'T' for every customer. Got recency > T."
            )
        return x, np.minimum(tx, t_cal), t_cal

    def _param_scales(self, data: Data | Grouped, weights: np.ndarray) -> np.ndarray:
        """alpha and beta are in time units: their scale is the mean customer age T."""
        age = _mean_age(data, weights)
        return np.array([1.0, age, 1.0, age])

    def _model_issues(self, data: Any, weights: np.ndarray) -> list[FitIssue]:
        """``no_dropout``: expected dropouts ``E[mu] * sum(T)`` below one half (``E[mu] = s / beta``
        per time unit; an upper bound of the expected number of customers gone by their age T)."""
        return no_dropout(self.params_["s"] / self.params_["beta"] * _totals(data, weights)[1])

    def _initial_params(self, data: Data, weights: np.ndarray) -> np.ndarray:
        x, _, t_cal = data
        mean_x = float(np.average(x, weights=weights))
        mean_t = max(float(np.average(t_cal, weights=weights)), 1e-9)
        rate = max(mean_x / mean_t, 1e-3)
        return np.array([1.0, 1.0 / rate, 1.0, mean_t])

    def _negloglik_grad(
        self, log_params: np.ndarray, data: Data | Grouped, weights: np.ndarray
    ) -> tuple[float, np.ndarray]:
        g = data if isinstance(data, Grouped) else group_rows(data[0], data[1], data[2], weights)
        theta = np.exp(log_params)
        ll, grad = pareto_nbd_loglik_grouped(theta, g)
        return -float(g.weights @ ll), -(grad @ g.weights) * theta

    @harmless_underflow
    def loglik_individual(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Log-likelihood of each customer at the fitted parameters."""
        x, tx, t_cal = self._validate(frequency, recency, T)
        return np.asarray(pareto_nbd_loglik(self._theta(), x, tx, t_cal))

    def _log_p_alive(self, x: np.ndarray, tx: np.ndarray, t_cal: np.ndarray) -> np.ndarray:
        """log P(alive) of each row, computed once per distinct ``(x, t_x, T)`` and gathered.

        The hypergeometric likelihood term is the whole cost (about 1.4 s per pass over 100k
        customers), and the value section asks for P(alive) of the same customers many times
        (P(alive), expected purchases, then every discount step of the CLV): the last answer is
        kept with a copy of its inputs and parameters and reused while both are unchanged.
        """
        theta = self._theta()
        memo = self._p_alive_memo
        if memo is not None and np.array_equal(memo[0], theta) and all(
                a.shape == b.shape and np.array_equal(a, b) for a, b in zip(memo[1], (x, tx, t_cal),
                                                                           strict=True)):
            return memo[2]
        shape = x.shape
        (ux, utx, uT), inverse = distinct_rows(*(np.ascontiguousarray(v).ravel() for v in (x, tx, t_cal)))
        out = self._log_p_alive_rows(theta, ux, utx, uT)[inverse].reshape(shape)
        out.flags.writeable = False
        self._p_alive_memo = (theta, (x.copy(), tx.copy(), t_cal.copy()), out)
        return out

    @staticmethod
    def _log_p_alive_rows(theta: np.ndarray, x: np.ndarray, tx: np.ndarray, t_cal: np.ndarray) -> np.ndarray:
        r, alpha, s, beta = theta
        log_l1 = -(r + x) * np.log(alpha + t_cal) - s * np.log(beta + t_cal)
        ll = pareto_nbd_loglik_pairs(theta, x, tx, t_cal)  # series once per (x, tau) pair
        front = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return np.minimum(log_l1 - (ll - front), 0.0)

    @harmless_underflow
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability that each customer is still alive at ``T`` (Fader & Hardie 2005, eq. 18).

        ``P(alive) = [(alpha+T)^(r+x) (beta+T)^s]^(-1) / [L / (G(r+x) alpha^r beta^s / G(r))]``,
        the share of the first term of the likelihood bracket in the whole bracket.
        """
        x, tx, t_cal = self._validate(frequency, recency, T)
        return np.exp(self._log_p_alive(x, tx, t_cal))

    @harmless_underflow
    def predict_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units (Fader & Hardie 2005, eq. 20)::

            E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1))
                                  * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive)

        with the limit ``(r+x)(beta+T)/(alpha+T) * log((beta+T+t)/(beta+T))`` at ``s = 1``.
        """
        x, tx, t_cal = self._validate(frequency, recency, T)
        tt = as_array("t", t)
        r, alpha, s, beta = self._theta()
        bracket = _one_minus_ratio_power(s - 1.0, np.log1p(tt / (beta + t_cal)))
        return (r + x) * (beta + t_cal) / (alpha + t_cal) * bracket * self.p_alive(x, tx, t_cal)

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray:
        """Expected repeat purchases ``E[X(t)]`` of a customer who bought first at time 0 (eq. 17)::

        E[X(t)] = r beta / (alpha (s-1)) * [1 - (beta/(beta+t))^(s-1)]
        """
        tt = as_array("t", t)
        r, alpha, s, beta = self._theta()
        return r * beta / alpha * _one_minus_ratio_power(s - 1.0, np.log1p(tt / beta))

    def _pmf(self, n: np.ndarray, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        x, tx, T = self._validate(x, tx, T)
        return pareto_nbd_pmf(self._theta(), n, t, x, T, np.exp(self._log_p_alive(x, tx, T)))

    def _simulate(self, T: Any, size: int | None, t_holdout: float, seed: int | None) -> Any:
        return simulate_pareto_nbd(self._theta(), T, size, t_holdout, seed)
