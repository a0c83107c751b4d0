"""BG/BB against the published donation fit (Fader, Hardie & Shang 2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from loyalscope.models import BGBB


@pytest.fixture(scope="module")
def donations(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "bgbb_donations.csv")


@pytest.fixture(scope="module")
def fitted(donations) -> BGBB:
    return BGBB().fit(donations.frequency, donations.recency, donations.periods, donations.weights)


def test_published_parameters_and_loglik(fitted, donations):
    assert donations.weights.sum() == 11104
    published = {"alpha": 1.2035, "beta": 0.7497, "gamma": 0.6567, "delta": 2.7834}
    for name, value in published.items():
        assert fitted.params_[name] == pytest.approx(value, abs=5e-4)
    assert fitted.loglik_ == pytest.approx(-33225.58, abs=0.01)


def test_published_p_alive(fitted):
    got = fitted.p_alive([0, 2, 6], [0, 4, 6], [6, 6, 6])
    np.testing.assert_allclose(got, [0.11, 0.59, 0.93], atol=0.005)


def test_pattern_probabilities_sum_to_one(fitted):
    # Every (x, t_x) pattern over n = 6 opportunities: x = 0 (t_x = 0) or 1 <= x <= t_x <= 6, each
    # (x, t_x) standing for C(t_x - 1, x - 1) sequences.
    from math import comb

    rows = [(0, 0, 1)] + [(x, tx, comb(tx - 1, x - 1)) for tx in range(1, 7) for x in range(1, tx + 1)]
    x, tx, count = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    total = np.sum(count * np.exp(fitted.loglik_individual(x, tx, np.full_like(x, 6))))
    assert total == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 6, 20])
def test_new_customer_expectation_by_quadrature(fitted, n):
    # Given p and theta: E[X(n)] = p * sum_{k=1..n} (1 - theta)^k; integrate over the two betas.
    al, be, ga, de = (fitted.params_[k] for k in ("alpha", "beta", "gamma", "delta"))

    def integrand(th):
        return (1 - th) * (1 - (1 - th) ** n) / th * stats.beta.pdf(th, ga, de)

    e_theta, _ = integrate.quad(integrand, 0, 1, limit=200)
    expected = al / (al + be) * e_theta
    assert fitted.expected_purchases_new_customer(n)[0] == pytest.approx(expected, rel=1e-6)


def test_requires_whole_periods():
    with pytest.raises(ValueError, match="whole numbers"):
        BGBB().fit([1], [2.5], [6])
