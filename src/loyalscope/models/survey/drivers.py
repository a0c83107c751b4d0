"""Key-driver analysis: correlations, relative weights, Shapley / LMG, importance x performance,
and Bayesian P(loyal | driver level).

Relative weights (Johnson 2000, "A heuristic method for estimating the relative weight of
predictor variables in multiple regression", Multivariate Behavioral Research 35(1)):
with the predictor correlation matrix R_xx = V diag(l) V' and its symmetric square root
Lambda = V diag(sqrt(l)) V', regress y on the orthogonal Z = X Lambda^{-1}: beta = Lambda^{-1} r_xy,
and eps_j = sum_k Lambda_jk^2 beta_k^2. The weights sum to the model R squared.

Shapley / LMG (Lindeman, Merenda & Gold 1980; Grömping 2006): the Shapley value of R squared,
phi_j = sum over subsets S without j of |S|! (p - |S| - 1)! / p! [R2(S + j) - R2(S)],
computed exactly from the correlation matrix over all 2^p subsets (p <= 15).

Both reduce to the squared standardised coefficients when predictors are uncorrelated.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted

MAX_SHAPLEY_PREDICTORS = 15


def _matrix(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    ya = np.asarray(y, dtype=float).ravel()
    if Xa.shape[0] != ya.size:
        raise ValueError(f"X and y must have the same rows. Got {Xa.shape[0]} and {ya.size} instead.")
    keep = np.all(np.isfinite(Xa), axis=1) & np.isfinite(ya)
    Xa, ya = Xa[keep], ya[keep]
    if Xa.shape[0] <= Xa.shape[1] + 1:
        raise InsufficientDataError(
            t("models.errors.drivers_too_few_rows", rows=Xa.shape[0], drivers=Xa.shape[1]),
            fix=t("models.errors.drivers_too_few_rows_fix"),
        )
    return Xa, ya


def _names(names: Sequence[str] | None, p: int) -> list[str]:
    return list(names) if names is not None else [f"x{j + 1}" for j in range(p)]


def adjust_pvalues(p: Any, method: str = "holm") -> np.ndarray:
    """Multiple-testing adjusted p-values: ``"holm"`` (Holm 1979) or ``"bh"`` (Benjamini &
    Hochberg 1995, false discovery rate)."""
    pv = np.asarray(p, dtype=float)
    m = pv.size
    order = np.argsort(pv)
    ranked = pv[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise ValueError(f"The 'method' argument must be 'holm' or 'bh'. Got {method!r} instead.")
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def correlations(X: Any, y: Any, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Pearson and Spearman correlation of each driver with ``y``, with p-values and
    Holm / Benjamini-Hochberg adjusted p-values (over the drivers)."""
    Xa, ya = _matrix(X, y)
    rows = []
    for j, name in enumerate(_names(names, Xa.shape[1])):
        r, p = stats.pearsonr(Xa[:, j], ya)
        rho, ps = stats.spearmanr(Xa[:, j], ya)
        rows.append({"driver": name, "pearson": r, "pearson_p": p, "spearman": rho, "spearman_p": ps})
    df = pd.DataFrame(rows)
    for col in ("pearson_p", "spearman_p"):
        df[f"{col}_holm"] = adjust_pvalues(df[col], "holm")
        df[f"{col}_bh"] = adjust_pvalues(df[col], "bh")
    df["n"] = Xa.shape[0]
    return df


