"""Exploratory factor analysis of survey items, with KMO and Bartlett's test.

Written on NumPy/SciPy: ``factor_analyzer`` (the usual Python package) is broken with
scikit-learn >= 1.8 (it passes the removed ``force_all_finite`` argument to
``check_array``), so we do not depend on it.

Extraction
----------
``"principal_axis"``: iterated principal axis factoring. Communalities start at the squared
multiple correlations h_i = 1 - 1 / (R^-1)_ii; each step takes the top ``k`` eigenpairs of R
with h on the diagonal, L = V_k diag(sqrt(l_k)), h = rowsums(L^2), until h changes less than
``tol``.
``"minres"``: minimum residuals (Harman & Jones 1966): choose uniquenesses psi to minimise the
sum of squared off-diagonal residuals of R - L L', L from the top eigenpairs of R - diag(psi).

Rotations
---------
``"varimax"`` (Kaiser 1958, with Kaiser row normalisation; orthogonal rotation matrix T,
loadings L T). ``"promax"`` (Hendrickson & White 1964): varimax, then a least-squares fit to
the target L_v |L_v|^(m - 1), columns rescaled; factor correlations Phi = U^-1 U^-T.

Adequacy
--------
KMO (Kaiser 1974) = sum r_ij^2 / (sum r_ij^2 + sum a_ij^2) over i != j, with a_ij the partial
correlations -S_ij / sqrt(S_ii S_jj), S = R^-1; per item, the sums run over j only.
Bartlett (1950): chi2 = -(n - 1 - (2p + 5) / 6) ln|R| with p (p - 1) / 2 degrees of freedom.
KMO reads (Kaiser 1974): >= 0.9 marvellous, 0.8 meritorious, 0.7 middling, 0.6 mediocre, 0.5
miserable, below unacceptable.

Number of factors
-----------------
:func:`suggest_factors`: Kaiser's criterion (eigenvalues of R above 1), at most half the items
and at least 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted


def kmo(R: Any) -> tuple[float, np.ndarray]:
    """Kaiser-Meyer-Olkin measure: (overall, per item) from a correlation matrix ``R``."""
    R = np.asarray(R, dtype=float)
    S = np.linalg.inv(R)
    d = np.sqrt(np.diag(S))
    A = -S / np.outer(d, d)
    off = ~np.eye(R.shape[0], dtype=bool)
    r2 = np.where(off, R**2, 0.0)
    a2 = np.where(off, A**2, 0.0)
    per_item = r2.sum(axis=1) / (r2.sum(axis=1) + a2.sum(axis=1))
    return float(r2.sum() / (r2.sum() + a2.sum())), per_item


def bartlett_sphericity(R: Any, n: int) -> tuple[float, int, float]:
    """Bartlett's test that ``R`` (from ``n`` respondents) is an identity: (chi2, df, p)."""
    R = np.asarray(R, dtype=float)
    p = R.shape[0]
    _, logdet = np.linalg.slogdet(R)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return float(chi2), df, float(stats.chi2.sf(chi2, df))


