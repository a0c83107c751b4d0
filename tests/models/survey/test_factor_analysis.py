"""Exploratory FA: KMO and Bartlett against independent computations, rotation properties,
and recovery of a known two-factor structure."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.errors import NotFittedError
from loyalscope.models.survey.factor_analysis import (
    FactorAnalysis,
    bartlett_sphericity,
    kmo,
    promax,
    varimax,
)

TRUE = np.array([[0.8, 0], [0.7, 0], [0.6, 0], [0, 0.8], [0, 0.7], [0, 0.6]])


def _two_factor(n: int = 5000, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 2))
    E = rng.normal(size=(n, 6)) * np.sqrt(1 - (TRUE**2).sum(axis=1))
    return F @ TRUE.T + E


def _partial_corr_by_regression(X: np.ndarray, i: int, j: int) -> float:
    others = [k for k in range(X.shape[1]) if k not in (i, j)]
    A = np.column_stack([np.ones(len(X)), X[:, others]])
    ri = X[:, i] - A @ np.linalg.lstsq(A, X[:, i], rcond=None)[0]
    rj = X[:, j] - A @ np.linalg.lstsq(A, X[:, j], rcond=None)[0]
    return float(np.corrcoef(ri, rj)[0, 1])


def test_kmo_against_partial_correlations_from_regressions() -> None:
    X = _two_factor(n=400)
    R = np.corrcoef(X, rowvar=False)
    p = R.shape[0]
    pc = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            if i != j:
                pc[i, j] = _partial_corr_by_regression(X, i, j)
    r2 = (R**2).sum() - p
    overall, items = kmo(R)
    assert overall == pytest.approx(r2 / (r2 + (pc**2).sum()), rel=1e-8)
    row0 = (R[0] ** 2).sum() - 1
    assert items[0] == pytest.approx(row0 / (row0 + (pc[0] ** 2).sum()), rel=1e-8)


def test_bartlett_against_eigenvalue_formula() -> None:
    X = _two_factor(n=300)
    R = np.corrcoef(X, rowvar=False)
    chi2, df, p = bartlett_sphericity(R, 300)
    expected = -(300 - 1 - (2 * 6 + 5) / 6) * np.log(np.prod(np.linalg.eigvalsh(R)))
    assert chi2 == pytest.approx(expected, rel=1e-10)
    assert df == 15
    assert p == pytest.approx(stats.chi2.sf(expected, 15))
    assert bartlett_sphericity(np.eye(4), 100)[0] == pytest.approx(0.0, abs=1e-12)


def test_varimax_is_orthogonal_and_keeps_communalities() -> None:
    rng = np.random.default_rng(0)
    L = rng.normal(size=(8, 3)) * 0.5
    Lr, T = varimax(L)
    assert T.T @ T == pytest.approx(np.eye(3), abs=1e-10)
    assert (Lr**2).sum(axis=1) == pytest.approx((L**2).sum(axis=1))

    def crit(M: np.ndarray) -> float:
        h = np.sqrt((M**2).sum(axis=1, keepdims=True))
        return float(((M / h) ** 4).sum() - (((M / h) ** 2).sum(axis=0) ** 2).sum() / M.shape[0])

    assert crit(Lr) >= crit(L)


def test_promax_reproduces_loadings_and_correlations() -> None:
    rng = np.random.default_rng(1)
    L = rng.normal(size=(8, 2)) * 0.5
    P, U, phi = promax(L)
    assert P == pytest.approx(L @ U)
    assert np.diag(phi) == pytest.approx(np.ones(2))
    # the reproduced common covariance is unchanged by an oblique rotation
    assert P @ phi @ P.T == pytest.approx(L @ L.T, abs=1e-10)


@pytest.mark.parametrize("method", ["principal_axis", "minres"])
@pytest.mark.parametrize("rotation", ["varimax", "promax"])
def test_recovers_two_factor_structure(method: str, rotation: str) -> None:
    fa = FactorAnalysis(2, method=method, rotation=rotation).fit(_two_factor())
    L = fa.loadings_
    if abs(L[0, 0]) < abs(L[0, 1]):
        L = L[:, ::-1]
    assert L == pytest.approx(TRUE, abs=0.05)
    assert fa.kmo_ > 0.6
    assert fa.bartlett_[2] < 1e-10


def test_summary_and_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        FactorAnalysis(2).summary()
    s = FactorAnalysis(2).fit(_two_factor(n=500), names=list("abcdef")).summary()
    assert list(s.columns) == ["item", "F1", "F2", "communality", "uniqueness", "kmo"]
    assert (s["communality"] + s["uniqueness"]).to_numpy() == pytest.approx(np.ones(6))
