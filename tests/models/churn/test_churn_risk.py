"""Logistic churn model and its validation measures on NumPy data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from loyalscope.errors import NotFittedError
from loyalscope.models.churn.churn_risk import (
    LogisticChurnModel,
    auc,
    auc_interval,
    calibration_curve,
    lift_table,
)


def test_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 2))
    p = 1 / (1 + np.exp(-(-0.5 + 1.0 * x[:, 0] - 2.0 * x[:, 1])))
    y = rng.random(20_000) < p
    m = LogisticChurnModel(alpha=0.0).fit(x, y, ["a", "b"])
    # features are standardised; sd ~ 1 so per-sd coefficients ~ true ones
    np.testing.assert_allclose(m.coef_ * 1.0, [1.0, -2.0], atol=0.08)
    assert m.intercept_ == pytest.approx(-0.5 + 0.0, abs=0.08)
    assert list(m.summary().index) == ["a", "b"]


def test_auc_matches_mann_whitney() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.3
    s = rng.normal(size=300) + y
    u = mannwhitneyu(s[y], s[~y]).statistic
    assert auc(y, s) == pytest.approx(u / (y.sum() * (~y).sum()))


def test_calibration_and_lift() -> None:
    y = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    p = np.arange(10) / 10
    cal = calibration_curve(y, p, bins=2)
    assert cal.observed.tolist() == [0.2, 0.8]
    lift = lift_table(y, p, groups=2)
    assert lift.lift.tolist() == [pytest.approx(1.6), pytest.approx(0.4)]


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        LogisticChurnModel().predict_proba(np.zeros((1, 1)))


def _delong_by_pairs(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong's standard error from the n1 x n0 comparison matrix (every pair)."""
    pos, neg = s[y], s[~y]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(psi.mean()), float(np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_interval_is_delongs_from_every_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(400) < 0.15
    s = np.round(rng.normal(size=400) + 0.7 * y, 1)  # rounded: many ties
    a, se = _delong_by_pairs(y, s)
    lo, hi = auc_interval(y, s)
    assert auc(y, s) == pytest.approx(a, rel=1e-12)
    assert lo == pytest.approx(a - 1.959963984540054 * se, rel=1e-9)
    assert hi == pytest.approx(a + 1.959963984540054 * se, rel=1e-9)


def test_auc_interval_covers_chance_for_an_uninformative_score() -> None:
    rng = np.random.default_rng(5)
    covered = 0
    for _ in range(200):
        y = rng.random(300) < 0.2
        lo, hi = auc_interval(y, rng.normal(size=300))
        covered += lo <= 0.5 <= hi
    assert 180 <= covered <= 200  # ~95% of the intervals hold the true AUC 0.5


def test_auc_interval_needs_two_of_each_class() -> None:
    assert np.isnan(auc_interval(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]))).all()
