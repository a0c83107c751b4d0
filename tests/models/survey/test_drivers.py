"""Driver importance: the defining properties in tests/data/README.md, p-value corrections
against their textbook definitions, and the Beta posterior against its closed form."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.errors import NotFittedError
from loyalscope.models.survey.drivers import (
    DriverAnalysis,
    adjust_pvalues,
    bayes_driver,
    correlations,
    importance_performance,
    r_squared,
    relative_weights,
    shapley_r2,
)


def _correlated(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cov = np.array([[1, 0.5, 0.3, 0.2], [0.5, 1, 0.4, 0.1], [0.3, 0.4, 1, 0.3], [0.2, 0.1, 0.3, 1]])
    X = rng.multivariate_normal(np.zeros(4), cov, size=n)
    y = X @ np.array([0.5, 0.3, 0.2, 0.1]) + rng.normal(size=n)
    return X, y


def test_r_squared_matches_lstsq() -> None:
    X, y = _correlated()
    A = np.column_stack([np.ones(len(y)), X])
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    assert r_squared(X, y) == pytest.approx(1 - resid.var() / y.var(), rel=1e-10)


def test_weights_sum_to_r_squared() -> None:
    X, y = _correlated()
    r2 = r_squared(X, y)
    assert relative_weights(X, y).sum() == pytest.approx(r2, rel=1e-10)
    assert shapley_r2(X, y).sum() == pytest.approx(r2, rel=1e-10)


def test_uncorrelated_predictors_give_squared_standardised_betas() -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(500, 3))
    q, _ = np.linalg.qr(Z - Z.mean(axis=0))  # exactly uncorrelated, centred columns
    X = q * 10
    y = X @ np.array([0.05, 0.03, -0.02]) + rng.normal(size=500) * 0.05
    Xs = (X - X.mean(0)) / X.std(0)
    ys = (y - y.mean()) / y.std()
    beta = np.linalg.lstsq(Xs, ys, rcond=None)[0]
    assert relative_weights(X, y) == pytest.approx(beta**2, abs=1e-10)
    assert shapley_r2(X, y) == pytest.approx(beta**2, abs=1e-10)


def test_relative_weights_and_shapley_agree_on_correlated_data() -> None:
    X, y = _correlated()
    assert np.max(np.abs(relative_weights(X, y) - shapley_r2(X, y))) < 0.01


def test_shapley_two_predictors_closed_form() -> None:
    X, y = _correlated()
    X2 = X[:, :2]
    full = r_squared(X2, y)
    r1 = np.corrcoef(X2[:, 0], y)[0, 1] ** 2
    r2 = np.corrcoef(X2[:, 1], y)[0, 1] ** 2
    phi = shapley_r2(X2, y)
    assert phi[0] == pytest.approx(0.5 * r1 + 0.5 * (full - r2))
    assert phi[1] == pytest.approx(0.5 * r2 + 0.5 * (full - r1))


def test_pvalue_adjustments() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 with running max
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted p * m / rank -> 0.02, 0.02, 0.04, 0.04 after running min from the top
    assert adjust_pvalues(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_correlations_match_scipy() -> None:
    X, y = _correlated(n=200)
    df = correlations(X, y, ["a", "b", "c", "d"])
    r, p = stats.pearsonr(X[:, 2], y)
    rho, _ = stats.spearmanr(X[:, 2], y)
    row = df.set_index("driver").loc["c"]
    assert row["pearson"] == pytest.approx(r)
    assert row["pearson_p"] == pytest.approx(p)
    assert row["spearman"] == pytest.approx(rho)
    assert (df["pearson_p_holm"] >= df["pearson_p"]).all()


def test_importance_performance_quadrants() -> None:
    df = importance_performance([0.4, 0.4, 0.1, 0.1], [3, 5, 3, 5], ["a", "b", "c", "d"])
    assert df["quadrant"].tolist() == ["concentrate_here", "keep_up", "low_priority", "possible_overkill"]


def test_bayes_driver_closed_form() -> None:
    level = [1] * 10 + [2] * 4
    loyal = [1] * 7 + [0] * 3 + [1, 0, 0, 0]
    df = bayes_driver(level, loyal).set_index("level")
    assert df.loc[1, "mean"] == pytest.approx(8 / 12)  # Beta(1 + 7, 1 + 3)
    assert df.loc[1, "lower"] == pytest.approx(stats.beta.ppf(0.025, 8, 4))
    assert df.loc[2, "upper"] == pytest.approx(stats.beta.ppf(0.975, 2, 4))
    assert df.loc[2, "n"] == 4


def test_driver_analysis_summary() -> None:
    X, y = _correlated(n=500)
    with pytest.raises(NotFittedError):
        DriverAnalysis().summary()
    s = DriverAnalysis().fit(X, y, ["a", "b", "c", "d"]).summary()
    assert s["relative_weight_pct"].sum() == pytest.approx(100)
    assert s.loc[s["relative_weight"].idxmax(), "driver"] == "a"
