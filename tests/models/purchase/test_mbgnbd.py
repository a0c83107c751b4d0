"""MBG/NBD against the published CDNOW fit (Batislam et al. 2007; BTYDplus)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from loyalscope.models import MBGNBD


@pytest.fixture(scope="module")
def fitted(cdnow) -> MBGNBD:
    return MBGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])


def test_published_parameters_and_loglik(fitted):
    published = {"r": 0.5248, "alpha": 6.183, "a": 0.8914, "b": 1.614}
    for name, value in published.items():
        assert fitted.params_[name] == pytest.approx(value, abs=5e-4)
    assert fitted.loglik_ == pytest.approx(-9582.13, abs=0.01)


def test_zero_repeaters_may_be_dead(fitted):
    a, b = fitted.params_["a"], fitted.params_["b"]
    # At T = 0 nothing is known beyond the prior: P(alive) = P(no drop-out at time 0) = b / (a + b).
    assert fitted.p_alive(0, 0, 0)[0] == pytest.approx(b / (a + b), rel=1e-12)
    assert fitted.p_alive(0, 0, 38)[0] < b / (a + b)


def test_new_customer_expectation_by_quadrature(fitted):
    # E[X(t)] = E_p[(1-p)/p] E[1 - exp(-lambda p t)], integrated numerically over p ~ Beta(a, b)
    # with E_lambda[exp(-lambda p t)] = (alpha / (alpha + p t))^r.
    r, alpha, a, b = (fitted.params_[k] for k in ("r", "alpha", "a", "b"))
    t = 39.0

    def integrand(p):
        return (1 - p) / p * (1 - (alpha / (alpha + p * t)) ** r) * stats.beta.pdf(p, a, b)

    expected, _ = integrate.quad(integrand, 0, 1, limit=200)
    assert fitted.expected_purchases_new_customer(t)[0] == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(fitted.predict_purchases(10, 5000, 4999, 5000)).all()