def _corr(Xa: np.ndarray, ya: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = np.corrcoef(np.column_stack([Xa, ya]), rowvar=False)
    return c[:-1, :-1], c[:-1, -1]


def relative_weights(X: Any, y: Any) -> np.ndarray:
    """Johnson's (2000) raw relative weights; they sum to the model R squared."""
    Rxx, rxy = _corr(*_matrix(X, y))
    evals, evecs = np.linalg.eigh(Rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def shapley_r2(X: Any, y: Any) -> np.ndarray:
    """Exact Shapley (LMG) decomposition of R squared over all subsets of the predictors."""
    Rxx, rxy = _corr(*_matrix(X, y))
    p = rxy.size
    if p > MAX_SHAPLEY_PREDICTORS:
        raise InsufficientDataError(
            t("models.errors.shapley_too_many", drivers=p),
            fix=t("models.errors.shapley_too_many_fix", most=MAX_SHAPLEY_PREDICTORS),
        )
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        r = rxy[idx]
        r2[mask] = float(r @ np.linalg.solve(Rxx[np.ix_(idx, idx)], r))
    size = np.array([bin(m).count("1") for m in range(1 << p)])
    coef = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    phi = np.zeros(p)
    for mask in range(1 << p):
        for j in range(p):
            if not mask >> j & 1:
                phi[j] += coef[size[mask]] * (r2[mask | 1 << j] - r2[mask])
    return phi


def r_squared(X: Any, y: Any) -> float:
    """R squared of the least-squares regression of ``y`` on ``X`` (with intercept)."""
    Rxx, rxy = _corr(*_matrix(X, y))
    return float(rxy @ np.linalg.solve(Rxx, rxy))


def importance_performance(
    importance: Any, performance: Any, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Importance x performance matrix, split at the means of both axes.

    Quadrants (Martilla & James 1977): ``concentrate_here`` (important, low performance),
    ``keep_up`` (important, high), ``low_priority`` (unimportant, low), ``possible_overkill``
    (unimportant, high).
    """
    imp = np.asarray(importance, dtype=float)
    perf = np.asarray(performance, dtype=float)
    hi_i = imp >= imp.mean()
    hi_p = perf >= perf.mean()
    quadrant = np.select(
        [hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p],
        ["concentrate_here", "keep_up", "low_priority"],
        "possible_overkill",
    )
    return pd.DataFrame(
        {"driver": _names(names, imp.size), "importance": imp, "performance": perf, "quadrant": quadrant}
    )


def bayes_driver(level: Any, loyal: Any, prior: tuple[float, float] = (1.0, 1.0), level_ci: float = 0.95) -> pd.DataFrame:
    """Posterior P(loyal | driver level): Beta(a + k, b + n - k) per level from a Beta(a, b)
    prior (default uniform), with the equal-tailed credible interval.

    ``loyal`` is 0/1 (repurchased, promoter ...). Returns ``level, n, loyal, mean, lower, upper``.
    """
    lv = np.asarray(level)
    ly = np.asarray(loyal, dtype=float)
    keep = ~pd.isna(lv) & np.isfinite(ly)
    df = pd.DataFrame({"level": lv[keep], "loyal": ly[keep]})
    g = df.groupby("level", sort=True)["loyal"].agg(["size", "sum"]).reset_index()
    a = prior[0] + g["sum"].to_numpy()
    b = prior[1] + g["size"].to_numpy() - g["sum"].to_numpy()
    tail = (1 - level_ci) / 2
    return pd.DataFrame(
        {
            "level": g["level"],
            "n": g["size"].astype(int),
            "loyal": g["sum"].astype(int),
            "mean": a / (a + b),
            "lower": stats.beta.ppf(tail, a, b),
            "upper": stats.beta.ppf(1 - tail, a, b),
        }
    )


class DriverAnalysis:
    """Key drivers of an outcome: correlations, relative weights, Shapley, quadrants.

    Parameters
    ----------
    shapley : bool, default True
        Also compute the exact Shapley decomposition (needs <= 15 drivers).
    """

    def __init__(self, shapley: bool = True) -> None:
        self.shapley = shapley

    def fit(self, X: Any, y: Any, names: Sequence[str] | None = None) -> DriverAnalysis:
        """``X``: respondents x drivers ratings; ``y``: the outcome (loyalty, NPS ...)."""
        Xa, ya = _matrix(X, y)
        self.names_ = _names(names, Xa.shape[1])
        self.n_ = Xa.shape[0]
        self.r2_ = r_squared(Xa, ya)
        self.relative_weights_ = relative_weights(Xa, ya)
        self.shapley_ = shapley_r2(Xa, ya) if self.shapley and Xa.shape[1] <= MAX_SHAPLEY_PREDICTORS else None
        self.correlations_ = correlations(Xa, ya, self.names_)
        self.performance_ = Xa.mean(axis=0)
        self.matrix_ = importance_performance(
            self.relative_weights_ / self.r2_, self.performance_, self.names_
        )
        return self

    def summary(self) -> pd.DataFrame:
        """One row per driver: correlations, raw and rescaled relative weights, Shapley,
        performance and quadrant."""
        check_fitted(self, "r2_")
        df = self.correlations_[["driver", "pearson", "pearson_p_holm", "spearman", "spearman_p_holm"]].copy()
        df["relative_weight"] = self.relative_weights_
        df["relative_weight_pct"] = 100 * self.relative_weights_ / self.r2_
        if self.shapley_ is not None:
            df["shapley"] = self.shapley_
        df["performance"] = self.performance_
        df["quadrant"] = self.matrix_["quadrant"].to_numpy()
        return df
