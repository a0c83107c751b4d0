"""NBD model of repeat buying without dropout (Ehrenberg 1959; the "no dropout" limit of BG/NBD and
Pareto/NBD in Fader, Hardie & Lee 2005, section 2, and Schmittlein, Morrison & Colombo 1987).

Every customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha) and never leaves. For
a customer with x repeat purchases observed for T time units since the first purchase, the
likelihood of the purchase times is (the time of the last purchase, t_x, carries no information
when nobody leaves)::

    L = G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))

which differs from the negative binomial count probability ``P(X(T) = x)`` only by ``T^x / x!``,
a factor free of the parameters: the two give the same estimates. Given (x, T), lambda ~
Gamma(r + x, alpha + T), so::

    P(alive) = 1
    E[Y(t) | x, T] = (r + x) t / (alpha + T)
    P(Y(t) = n | x, T) = G(r+x+n) / (G(r+x) n!) ((alpha+T)/(alpha+T+t))^(r+x) (t/(alpha+T+t))^n

It is the candidate of last resort in :func:`~loyalscope.models.purchase.selection.select_model`:
when every model with dropout ran its dropout to the edge of its space (``no_dropout``: fewer than
half a customer expected to have left in all the data, as on Tableau's Superstore sample), those
models reduce to this one and cannot be estimated, while this one can. Its P(alive) of 1 is its
assumption, not an estimate: the value section shows none.

Example
-------
>>> from loyalscope.models.purchase.nbd import NBD
>>> NBD().fit([2, 0, 5], [30.0, 0.0, 50.0], [52.0, 40.0, 60.0]).params_     # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from loyalscope.models.base import Data, as_array, as_weights, harmless_underflow
from loyalscope.models.purchase.bgnbd import BGNBD, _mean_age
from loyalscope.models.purchase.transaction import TransactionModel


class NBD(TransactionModel):
    """Negative binomial distribution (Poisson-gamma) model; ``fit(frequency, recency, T, weights=None)``.

    Parameters ``r, alpha``: the gamma heterogeneity of the purchase rate (``alpha`` in the time
    unit of the data), as in :class:`~loyalscope.models.purchase.bgnbd.BGNBD`. ``recency`` is
    accepted for the common interface and checked (``recency <= T``) but not used.
    """

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha")
    _time_columns: ClassVar[tuple[int, ...]] = (1, 2)
    _time_params: ClassVar[tuple[str, ...]] = ("alpha",)
    _event_column: ClassVar[int | None] = 0

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None,
            initial_params: Any = None) -> NBD:
        """Maximum-likelihood fit.

        Parameters
        ----------
        frequency : array of repeat purchases x (total purchases minus one).
        recency : array of t_x, time of the last purchase since the first (checked, not used).
        T : array of customer ages (time since the first purchase to the end of calibration).
        weights : optional counts of identical (x, t_x, T) rows.
        initial_params : optional starting values (r, alpha).
        """
        data = BGNBD._validate(frequency, recency, T)
        return self._fit_mle(data, as_weights(weights, data[0].size), initial_params)  # type: ignore[return-value]

    def _initial_params(self, data: Data, weights: np.ndarray) -> np.ndarray:
        x, _, t_cal = data
        rate = max(float(np.average(x, weights=weights)) / max(float(np.average(t_cal, weights=weights)), 1e-9), 1e-3)
        return np.array([1.0, 1.0 / rate])

    def _param_scales(self, data: Any, weights: np.ndarray) -> np.ndarray:
        """alpha is in time units: its scale is the mean customer age T; r is a shape."""
        return np.array([1.0, _mean_age(data, weights)])

    def _negloglik_grad(self, log_params: np.ndarray, data: Data,
                        weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted negative log-likelihood and its gradient wrt ``(log r, log alpha)``::

            d LL / d r     = psi(r+x) - psi(r) + log alpha - log(alpha+T)
            d LL / d alpha = r / alpha - (r+x) / (alpha+T)
        """
        x, _, t_cal = (np.asarray(v, dtype=float) for v in data)
        w = np.asarray(weights, dtype=float)
        r, alpha = np.exp(log_params)
        log_at = np.log(alpha + t_cal)
        ll = w @ (gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * log_at)
        d_r = w @ (digamma(r + x) - digamma(r) + np.log(alpha) - log_at)
        d_alpha = w @ (r / alpha - (r + x) / (alpha + t_cal))
        return -float(ll), -np.array([d_r * r, d_alpha * alpha])

    @harmless_underflow
    def loglik_individual(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Log-likelihood of each customer at the fitted parameters."""
        x, _, t_cal = BGNBD._validate(frequency, recency, T)
        r, alpha = self._theta()
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + t_cal)

    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """1 for every customer: the model has no dropout (an assumption, not an estimate)."""
        self._check_fitted()
        x, _, _ = BGNBD._validate(frequency, recency, T)
        return np.ones_like(x, dtype=float)

    def predict_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units: ``(r + x) t / (alpha + T)``."""
        self._check_fitted()
        x, _, t_cal = BGNBD._validate(frequency, recency, T)
        tt = as_array("t", t)
        x, t_cal, tt = np.broadcast_arrays(x, t_cal, tt)
        r, alpha = self._theta()
        return (r + x) * tt / (alpha + t_cal)

    def predict_purchases_steps(self, ts: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """:meth:`predict_purchases` for each horizon of ``ts`` (shape ``(len(ts), n)``)."""
        x, _, t_cal = (np.ascontiguousarray(v).ravel() for v in BGNBD._validate(frequency, recency, T))
        r, alpha = self._theta()
        rate = (r + x) / (alpha + t_cal)
        return np.stack([rate * t for t in as_array("t", ts)])

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray:
        """Expected repeat purchases E[X(t)] = r t / alpha of a customer who first bought at time 0."""
        self._check_fitted()
        r, alpha = self._theta()
        return r * as_array("t", t) / alpha

    def _pmf(self, n: np.ndarray, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        x, tx, T = BGNBD._validate(x, tx, T)
        r, alpha = self._theta()
        rx, base = r + x, alpha + T
        with np.errstate(divide="ignore"):
            log_p = (gammaln(rx + n) - gammaln(rx) - gammaln(n + 1.0) + rx * (np.log(base) - np.log(base + t))
                     + np.where(n > 0, n * (np.log(t) - np.log(base + t)), 0.0))
        return np.exp(log_p)

    def _simulate(self, T: Any, size: int | None, t_holdout: float, seed: int | None) -> pd.DataFrame:
        """Customers of the model: ``lambda ~ Gamma(r, alpha)``; ``x ~ Poisson(lambda T)``, the last
        of x uniform points on ``(0, T]`` is ``T U^(1/x)``; holdout purchases ``Poisson(lambda t)``."""
        r, alpha = self._theta()
        rng = np.random.default_rng(seed)
        ages = np.atleast_1d(np.asarray(T, dtype=float))
        if size is not None and ages.size == 1:
            ages = np.full(int(size), float(ages[0]))
        lam = rng.gamma(r, 1.0 / alpha, ages.size)
        x = rng.poisson(lam * ages)
        recency = np.where(x > 0, ages * rng.random(ages.size) ** (1.0 / np.maximum(x, 1)), 0.0)
        holdout = rng.poisson(lam * t_holdout)
        return pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": ages,
                             "frequency_holdout": holdout.astype(float), "alive": np.ones(ages.size, dtype=bool),
                             "lambda": lam})

