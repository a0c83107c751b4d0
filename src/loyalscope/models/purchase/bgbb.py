"""BG/BB model of discrete-time repeat transactions (Fader, Hardie & Shang 2010, "Customer-base
analysis in a discrete-time noncontractual setting", Marketing Science 29(6)).

In each of n transaction opportunities an alive customer transacts with probability
p ~ Beta(alpha, beta); before each opportunity after the first, the customer drops out with
probability theta ~ Beta(gamma, delta). For x transactions, the last at opportunity t_x, out of n::

    L = B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n)/B(gamma, delta)
        + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta) * B(gamma+1, delta+t_x+i)/B(gamma, delta)

computed as a log-sum-exp over the n - t_x + 1 terms. Time is counted in opportunities (integers).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

from loyalscope.models.base import Data, as_array, as_weights, harmless_underflow
from loyalscope.models.numerics.grouping import distinct_rows
from loyalscope.models.purchase.pmf import bgbb_pmf
from loyalscope.models.purchase.simulate import simulate_bgbb
from loyalscope.models.purchase.transaction import TransactionModel


class BGBB(TransactionModel):
    """Beta-geometric/beta-Bernoulli model; ``fit(frequency, recency, T, weights=None)``.

    ``T`` is the number of transaction opportunities n (called ``periods`` in data files),
    ``recency`` the opportunity t_x of the last transaction (0 when x = 0), ``frequency`` x <= t_x.
    Parameters: ``alpha, beta`` (transaction probability), ``gamma, delta`` (drop-out probability).
    """

    _param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    _discrete = True

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None, initial_params: Any = None) -> BGBB:
        """Maximum-likelihood fit on (x, t_x, n) with optional counts ``weights``."""
        data = self._validate(frequency, recency, T)
        return self._fit_mle(data, as_weights(weights, data[0].size), initial_params)  # type: ignore[return-value]

    @staticmethod
    def _validate(frequency: Any, recency: Any, T: Any) -> Data:
        arrays = [as_array(n, v) for n, v in (("frequency", frequency), ("recency", recency), ("T", T))]
        x, tx, n = np.broadcast_arrays(*arrays)
        for name, arr in (("frequency", x), ("recency", tx), ("T", n)):
            if np.any(arr != np.round(arr)):
                raise ValueError(f"The '{name}' argument of BGBB must hold whole numbers of periods. Got {arr[arr != np.round(arr)][0]!r}.")
        if np.any(x > tx) or np.any(tx > n):
            raise ValueError("BGBB needs frequency <= recency <= T (periods) for every row. Got a row that breaks it.")
        return x, tx, n

    def _log_terms(self, theta: np.ndarray, data: Data):
        """The n - t_x + 1 log-likelihood terms per row (padded with -inf) and their beta arguments."""
        al, be, ga, de = theta
        x, tx, n = data
        width = int(np.max(n - tx)) + 1
        j = np.arange(width)[None, :]
        first = j == 0
        i = j - 1
        mask = first | (i <= (n - tx - 1)[:, None])
        y = np.where(first, (n - x)[:, None], (tx - x)[:, None] + np.maximum(i, 0))  # beta + y
        m = np.where(first, n[:, None], tx[:, None] + np.maximum(i, 0))  # delta + m
        g0 = np.where(first, 0.0, 1.0)
        ell = (betaln(al + x[:, None], be + y) - betaln(al, be)
               + betaln(ga + g0, de + m) - betaln(ga, de))
        return np.where(mask, ell, -np.inf), y, m, g0

    def _negloglik_grad(self, log_params: np.ndarray, data: Data, weights: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_params)
        al, be, ga, de = theta
        x = data[0][:, None]
        ell, y, m, g0 = self._log_terms(theta, data)
        ll = logsumexp(ell, axis=1)
        share = np.exp(ell - ll[:, None])
        s_ab, s_gd = digamma(al + be + x + y), digamma(ga + de + g0 + m)
        d_al = digamma(al + x) - s_ab - digamma(al) + digamma(al + be)
        d_be = digamma(be + y) - s_ab - digamma(be) + digamma(al + be)
        d_ga = digamma(ga + g0) - s_gd - digamma(ga) + digamma(ga + de)
        d_de = digamma(de + m) - s_gd - digamma(de) + digamma(ga + de)
        grad = np.array([weights @ (share * d).sum(axis=1) for d in (d_al, d_be, d_ga, d_de)]) * theta
        return -float(weights @ ll), -grad

    @harmless_underflow
    def loglik_individual(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Log-likelihood of each row at the fitted parameters."""
        data = self._validate(frequency, recency, T)
        return logsumexp(self._log_terms(self._theta(), data)[0], axis=1)

    @harmless_underflow
    def p_alive(self, frequency: Any, recency: Any, T: Any, periods_ahead: Any = 1) -> np.ndarray:
        """P(alive at opportunity n+m | x, t_x, n), m = ``periods_ahead`` (FHS 2010, eq. 11 at m = 1)::

            B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n+m)/B(gamma, delta) / L

        (lifetimes' ``conditional_probability_alive(m_periods_in_future, ...)``). m = 0 is the
        probability of being alive at the last opportunity observed.
        """
        x, tx, n = self._validate(frequency, recency, T)
        m = as_array("periods_ahead", periods_ahead)
        x, tx, n, m = np.broadcast_arrays(x, tx, n, m)
        (x, tx, n, m), inverse = distinct_rows(x, tx, n, m)  # a handful of distinct patterns
        al, be, ga, de = self._theta()
        log_num = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + m) - betaln(ga, de)
        return np.exp(log_num - self.loglik_individual(x, tx, n))[inverse]

    @harmless_underflow
    def predict_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected transactions in the next ``t`` opportunities (FHS 2010, eq. 13)::

            1/L * B(alpha+x+1, beta+n-x)/B(alpha, beta) * delta/(gamma-1) * G(gamma+delta)/G(1+delta)
                * [G(1+delta+n)/G(gamma+delta+n) - G(1+delta+n+t)/G(gamma+delta+n+t)]
        """
        x, tx, n = self._validate(frequency, recency, T)
        x, tx, n, tt = np.broadcast_arrays(x, tx, n, as_array("t", t))
        (x, tx, n, tt), inverse = distinct_rows(x, tx, n, tt)
        data = (x, tx, n)
        al, be, ga, de = self._theta()
        log_coef = (betaln(al + x + 1, be + n - x) - betaln(al, be) - self.loglik_individual(*data)
                    + np.log(de) + gammaln(ga + de) - gammaln(1 + de))
        l1 = gammaln(1 + de + n) - gammaln(ga + de + n)
        l2 = gammaln(1 + de + n + tt) - gammaln(ga + de + n + tt)
        return (np.exp(log_coef + l1) * -np.expm1(l2 - l1) / (ga - 1.0))[inverse]

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray:
        """Expected transactions in the first ``t`` opportunities of a new customer (FHS 2010, eq. 7)::

            E[X(n)] = alpha/(alpha+beta) * delta/(gamma-1)
                      * [1 - G(gamma+delta)/G(gamma+delta+n) * G(1+delta+n)/G(1+delta)]

        the column of Hardie's BG/BB spreadsheet for n = 1, 2, ... (BTYD ``bgbb.Expectation``).
        """
        tt = as_array("t", t)
        zeros = np.zeros_like(tt)
        return self.predict_purchases(tt, zeros, zeros, zeros)

    def _pmf(self, n: np.ndarray, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        if np.any(t != np.round(t)):
            raise ValueError("BG/BB counts whole opportunities: 't' must be a whole number.")
        data = self._validate(x, tx, T)
        return bgbb_pmf(self._theta(), n, t, data[0], data[2], self.loglik_individual(*data))

    def _simulate(self, T: Any, size: int | None, t_holdout: float, seed: int | None) -> Any:
        return simulate_bgbb(self._theta(), T, size, int(t_holdout), seed)
