"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis"; Hardie note 025; after Colombo & Jiang 1999).

A customer's transaction values are Gamma(p, nu); nu ~ Gamma(q, gamma) across customers. For a
customer with x repeat transactions of mean value zbar, the density of zbar is::

    f(zbar | x) = G(p x + q) / (G(p x) G(q)) * gamma^q * zbar^(p x - 1) x^(p x) / (gamma + x zbar)^(p x + q)

and the conditional expected average spend is ``p (gamma + x zbar) / (p x + q - 1)``, a weighted
mean of the population mean ``p gamma / (q - 1)`` and the customer's own mean ``zbar``.

The population mean ``p gamma / (q - 1)`` exists only for ``q > 1``: ``GammaGamma(q_constraint=True)``
fits with the bound ``q >= 1`` (L-BFGS-B with a bound on log q; lifetimes' ``q_constraint``),
so that CLV never rests on an infinite or negative mean; when the bound binds, q has no standard
error.

The model assumes spend is independent of purchase frequency; :meth:`GammaGamma.fit` warns when
the Pearson correlation of frequency and mean spend exceeds ``CORRELATION_WARNING`` (0.3).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from loyalscope.models.base import Data, MLEModel, as_array, as_weights
from loyalscope.models.status import FitIssue

CORRELATION_WARNING = 0.3


class GammaGamma(MLEModel):
    """Gamma-Gamma spend model; ``fit(frequency, monetary, weights=None)`` on repeat buyers.

    Parameters are the paper's ``p, q, gamma`` (``gamma`` in currency units).

    Parameters
    ----------
    q_constraint : bool, default False
        Keep ``q >= 1`` (see the module docstring).
    penalizer, tol, maxiter, random_state
        See :class:`~loyalscope.models.base.MLEModel`.
    """

    _param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    _warm_start_rows: ClassVar[int | None] = 20_000

    def __init__(self, penalizer: float = 0.0, tol: float = 1e-10, maxiter: int = 2000,
                 q_constraint: bool = False, random_state: int = 0) -> None:
        super().__init__(penalizer=penalizer, tol=tol, maxiter=maxiter, random_state=random_state)
        self.q_constraint = q_constraint

    def _lower_bounds(self) -> dict[str, float]:
        return {"q": 1.0} if self.q_constraint else {}

    def fit(self, frequency: Any, monetary: Any, weights: Any = None, initial_params: Any = None) -> GammaGamma:
        """Maximum-likelihood fit.

        Parameters
        ----------
        frequency : array of repeat transactions x (> 0; leave out one-time buyers).
        monetary : array of each customer's mean value of those repeat transactions (> 0).
        weights : optional counts of identical rows.
        initial_params : optional starting values (p, q, gamma).
        """
        x, z = self._validate(frequency, monetary)
        w = as_weights(weights, x.size)
        self.correlation_ = _weighted_corr(x, z, w)
        if np.isfinite(self.correlation_) and self.correlation_ > CORRELATION_WARNING:
            warnings.warn(
                f"Frequency and mean spend are correlated (Pearson r = {self.correlation_:.2f} > "
                f"{CORRELATION_WARNING}); the Gamma-Gamma model assumes they are independent, so its "
                "spend predictions may be biased. Check for outliers or segment customers first.",
                UserWarning, stacklevel=2,
            )
        return self._fit_mle((x, z), w, initial_params)  # type: ignore[return-value]

    @staticmethod
    def _validate(frequency: Any, monetary: Any) -> Data:
        x, z = np.broadcast_arrays(as_array("frequency", frequency), as_array("monetary", monetary))
        if np.any(x <= 0):
            raise ValueError("The 'frequency' argument must be > 0 (Gamma-Gamma is fitted on repeat buyers only). "
                             "Got 0; keep only customers with frequency > 0.")
        if np.any(z <= 0):
            raise ValueError("The 'monetary' argument must be > 0 for every repeat buyer. Got a value <= 0.")
        return x, z

    def _initial_params(self, data: Data, weights: np.ndarray) -> np.ndarray:
        z = data[1]
        mean = float(np.average(z, weights=weights))
        return np.array([1.0, 2.0, mean])

    def _param_scales(self, data: Data | _SpendRows, weights: np.ndarray) -> np.ndarray:
        """gamma is in currency units: its scale is the mean spend; p and q are shapes."""
        return np.array([1.0, 1.0, max(float(np.average(data[1], weights=weights)), 1e-12)])

    def _model_issues(self, data: Any, weights: np.ndarray) -> list[FitIssue]:
        """q <= 1: the population mean spend p gamma / (q - 1) is infinite, so is the expected
        spend of a customer without repeat purchases."""
        q = self.params_["q"]
        return [FitIssue("q_not_above_1", {"q": q})] if q <= 1.0 else []

    def _prepare(self, data: Data, weights: np.ndarray) -> tuple[_SpendRows, np.ndarray]:
        rows = _SpendRows(data[0], data[1], weights)
        return rows, rows.w

    def _negloglik_grad(self, log_params: np.ndarray, data: Data | _SpendRows,
                        weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted negative log-likelihood and gradient wrt the log-parameters.

        Per row only ``log(gamma + x zbar)`` and ``1 / (gamma + x zbar)`` depend on the
        parameters and on ``zbar``; the ``gammaln``/``digamma`` terms are computed once per
        distinct x and the parameter-free sums (of ``log zbar``, ``x log x``...) once per fit.
        """
        d = data if isinstance(data, _SpendRows) else _SpendRows(data[0], data[1], weights)
        theta = np.exp(log_params)
        p, q, g = theta
        pu = p * d.ux
        log_gxz = np.log(g + d.xz)
        inv_gxz = 1.0 / (g + d.xz)
        s_l, s_xl = d.w @ log_gxz, d.wx @ log_gxz
        ll = (d.w_x @ (gammaln(pu + q) - gammaln(pu)) + d.n * (q * np.log(g) - gammaln(q))
              + p * d.s_xlogz - d.s_logz + p * d.s_xlogx - p * s_xl - q * s_l)
        d_p = d.wx_x @ (digamma(pu + q) - digamma(pu)) + d.s_xlogz + d.s_xlogx - s_xl
        d_q = d.w_x @ digamma(pu + q) + d.n * (np.log(g) - digamma(q)) - s_l
        d_g = d.n * q / g - p * (d.wx @ inv_gxz) - q * (d.w @ inv_gxz)
        return -float(ll), -np.array([d_p, d_q, d_g]) * theta

    def conditional_expected_average_spend(self, frequency: Any, monetary: Any) -> np.ndarray:
        """E[mean spend | x, zbar] = p (gamma + x zbar) / (p x + q - 1); x = 0 gives the population mean.

        The posterior mean of the spend rate exists only where ``p x + q > 1``; elsewhere (x = 0
        with q <= 1) the expectation is infinite and ``inf`` is returned, never a negative
        amount. Such a fit has ``status_`` "not estimable" (issue ``q_not_above_1``).
        """
        p, q, g = self._theta()
        x = as_array("frequency", frequency)
        z = as_array("monetary", monetary)
        x, z = np.broadcast_arrays(x, np.where(x > 0, z, 0.0))
        den = p * x + q - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, p * (g + x * z) / np.where(den > 0, den, 1.0), np.inf)

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers: p gamma / (q - 1) (infinite when q <= 1)."""
        p, q, g = self._theta()
        return float(p * g / (q - 1.0)) if q > 1 else float("inf")


def _weighted_corr(x: np.ndarray, z: np.ndarray, w: np.ndarray) -> float:
    if x.size < 3:
        return float("nan")
    mx, mz = np.average(x, weights=w), np.average(z, weights=w)
    cov = np.average((x - mx) * (z - mz), weights=w)
    var = np.average((x - mx) ** 2, weights=w) * np.average((z - mz) ** 2, weights=w)
    return float(cov / np.sqrt(var)) if var > 0 else float("nan")


class _SpendRows:
    """Rows ``(x, zbar)`` with weights (zero weights dropped), codes of the distinct x and the
    parameter-free sums of the Gamma-Gamma log-likelihood."""

    def __init__(self, x: np.ndarray, z: np.ndarray, w: np.ndarray) -> None:
        if not np.all(w > 0):
            keep = w > 0
            x, z, w = x[keep], z[keep], w[keep]
        self.x, self.z, self.w = x, z, w
        codes, uniques = pd.factorize(x, sort=False)
        self.ux = np.asarray(uniques, dtype=float)
        self.w_x = np.bincount(codes, weights=w, minlength=self.ux.size)
        self.wx_x = self.w_x * self.ux
        self.wx = w * x
        self.xz = x * z
        self.n = float(w.sum())
        log_z = np.log(z)
        self.s_logz, self.s_xlogz = float(w @ log_z), float(self.wx @ log_z)
        self.s_xlogx = float(self.wx_x @ np.log(self.ux))

    def __iter__(self):
        """Unpacks as ``x, zbar``, like the tuple of arrays it replaces."""
        return iter((self.x, self.z))

    def __getitem__(self, i: int) -> np.ndarray:
        return (self.x, self.z)[i]
