"""Gamma-Gamma against the published CDNOW fit (Fader, Hardie & Lee 2005, "RFM and CLV"; note 025)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from loyalscope.models import GammaGamma


@pytest.fixture(scope="module")
def repeat_buyers(cdnow) -> pd.DataFrame:
    return cdnow[cdnow.x > 0]


@pytest.fixture(scope="module")
def fitted(repeat_buyers) -> GammaGamma:
    return GammaGamma().fit(repeat_buyers.x, repeat_buyers.zbar)


def test_published_parameters_and_loglik(fitted, repeat_buyers):
    assert len(repeat_buyers) == 946
    for name, value in {"p": 6.2488, "q": 3.7446, "gamma": 15.4477}.items():
        assert fitted.params_[name] == pytest.approx(value, abs=5e-4)
    assert fitted.loglik_ == pytest.approx(-4055.92, abs=0.01)


@pytest.mark.parametrize(("x", "zbar"), [(1, 10.0), (2, 22.35), (20, 55.0)])
def test_conditional_spend_equals_posterior_integral(fitted, x, zbar):
    # nu | x, zbar has density proportional to nu^(q + p x - 1) exp(-nu (gamma + x zbar));
    # E[mean spend] = E[p / nu | data], integrated numerically.
    p, q, g = (fitted.params_[k] for k in ("p", "q", "gamma"))
    rate = g + x * zbar
    shape = q + p * x

    mode = (shape - 1) / rate

    def dens(nu):
        return np.exp((shape - 1) * np.log(nu / mode) - (nu - mode) * rate)

    num, _ = integrate.quad(lambda nu: p / nu * dens(nu), 0, 50 * mode, points=[mode], limit=200)
    den, _ = integrate.quad(dens, 0, 50 * mode, points=[mode], limit=200)
    assert fitted.conditional_expected_average_spend(x, zbar)[0] == pytest.approx(num / den, rel=1e-7)


def test_zero_frequency_gets_population_mean(fitted):
    assert fitted.conditional_expected_average_spend(0, 0)[0] == pytest.approx(fitted.population_mean_spend())


def test_warns_when_frequency_and_spend_are_correlated():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 30, size=500)
    z = 5.0 * x + rng.gamma(2.0, 2.0, size=500)
    with pytest.warns(UserWarning, match="correlated"):
        GammaGamma().fit(x, z)


def test_no_warning_on_cdnow(repeat_buyers):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GammaGamma().fit(repeat_buyers.x, repeat_buyers.zbar)


def test_rejects_one_time_buyers():
    with pytest.raises(ValueError, match="repeat buyers"):
        GammaGamma().fit([0, 2], [0.0, 10.0])


@pytest.mark.parametrize("seed", range(4))
def test_loglik_matches_mpmath_at_sampled_points(seed):
    import mpmath as mp

    mp.mp.dps = 50
    rng = np.random.default_rng(seed)
    p, q, g = rng.uniform([0.5, 1.5, 1.0], [20.0, 10.0, 100.0])
    x = np.array([1.0, 2.0, 7.0, 150.0, 5000.0])
    z = rng.uniform(1.0, 1e4, size=5)
    model = GammaGamma()
    got = [-model._negloglik_grad(np.log([p, q, g]), (x[i:i + 1], z[i:i + 1]), np.ones(1))[0] for i in range(5)]
    P, Q, G = mp.mpf(p), mp.mpf(q), mp.mpf(g)

    def mp_ll(xi, zi):
        xi, zi = mp.mpf(xi), mp.mpf(zi)
        dens = (mp.gamma(P * xi + Q) / (mp.gamma(P * xi) * mp.gamma(Q)) * G**Q * zi ** (P * xi - 1)
                * xi ** (P * xi) / (G + xi * zi) ** (P * xi + Q))
        return float(mp.log(dens))

    np.testing.assert_allclose(got, [mp_ll(xi, zi) for xi, zi in zip(x, z, strict=True)], rtol=1e-10, atol=1e-8)
