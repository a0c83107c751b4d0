"""Every prediction of the transaction models is finite for x up to 1e4 and T up to 1e5 days.

Before: BG/NBD ``predict_purchases`` was NaN for T near 1e4 days with a large drop-out shape
``a`` (degenerate fits like ``a = b = 2e6`` are what small data give), and on a one-day customer.
The reference below is an independent computation: the same expectation integrated numerically
over the Beta posterior of the drop-out probability with SciPy's adaptive quadrature.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from loyalscope.models import BGNBD, MBGNBD, ParetoNBD

CDNOW = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "cdnow_sample_summary.csv")
PARAMS = {
    "cdnow_days": None,
    "large_a": (0.348, 48.125, 369679.4, 11098.8),
    "a_b_2e6": (0.5, 40.0, 2e6, 2e6),
    "tiny_alpha": (0.1523, 0.9189, 622.183, 0.7318),
    "small_a": (2.0, 30.0, 0.01, 50.0),
}
X = np.array([0.0, 1.0, 2.0, 10.0, 100.0, 1e3, 1e4])
T = np.array([1.0, 30.0, 365.0, 1e3, 1e4, 3e4, 1e5])


def _model(cls, key):
    if PARAMS[key] is None:
        return cls().fit(CDNOW.x, CDNOW.t_x * 7, CDNOW["T"] * 7)
    model = cls()
    model.params_ = dict(zip(cls._param_names, PARAMS[key], strict=True))
    return model


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD], ids=lambda c: c.__name__)
@pytest.mark.parametrize("key", list(PARAMS))
@pytest.mark.parametrize("horizon", [1.0, 365.0])
def test_predictions_finite_and_in_range(cls, key, horizon):
    model = _model(cls, key)
    x, t_cal = (a.ravel() for a in np.meshgrid(X, T))
    x = np.minimum(x, t_cal)  # repeat purchase days cannot exceed the days observed
    for share in (0.01, 0.5, 1.0):
        tx = np.where(x > 0, t_cal * share, 0.0)
        pred = model.predict_purchases(horizon, x, tx, t_cal)
        alive = model.p_alive(x, tx, t_cal)
        assert np.all(np.isfinite(pred)) and np.all(pred >= 0)
        assert np.all((alive >= 0) & (alive <= 1))


def _reference(r, alpha, a, b, x, T, t):
    """E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b + x), by adaptive quadrature."""
    u = t / (alpha + T)
    post = stats.beta(a, b + x)
    lo, hi = post.ppf(1e-12), post.isf(1e-12)

    def f(p: float) -> float:
        return -np.expm1(-(r + x) * np.log1p(p * u)) / p * post.pdf(p)

    return integrate.quad(f, lo, hi, points=[post.median()], epsabs=0, epsrel=1e-10, limit=200)[0]


@pytest.mark.parametrize("key", ["large_a", "a_b_2e6"])
@pytest.mark.parametrize("x, t_cal", [(0.0, 1e4), (5.0, 1e4), (50.0, 9000.0), (100.0, 1e5)])
def test_bgnbd_where_the_closed_form_fails_matches_an_integral(key, x, t_cal):
    r, alpha, a, b = PARAMS[key]
    model = _model(BGNBD, key)
    tx = 0.9 * t_cal if x > 0 else 0.0
    got = model.predict_purchases(365.0, x, tx, t_cal)[0] / model.p_alive(x, tx, t_cal)[0]
    assert got == pytest.approx(_reference(r, alpha, a, b, x, t_cal, 365.0), rel=1e-7)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD], ids=lambda c: c.__name__)
def test_prob_of_no_purchase_is_a_likelihood_ratio(cls):
    """No purchase in (T, T + t] is the same history observed until T + t, so
    P(Y(t) = 0 | x, t_x, T) = L(x, t_x, T + t) / L(x, t_x, T) (an independent computation from
    the individual likelihood); for a new customer it is the NBD zero class (alpha/(alpha+t))^r."""
    model = _model(cls, "cdnow_days")
    x, tx, t_cal = np.array([0.0, 1.0, 4.0, 20.0]), np.array([0.0, 30.0, 200.0, 250.0]), np.array([100.0, 200.0, 260.0, 270.0])
    got = model.prob_n_purchases(0, 90.0, x, tx, t_cal)
    ratio = np.exp(model.loglik_individual(x, tx, t_cal + 90.0) - model.loglik_individual(x, tx, t_cal))
    np.testing.assert_allclose(got, ratio, rtol=1e-10)
    if cls is BGNBD:
        r, alpha = model.params_["r"], model.params_["alpha"]
        assert float(model.prob_n_purchases(0, 90.0, 0.0, 0.0, 0.0)) == pytest.approx((alpha / (alpha + 90.0)) ** r)
