"""BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each
repeat purchase the customer drops out with probability p ~ Beta(a, b). For a customer with x
repeat purchases, the last at t_x, observed for T time units since the first purchase::

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

Everything is computed in log space (``gammaln``, ``betaln``, ``logaddexp``), so x in the
thousands stays finite. Time is in whatever unit ``recency`` and ``T`` are given in; ``alpha`` and
every ``t`` share that unit (the fit rescales time internally, so a fit in hours equals the fit in
days to rounding). A customer with repeat purchases all on the first day (x > 0, t_x = 0) is
allowed, as in lifetimes.

Example
-------
>>> import pandas as pd
>>> from loyalscope.models import BGNBD
>>> df = pd.read_csv("tests/data/cdnow_sample_summary.csv")      # doctest: +SKIP
>>> BGNBD().fit(df.x, df.t_x, df.T).params_                       # doctest: +SKIP
{'r': 0.2426, 'alpha': 4.4135, 'a': 0.7929, 'b': 2.4258}
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from loyalscope.models.base import Data, as_array, as_weights, harmless_underflow
from loyalscope.models.numerics.grouping import Grouped, distinct_rows, group_rows
from loyalscope.models.numerics.quadrature import beta_rule
from loyalscope.models.purchase.pmf import bgnbd_pmf
from loyalscope.models.purchase.simulate import simulate_bgnbd
from loyalscope.models.purchase.transaction import TransactionModel
from loyalscope.models.status import FitIssue


class BGNBD(TransactionModel):
    """Beta-geometric/NBD model; ``fit(frequency, recency, T, weights=None)``.

    Parameters are those of the paper: ``r, alpha`` (gamma heterogeneity of the purchase rate,
    ``alpha`` in the time unit of the data) and ``a, b`` (beta heterogeneity of the drop-out
    probability). See :class:`~loyalscope.models.base.MLEModel` for ``penalizer``, ``tol``, ``maxiter``.
    """

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    #: 0 for BG/NBD (no drop-out at the first purchase); 1 for MBG/NBD (drop-out possible at time 0).
    _shift: ClassVar[int] = 0
    _warm_start_rows: ClassVar[int | None] = 20_000
    _time_columns: ClassVar[tuple[int, ...]] = (1, 2)
    _time_params: ClassVar[tuple[str, ...]] = ("alpha",)
    _event_column: ClassVar[int | None] = 0

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None,
            initial_params: Any = None) -> BGNBD:
        """Maximum-likelihood fit.

        Parameters
        ----------
        frequency : array of repeat purchases x (total purchases minus one).
        recency : array of t_x, time of the last purchase since the first, in the model's time unit.
        T : array of customer ages (time since the first purchase to the end of calibration).
        weights : optional counts of identical (x, t_x, T) rows.
        initial_params : optional starting values (r, alpha, a, b).
        """
        data = self._validate(frequency, recency, T)
        return self._fit_mle(data, as_weights(weights, data[0].size), initial_params)  # type: ignore[return-value]

    @staticmethod
    def _validate(frequency: Any, recency: Any, T: Any) -> Data:
        x, tx, t_cal = (as_array(n, v) for n, v in (("frequency", frequency), ("recency", recency), ("T", T)))
        x, tx, t_cal = np.broadcast_arrays(x, tx, t_cal)
        if np.any(tx > t_cal + 1e-9):
            raise ValueError("The 'recency' argument must be <= 'T' for every customer. Got recency > T.")
        return x, np.minimum(tx, t_cal), t_cal

    def _initial_params(self, data: Data, weights: np.ndarray) -> np.ndarray:
        x, _, t_cal = data
        rate = max(float(np.average(x, weights=weights)) / max(float(np.average(t_cal, weights=weights)), 1e-9), 1e-3)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    def _param_scales(self, data: Data | Grouped, weights: np.ndarray) -> np.ndarray:
        """alpha is in time units: its scale is the mean customer age T; r, a, b are shapes."""
        return np.array([1.0, _mean_age(data, weights), 1.0, 1.0])

    def _model_issues(self, data: Any, weights: np.ndarray) -> list[FitIssue]:
        """``no_dropout``: expected dropouts ``E[p] * sum(x)`` below one half (``E[p] = a / (a + b)``
        per repeat purchase; Fader, Hardie & Lee 2005)."""
        a, b = self.params_["a"], self.params_["b"]
        return no_dropout(a / (a + b) * _totals(data, weights)[0])

    def _terms(self, theta: np.ndarray, x: np.ndarray, tx: np.ndarray, t_cal: np.ndarray):
        """Log of the two likelihood terms (without the gamma part) and the mask of the second."""
        r, alpha, a, b = theta
        k = self._shift
        has2 = (x > 0) | (k == 1)
        b2 = np.where(has2, b + x + k - 1, 1.0)
        l1 = betaln(a, b + x + k) - betaln(a, b) - (r + x) * np.log(alpha + t_cal)
        l2 = np.where(has2, betaln(a + 1, b2) - betaln(a, b) - (r + x) * np.log(alpha + tx), -np.inf)
        return l1, l2, has2, b2

    def _prepare(self, data: Data, weights: np.ndarray) -> tuple[Grouped, np.ndarray]:
        grouped = group_rows(data[0], data[1], data[2], weights)
        return grouped, grouped.weights

    def _negloglik_grad(self, log_params: np.ndarray, data: Data | Grouped,
                        weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted negative log-likelihood and its gradient wrt the log-parameters.

        With ``d = l2 - l1`` (log ratio of the two terms), ``LL = l1 + log(1 + e^d)`` per row and
        the share of the second term is ``w2 = 1 / (1 + e^-d)``. Everything that depends on x
        alone (``gammaln``, ``betaln``, ``digamma``) is computed once per distinct x, ``log(alpha + t)``
        once per distinct t_x and T, and their weighted sums come from per-x and per-T totals;
        only ``d``, ``log(1 + e^d)`` and ``w2`` are computed per distinct row.
        """
        g = data if isinstance(data, Grouped) else group_rows(data[0], data[1], data[2], weights)
        theta = np.exp(log_params)
        r, alpha, a, b = theta
        k = self._shift
        ux = g.ux
        w_x = g.cached("w_x", g.by_x)
        w_T = g.cached("w_T", g.by_T)
        wx_T = g.cached("wx_T", lambda: g.by_T(g.x))
        w_sum = float(g.weights.sum())
        # terms of each distinct x
        bx = b + ux + k
        has2 = (ux > 0) | (k == 1)
        b2 = np.where(has2, b + ux + k - 1, 1.0)
        log_beta1 = betaln(a, bx) - betaln(a, b)
        with np.errstate(divide="ignore"):
            d_x = np.where(has2, betaln(a + 1.0, b2) - betaln(a, bx), -np.inf)
        # terms of each distinct t_x and T
        log_T, log_tx = np.log(alpha + g.uT), np.log(alpha + g.utx)
        inv_T, inv_tx = 1.0 / (alpha + g.uT), 1.0 / (alpha + g.utx)
        # per distinct row
        rx = r + g.x
        dl = log_tx[g.itx] - log_T[g.iT]
        d = d_x[g.ix] - rx * dl
        e = np.exp(-np.abs(d))
        soft = np.maximum(d, 0.0) + np.log1p(e)
        w2 = np.where(d >= 0.0, 1.0, e) / (1.0 + e)
        ww2 = g.weights * w2
        rT = r * w_T + wx_T
        ll = (w_x @ (gammaln(r + ux) - gammaln(r) + log_beta1) + r * np.log(alpha) * w_sum
              - rT @ log_T + g.weights @ soft)
        common = digamma(a + b) - digamma(bx + a)
        w2_x = np.bincount(g.ix, weights=ww2, minlength=ux.size)
        d_r = w_x @ (digamma(r + ux) - digamma(r)) + w_sum * np.log(alpha) - w_T @ log_T - ww2 @ dl
        d_alpha = r / alpha * w_sum - rT @ inv_T - (ww2 * rx) @ (inv_tx[g.itx] - inv_T[g.iT])
        d_a = w_x @ common + ww2.sum() / a
        d_b = (w_x @ (digamma(bx) - digamma(b) + common)
               + w2_x @ np.where(has2, digamma(b2) - digamma(bx), 0.0))
        grad = np.array([d_r, d_alpha, d_a, d_b]) * theta
        return -float(ll), -grad

    @harmless_underflow
    def loglik_individual(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Log-likelihood of each customer at the fitted parameters."""
        x, tx, t_cal = self._validate(frequency, recency, T)
        r, alpha, _, _ = self._theta()
        l1, l2, _, _ = self._terms(self._theta(), x, tx, t_cal)
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + np.logaddexp(l1, l2)

    def _log_alive_odds(self, x: np.ndarray, tx: np.ndarray, t_cal: np.ndarray) -> np.ndarray:
        """log of a/(b+x+k-1) * ((alpha+T)/(alpha+t_x))^(r+x) where that term exists, else -inf."""
        r, alpha, a, b = self._theta()
        has2 = (x > 0) | (self._shift == 1)
        b2 = np.where(has2, b + x + self._shift - 1, 1.0)
        return np.where(has2, np.log(a) - np.log(b2) + (r + x) * (np.log(alpha + t_cal) - np.log(alpha + tx)), -np.inf)

    @harmless_underflow
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability that each customer is still alive at T: ``1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``."""
        x, tx, t_cal = self._validate(frequency, recency, T)
        return np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, tx, t_cal)))

    @harmless_underflow
    def predict_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units (FHL 2005, eq. 10)::

            E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
                * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
                / [1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)]

        By Euler's transformation ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c; z)``
        with ``c = a+b+x-1``; the right-hand side is bounded for any x, so no overflow.

        The bracket is ``E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p]`` over the posterior of the
        drop-out probability of a customer alive at T, ``p ~ Beta(a, b+x)`` (``b+x+1`` for
        MBG/NBD): while alive, a customer with rate lambda and drop-out p buys
        ``(1 - e^(-lambda p t)) / p`` times in expectation, and lambda's posterior is
        Gamma(r+x, alpha+T). Where SciPy's ``hyp2f1`` loses precision (NaN, or a value outside
        ``[0, (r+x) t/(alpha+T)]``: customers observed for 10^4 days and more, parameters far
        from the usual range), that expectation is taken by Gauss quadrature over the Beta
        posterior instead (:func:`~loyalscope.models.numerics.quadrature.beta_rule`), so every
        prediction is finite.
        """
        x, tx, t_cal = self._validate(frequency, recency, T)
        tt = as_array("t", t)
        x, tx, t_cal, tt = np.broadcast_arrays(x, tx, t_cal, tt)
        # once per distinct (x, t_x, T, t): customer summaries repeat, the hypergeometric does not need to
        rows, inverse = distinct_rows(*(np.ascontiguousarray(v).ravel() for v in (x, tx, t_cal, tt)))
        return self._predict_rows(*rows)[inverse].reshape(x.shape)

    @harmless_underflow
    def predict_purchases_steps(self, ts: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """:meth:`predict_purchases` for each horizon of ``ts`` (shape ``(len(ts), n)``): P(alive)
        and the distinct ``(x, T)`` pairs once for all horizons, the bracket per pair and horizon.
        Each value is the one :meth:`predict_purchases` gives (the same element-wise arithmetic)."""
        x, tx, t_cal = (np.ascontiguousarray(v).ravel() for v in self._validate(frequency, recency, T))
        steps = as_array("t", ts)
        alive = np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, tx, t_cal)))
        (ux, uT), inverse = distinct_rows(x, t_cal)
        return np.stack([self._bracket(ux, uT, np.full(ux.size, t))[inverse] * alive for t in steps])

    def _predict_rows(self, x: np.ndarray, tx: np.ndarray, t_cal: np.ndarray, tt: np.ndarray) -> np.ndarray:
        """:meth:`predict_purchases` on 1-d arrays of equal length (no validation): the bracket
        (the hypergeometric part) depends on (x, T, t) only and is computed once per distinct
        triple, P(alive) on every row."""
        (ux, uT, ut), inverse = distinct_rows(x, t_cal, tt)
        alive = np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, tx, t_cal)))
        return self._bracket(ux, uT, ut)[inverse] * alive

    def _bracket(self, x: np.ndarray, t_cal: np.ndarray, tt: np.ndarray) -> np.ndarray:
        """Expected purchases of a customer alive at T (the bracket of :meth:`predict_purchases`)."""
        r, alpha, a, b = self._theta()
        z = tt / (alpha + t_cal + tt)
        with np.errstate(all="ignore"):
            if abs(a - 1.0) < 1e-6:  # removable singularity at a = 1: mean of a = 1 -/+ 1e-6 (error ~1e-12)
                scale = 0.5 * (self._scaled_bracket(r, 1.0 - 1e-6, b, x, z)
                               + self._scaled_bracket(r, 1.0 + 1e-6, b, x, z))
            else:
                scale = self._scaled_bracket(r, a, b, x, z)
            bound = (r + x) * tt / (alpha + t_cal)  # purchases expected with no drop-out at all
            bad = ~np.isfinite(scale) | (scale < 0) | (scale > bound * (1 + 1e-9))
        if bad.any():
            scale = np.array(scale, dtype=float)
            scale[bad] = self._bracket_by_quadrature(r, a, b, x[bad], tt[bad] / (alpha + t_cal[bad]))
        return scale

    def _bracket_by_quadrature(self, r: float, a: float, b: float, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``E[(1 - (1 + p u)^-(r+x)) / p]`` for ``p ~ Beta(a, b + x + shift)``, one rule per distinct x."""
        out = np.empty(x.size)
        order = np.argsort(x, kind="stable")  # each x's rows in their order, without a scan per x
        cuts = np.flatnonzero(np.diff(x[order])) + 1
        for rows in np.split(order, cuts) if x.size else []:
            value = x[rows[0]]
            p, w = beta_rule(a, b + value + self._shift, 96)
            pu = np.outer(u[rows], p)
            with np.errstate(divide="ignore", invalid="ignore"):  # p -> 0: the limit (r+x) u
                g = np.where(p > 0, -np.expm1(-(r + value) * np.log1p(pu)) / np.where(p > 0, p, 1.0),
                             (r + value) * u[rows, None])
            out[rows] = (g * w).sum(axis=1)  # row by row: a row's value never depends on the others (a BLAS product's did, in the last bit)
        return out

    def _scaled_bracket(self, r: float, a: float, b: float, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        c = a + b + x + self._shift - 1
        return c / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + b + self._shift - 1 - r, a - 1.0, c, z))

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray:
        """Expected repeat purchases E[X(t)] of a customer who made the first purchase at time 0."""
        tt = as_array("t", t)
        zeros = np.zeros_like(tt)
        return self.predict_purchases(tt, zeros, zeros, zeros)

    def _pmf(self, n: np.ndarray, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        x, tx, T = self._validate(x, tx, T)
        alive = np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, tx, T)))
        return bgnbd_pmf(self._theta(), self._shift, n, t, x, tx, T, alive)

    def _simulate(self, T: Any, size: int | None, t_holdout: float, seed: int | None) -> Any:
        return simulate_bgnbd(self._theta(), T, size, t_holdout, seed, shift=self._shift)


def _totals(data: Any, weights: np.ndarray) -> tuple[float, float]:
    """Total repeat purchases and total customer age (sum of T) of the fit's rows."""
    x = data.x if isinstance(data, Grouped) else np.asarray(data[0], dtype=float)
    T = data.T if isinstance(data, Grouped) else np.asarray(data[2], dtype=float)
    return float(np.sum(x * weights)), float(np.sum(T * weights))


def no_dropout(expected: float) -> list[FitIssue]:
    """``no_dropout`` when the fit expects fewer than half a customer to have left in all the
    data: the dropout process ran to the edge of its space (the model reduces to one without
    dropout) and its parameters, P(alive) and lifetimes are not determined by these data."""
    return [FitIssue("no_dropout", {"expected": expected})] if expected < 0.5 else []


def _mean_age(data: Any, weights: np.ndarray) -> float:
    """Weighted mean customer age T of the fit's rows (at least 1e-9)."""
    T = data.T if isinstance(data, Grouped) else np.asarray(data[2])
    return max(float(np.average(T, weights=weights)), 1e-9)
