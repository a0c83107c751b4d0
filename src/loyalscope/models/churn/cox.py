"""Cox proportional-hazards model with Efron ties, vectorised on NumPy.

Model
    ``h(t | x) = h0(t) exp(z' b)`` with ``z`` the features standardised by their mean and
    sample SD (``ddof=1``). ``b`` maximises Efron's partial log-likelihood minus a ridge
    penalty on the standardised coefficients,

    ``l(b) = sum_k [ sum_{i in D_k} z_i' b - sum_{l=0}^{d_k-1} log(S_k - (l/d_k) S_Dk) ]
    - n * penalizer / 2 * ||b||^2``,

    where ``k`` runs over the distinct event times, ``D_k`` are the ``d_k`` customers whose
    event is at ``t_k``, ``S_k = sum_{j: T_j >= t_k} exp(z_j' b)`` (the risk set) and
    ``S_Dk = sum_{i in D_k} exp(z_i' b)``. This is lifelines' ``CoxPHFitter(penalizer=...)``
    objective (``l1_ratio = 0``), so coefficients and standard errors agree with it.

Computation
    One sort by duration, then per Newton step ``O(n p^2)`` work: the risk-set sums are
    reverse cumulative sums over the distinct times, and the Hessian's first term
    ``sum_k sum_l (A_k - c_l A_Dk) / den_kl`` (``A`` = sums of ``z z' exp(z' b)``) is one
    weighted cross-product ``Z' diag(exp(z' b) w) Z`` with per-customer weight
    ``w_i = sum_{k: t_k <= T_i} sum_l 1/den_kl - E_i sum_l c_l/den_{k(i),l}``; no loop over
    times or customers in Python. Newton-Raphson with step halving; the penalised objective is
    strictly concave, so the optimum is unique.

Inference
    Covariance of ``b``: the inverse of the negative Hessian of the penalised objective at the
    optimum (as lifelines), rescaled to the original units by the SDs. Wald 95% intervals
    ``coef +- 1.959964 se`` and two-sided p-values from ``z = coef / se``.

Reference: Cox, D. R. (1972). Regression models and life-tables. JRSS B 34, 187-220;
Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. JASA 72,
557-565.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import solve
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted

Z95 = float(norm.ppf(0.975))


# rows per block of the Hessian's weighted product (p x n floats each): one block up to a million
# customers (the sums as before), ten at ten million (0.8 GB less at the churn section's peak)
HESSIAN_ROWS = 1 << 20

class CoxPH:
    """Cox proportional-hazards regression (Efron ties, ridge penalty), fitted in ``O(n p^2)``
    per Newton step.

    Parameters
    ----------
    penalizer : float
        Ridge penalty per customer on the standardised coefficients (default 0.05, lifelines'
        ``penalizer``; the total penalty is ``n * penalizer / 2 * ||b||^2``).
    tol : float
        Convergence: the largest Newton step on the standardised coefficients (default 1e-9).
    max_iter : int
        Newton steps before :class:`~loyalscope.errors.ConvergenceError` (default 100).
    """

    def __init__(self, penalizer: float = 0.05, tol: float = 1e-9, max_iter: int = 100) -> None:
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, duration: np.ndarray, event: np.ndarray, x: np.ndarray,
            feature_names: list[str] | None = None) -> CoxPH:
        """Fit on durations (any positive unit), events (1 = event, 0 = censored) and ``x``
        (n x p, no missing values, every column varying). Returns ``self``.

        BLAS runs on one thread: its products here are n x p by p or p x n by n x p, where
        a second thread's wake-ups cost more than they save on a busy machine."""
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(duration, event, x, feature_names)

    def _fit(self, duration: np.ndarray, event: np.ndarray, x: np.ndarray,
             feature_names: list[str] | None) -> CoxPH:
        t_ = np.asarray(duration, dtype=float)
        e_ = np.asarray(event, dtype=float)
        x = np.asarray(x, dtype=float)
        n, p = x.shape
        events = int(e_.sum())
        # p x n: every pass below runs along contiguous rows (no copy when x is the transpose of a
        # C-ordered p x n array, as cox_model passes it)
        xt = np.ascontiguousarray(x.T)
        # row by row: one feature-sized temporary, not one of all features
        sd = np.array([row.std(ddof=1) for row in xt]) if n > 1 else np.zeros(p)
        if events == 0 or p == 0 or not np.all(sd > 0) or not all(np.isfinite(row).all() for row in xt):
            raise InsufficientDataError(t("models.errors.cox_needs_events", events=events),
                                        fix=t("models.errors.cox_needs_events_fix"))
        self.feature_names_ = feature_names or [f"x{i}" for i in range(p)]
        self.mean_, self.scale_ = np.array([row.mean() for row in xt]), sd
        order = np.argsort(t_, kind="stable")
        zt = np.empty_like(xt)
        for j in range(p):
            zt[j] = (xt[j, order] - self.mean_[j]) / self.scale_[j]
        ts, ev = t_[order], e_[order]
        _, start, counts = np.unique(ts, return_index=True, return_counts=True)
        k_all = len(start)
        group = np.repeat(np.arange(k_all), counts)
        d = np.bincount(group, weights=ev, minlength=k_all).astype(np.int64)
        kk = np.repeat(np.arange(k_all), d)  # one entry per event: its time's index
        c = (np.arange(len(kk)) - (np.cumsum(d) - d)[kk]) / d[kk]  # Efron's l / d_k
        dead = np.flatnonzero(ev == 1)  # sorted by time, in the order of kk
        risk_from = start[kk]  # each event's risk set: the sorted rows from its time's first row
        tie_start = np.flatnonzero(np.r_[True, kk[1:] != kk[:-1]])  # first event of each event time
        tie_of = np.repeat(np.arange(len(tie_start)), np.diff(np.r_[tie_start, len(kk)]))
        zsum_events = zt[:, dead].sum(axis=1)
        pen = n * self.penalizer

        def sums(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Sums of ``v`` over the risk set and over the tied events, at each event."""
            risk = np.cumsum(v[::-1])[::-1][risk_from]
            return risk, np.add.reduceat(v[dead], tie_start)[tie_of]

        def evaluate(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            """Penalised log-likelihood, gradient and Hessian at ``b``."""
            eta = b @ zt
            shift = float(eta.max())
            w = np.exp(eta - shift)  # exp(z'b) up to a common factor, which cancels
            s_risk, s_dead = sums(w)
            den = s_risk - c * s_dead  # Efron: S_k - (l / d_k) S_Dk
            ll = float(eta[dead].sum() - np.log(den).sum() - events * shift) - 0.5 * pen * float(b @ b)
            m = np.empty((p, len(kk)))  # (Z_R - c Z_D) / den at each event, per feature
            for j in range(p):
                z_risk, z_dead = sums(zt[j] * w)
                m[j] = (z_risk - c * z_dead) / den
            grad = zsum_events - m.sum(axis=1) - pen * b
            a = np.cumsum(np.bincount(kk, weights=1 / den, minlength=k_all))
            bk = np.bincount(kk, weights=c / den, minlength=k_all)
            weight = w * (a[group] - ev * bk[group])
            hess = m @ m.T
            for lo in range(0, n, HESSIAN_ROWS):  # a p x n product per block: not one of n rows
                blk = zt[:, lo:lo + HESSIAN_ROWS]
                hess -= (blk * weight[lo:lo + HESSIAN_ROWS]) @ blk.T
            hess[np.diag_indices(p)] -= pen
            return ll, grad, hess

        b = np.zeros(p)
        ll, grad, hess = evaluate(b)
        self.loglik_null_ = ll
        for it in range(self.max_iter + 1):
            try:
                delta = solve(-hess, grad, assume_a="pos")
            except (np.linalg.LinAlgError, ValueError) as exc:
                raise ConvergenceError(t("models.errors.cox_no_convergence", steps=it),
                                       fix=t("models.errors.cox_no_convergence_fix")) from exc
            if np.max(np.abs(delta)) < self.tol:
                break  # converged: b and the Hessian at b (the remaining step is below tol)
            if it == self.max_iter:
                raise ConvergenceError(t("models.errors.cox_no_convergence", steps=self.max_iter),
                                       fix=t("models.errors.cox_no_convergence_fix"))
            step = 1.0
            while True:  # Newton step, halved while it lowers the objective
                trial = evaluate(b + step * delta)
                if trial[0] >= ll - 1e-12 * abs(ll) or step < 1e-8:
                    break
                step /= 2
            b = b + step * delta
            ll, grad, hess = trial
        self.n_iter_ = it
        cov = np.linalg.inv(-hess) / np.outer(self.scale_, self.scale_)
        self.coef_ = b / self.scale_
        self.se_ = np.sqrt(np.diag(cov))
        self.cov_ = cov
        self.loglik_ = ll
        self.n_, self.events_ = n, events
        return self

    def summary(self) -> pd.DataFrame:
        """Per feature: ``coef`` (log hazard ratio per unit), ``exp(coef)`` (hazard ratio),
        ``se(coef)``, the hazard ratio's Wald 95% interval ``hr_low`` / ``hr_high``, ``z`` and
        the two-sided ``p``."""
        check_fitted(self, "coef_")
        z = self.coef_ / self.se_
        return pd.DataFrame({
            "coef": self.coef_, "exp(coef)": np.exp(self.coef_), "se(coef)": self.se_,
            "hr_low": np.exp(self.coef_ - Z95 * self.se_), "hr_high": np.exp(self.coef_ + Z95 * self.se_),
            "z": z, "p": 2 * norm.sf(np.abs(z)),
        }, index=pd.Index(self.feature_names_, name="covariate"))
