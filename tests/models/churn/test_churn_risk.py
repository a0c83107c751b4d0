"""Logistic churn model and its validation measures on NumPy data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from loyalscope.errors import NotFittedError
from loyalscope.models.churn.churn_risk import (
    LogisticChurnModel,
    auc,
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