def suggest_factors(R: Any) -> int:
    """Kaiser's criterion: the number of eigenvalues of the correlation matrix ``R`` above 1,
    clipped to 1 .. p // 2 (p items)."""
    vals = np.linalg.eigvalsh(np.asarray(R, dtype=float))
    p = vals.size
    return int(min(max(1, int((vals > 1.0).sum())), max(1, p // 2)))


def kmo_label(value: float) -> str:
    """Kaiser's (1974) words for a KMO value: marvellous ... unacceptable."""
    for cut, word in ((0.9, "marvellous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
        if value >= cut:
            return word
    return "unacceptable"


def varimax(L: Any, normalize: bool = True, tol: float = 1e-10, maxiter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation by Kaiser's pairwise planar rotations: returns (rotated loadings,
    orthogonal rotation matrix T with rotated = L T).

    For a pair of columns with u = x_i^2 - x_j^2, v = 2 x_i x_j the optimal angle is
    phi = atan2(D - 2AB/p, C - (A^2 - B^2)/p) / 4 with A = sum u, B = sum v,
    C = sum(u^2 - v^2), D = 2 sum(uv); sweeps repeat until every |phi| < ``tol``.
    """
    L = np.asarray(L, dtype=float)
    p, k = L.shape
    sc = np.sqrt((L**2).sum(axis=1, keepdims=True)) if normalize else np.ones((p, 1))
    x = L / sc
    T = np.eye(k)
    for _ in range(maxiter):
        largest = 0.0
        for i in range(k - 1):
            for j in range(i + 1, k):
                u = x[:, i] ** 2 - x[:, j] ** 2
                v = 2 * x[:, i] * x[:, j]
                A, B = u.sum(), v.sum()
                C, D = (u**2 - v**2).sum(), 2 * (u * v).sum()
                phi = np.arctan2(D - 2 * A * B / p, C - (A**2 - B**2) / p) / 4
                largest = max(largest, abs(phi))
                c, s = np.cos(phi), np.sin(phi)
                G = np.array([[c, -s], [s, c]])
                x[:, [i, j]] = x[:, [i, j]] @ G
                T[:, [i, j]] = T[:, [i, j]] @ G
        if largest < tol:
            break
    return x * sc, T


def promax(L: Any, power: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promax rotation: (pattern loadings, rotation matrix U with pattern = L U, factor
    correlations Phi)."""
    L = np.asarray(L, dtype=float)
    Lv, T = varimax(L)
    target = Lv * np.abs(Lv) ** (power - 1)
    U = np.linalg.lstsq(Lv, target, rcond=None)[0]
    U = U @ np.diag(np.sqrt(np.diag(np.linalg.inv(U.T @ U))))
    U = T @ U
    Ui = np.linalg.inv(U)
    return L @ U, U, Ui @ Ui.T


def _top_loadings(M: np.ndarray, k: int) -> np.ndarray:
    evals, evecs = np.linalg.eigh(M)
    idx = np.argsort(evals)[::-1][:k]
    return evecs[:, idx] * np.sqrt(np.clip(evals[idx], 0.0, None))


class FactorAnalysis:
    """Exploratory factor analysis.

    Parameters
    ----------
    n_factors : int
    method : {"principal_axis", "minres"}, default "minres"
    rotation : {"varimax", "promax", None}, default "varimax"
    tol : float, default 1e-6
    maxiter : int, default 500

    Attributes
    ----------
    loadings_ : ndarray (items x factors), after rotation (pattern loadings for promax)
    communalities_, uniquenesses_ : ndarray (items)
    kmo_, kmo_items_ : float, ndarray
    bartlett_ : tuple (chi2, df, p)
    phi_ : ndarray, factor correlations (identity for orthogonal rotations)
    rotation_matrix_ : ndarray
    """

    def __init__(
        self,
        n_factors: int,
        method: Literal["principal_axis", "minres"] = "minres",
        rotation: Literal["varimax", "promax"] | None = "varimax",
        tol: float = 1e-6,
        maxiter: int = 500,
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.tol = tol
        self.maxiter = maxiter

    def fit(self, X: Any, names: Sequence[str] | None = None) -> FactorAnalysis:
        """``X``: respondents x items (rows with a missing answer are dropped)."""
        Xa = np.asarray(X, dtype=float)
        Xa = Xa[np.all(np.isfinite(Xa), axis=1)]
        n, p = Xa.shape
        if not 1 <= self.n_factors < p or n <= p:
            raise InsufficientDataError(
                t("models.errors.efa_impossible", items=p, n=n, factors=self.n_factors),
                fix=t("models.errors.efa_impossible_fix"),
            )
        self.names_ = list(names) if names is not None else [f"item{j + 1}" for j in range(p)]
        self.n_ = n
        R = np.corrcoef(Xa, rowvar=False)
        self.kmo_, self.kmo_items_ = kmo(R)
        self.bartlett_ = bartlett_sphericity(R, n)
        L = self._principal_axis(R) if self.method == "principal_axis" else self._minres(R)
        L = L * np.where(L.sum(axis=0) < 0, -1.0, 1.0)
        k = self.n_factors
        self.phi_ = np.eye(k)
        self.rotation_matrix_ = np.eye(k)
        if self.rotation == "varimax":
            L, self.rotation_matrix_ = varimax(L)
        elif self.rotation == "promax":
            L, self.rotation_matrix_, self.phi_ = promax(L)
        elif self.rotation is not None:
            raise ValueError(f"The 'rotation' parameter must be 'varimax', 'promax' or None. Got {self.rotation!r} instead.")
        sign = np.where(L.sum(axis=0) < 0, -1.0, 1.0)  # reflect factors to positive column sums
        self.loadings_ = L * sign
        self.rotation_matrix_ = self.rotation_matrix_ * sign
        self.phi_ = self.phi_ * np.outer(sign, sign)
        L = self.loadings_
        self.communalities_ = np.einsum("ij,jk,ik->i", L, self.phi_, L)
        self.uniquenesses_ = 1.0 - self.communalities_
        return self

    def _principal_axis(self, R: np.ndarray) -> np.ndarray:
        h = 1.0 - 1.0 / np.diag(np.linalg.inv(R))
        for _ in range(self.maxiter):
            M = R.copy()
            np.fill_diagonal(M, h)
            L = _top_loadings(M, self.n_factors)
            h_new = (L**2).sum(axis=1)
            if np.max(np.abs(h_new - h)) < self.tol:
                return L
            h = h_new
        raise ConvergenceError(
            f"Principal axis factoring did not converge in {self.maxiter} iterations.",
            fix="Try method='minres', fewer factors, or a larger maxiter.",
        )

    def _minres(self, R: np.ndarray) -> np.ndarray:
        off = ~np.eye(R.shape[0], dtype=bool)

        def loss(psi: np.ndarray) -> float:
            M = R - np.diag(psi)
            L = _top_loadings(M, self.n_factors)
            return float(((R - L @ L.T)[off] ** 2).sum())

        psi0 = 1.0 / np.diag(np.linalg.inv(R))
        res = optimize.minimize(loss, psi0, method="L-BFGS-B", bounds=[(0.005, 1.0)] * R.shape[0],
                                options={"maxiter": self.maxiter, "ftol": 1e-12})
        return _top_loadings(R - np.diag(res.x), self.n_factors)

    def summary(self) -> pd.DataFrame:
        """Loadings per item and factor, with communality, uniqueness and per-item KMO."""
        check_fitted(self, "loadings_")
        df = pd.DataFrame(self.loadings_, columns=[f"F{j + 1}" for j in range(self.n_factors)])
        df.insert(0, "item", self.names_)
        df["communality"] = self.communalities_
        df["uniqueness"] = self.uniquenesses_
        df["kmo"] = self.kmo_items_
        return df
