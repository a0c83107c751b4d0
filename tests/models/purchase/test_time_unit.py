"""A fit does not depend on the time unit; extreme inputs under np.seterr(all="raise");
x > 0 with t_x = 0; the covariance matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models import BGBB, BGNBD, MBGNBD, GammaGamma, ParetoNBD

lifetimes = pytest.importorskip("lifetimes")


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD])
def test_days_and_hours_give_the_same_predictions(cdnow, cls):
    days = cdnow.assign(t_x=cdnow.t_x * 7, T=cdnow["T"] * 7)
    hours = days.assign(t_x=days.t_x * 24, T=days["T"] * 24)
    in_days = cls().fit(days.x, days.t_x, days["T"])
    in_hours = cls().fit(hours.x, hours.t_x, hours["T"])
    np.testing.assert_allclose(in_hours.predict_purchases(39 * 7 * 24, hours.x, hours.t_x, hours["T"]),
                               in_days.predict_purchases(39 * 7, days.x, days.t_x, days["T"]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(in_hours.p_alive(hours.x, hours.t_x, hours["T"]),
                               in_days.p_alive(days.x, days.t_x, days["T"]), rtol=1e-10, atol=1e-12)
    for p in in_days.params_:
        factor = 24.0 if p in ("alpha", "beta") else 1.0
        assert in_hours.params_[p] == pytest.approx(in_days.params_[p] * factor, rel=1e-10)
    # the log-likelihood is a density of the purchase times: it changes by -x log(24) per customer
    assert in_hours.loglik_ == pytest.approx(in_days.loglik_ - np.log(24.0) * cdnow.x.sum(), rel=1e-12)


def test_published_loglik_on_the_week_scale_survives_the_rescaling(cdnow):
    model = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    assert model.time_scale_ == pytest.approx(cdnow["T"].max())
    assert model.loglik_ == pytest.approx(-9582.43, abs=0.01)
    direct = model.loglik_individual(cdnow.x, cdnow.t_x, cdnow["T"]).sum()
    assert model.loglik_ == pytest.approx(direct, rel=1e-10)


def test_covariance_matrix(cdnow):
    model = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    cov = model.covariance_
    assert list(cov.index) == list(cov.columns) == ["r", "alpha", "a", "b"]
    np.testing.assert_allclose(cov.to_numpy(), cov.to_numpy().T, rtol=1e-8)
    assert np.all(np.linalg.eigvalsh(cov.to_numpy()) > 0)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [model.se_[p] for p in cov.index])
    # independent: inverse of a finite-difference Hessian of the summed log-likelihood
    theta = np.array([model.params_[p] for p in cov.index])

    def ll(th):
        m = BGNBD()
        m.params_ = dict(zip(cov.index, th, strict=True))
        return m.loglik_individual(cdnow.x, cdnow.t_x, cdnow["T"]).sum()

    h = 1e-4 * theta
    hess = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            hess[i, j] = (ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej) + ll(theta - ei - ej)) / (4 * h[i] * h[j])
    np.testing.assert_allclose(cov.to_numpy(), np.linalg.inv(-hess), rtol=2e-3, atol=1e-7)
    back = BGNBD.from_dict(model.to_dict())
    np.testing.assert_allclose(back.covariance_.to_numpy(), cov.to_numpy())


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD])
def test_predictions_do_not_raise_on_harmless_underflow(cdnow, cls):
    model = cls().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    old = np.seterr(all="raise")
    try:
        x, tx, T = np.array([1000.0, 1000.0, 0.0]), np.array([1.0, 38.0, 0.0]), np.array([38.86, 38.86, 38.86])
        alive = model.p_alive(x, tx, T)
        assert alive[0] == pytest.approx(0.0, abs=1e-300) and 0 < alive[1] <= 1
        assert np.all(np.isfinite(model.predict_purchases(10.0, x, tx, T)))
        assert np.all(np.isfinite(model.prob_n_purchases(2, 10.0, x, tx, T)))
        model.p_alive_matrix(30, 38.86)
    finally:
        np.seterr(**old)


@pytest.mark.parametrize(("cls", "ref"), [(BGNBD, "BetaGeoFitter"), (MBGNBD, "ModifiedBetaGeoFitter")])
def test_frequency_with_zero_recency_is_accepted_as_lifetimes_does(cdnow, cls, ref):
    model = cls().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    theirs = getattr(lifetimes, ref)()
    theirs.params_ = pd.Series(model.params_)
    x, tx, T = np.array([1.0, 3.0, 0.0]), np.array([0.0, 0.0, 0.0]), np.array([20.0, 38.0, 5.0])
    np.testing.assert_allclose(model.p_alive(x, tx, T), theirs.conditional_probability_alive(x, tx, T), rtol=1e-10)
    refit = cls().fit(np.r_[cdnow.x, 2.0], np.r_[cdnow.t_x, 0.0], np.r_[cdnow["T"], 30.0])
    assert np.isfinite(refit.loglik_)


def test_p_alive_matrix_matches_lifetimes(cdnow):
    model = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    theirs = lifetimes.BetaGeoFitter()
    theirs.params_ = pd.Series(model.params_)
    ours = model.p_alive_matrix(max_frequency=10, max_recency=39)
    expected = theirs.conditional_probability_alive_matrix(max_frequency=10, max_recency=39)  # (recency, frequency)
    assert ours.shape == (40, 11)
    np.testing.assert_allclose(ours.to_numpy(), expected, rtol=1e-10)


def test_p_alive_history_falls_between_purchases_and_jumps_at_them(cdnow):
    model = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    hist = model.p_alive_history([0.0, 5.0, 12.0, 30.0], T=38.86)
    assert hist.t.iloc[0] == 0 and hist.t.iloc[-1] == pytest.approx(38.86)
    end = hist.iloc[-1]
    assert (end.frequency, end.recency) == (3, 30.0)
    assert end.p_alive == pytest.approx(model.p_alive(3, 30.0, 38.86)[0])
    before = hist[(hist.t > 12) & (hist.t < 30)].p_alive.to_numpy()
    assert np.all(np.diff(before) <= 1e-12)  # no purchase: P(alive) only falls
    at = hist[hist.t == 30.0].p_alive.iloc[0]
    a, b = model.params_["a"], model.params_["b"]
    assert at == pytest.approx(1.0 / (1.0 + a / (b + 2.0)))  # BG/NBD: may drop out at the purchase itself
    assert at > before[-1]  # ... and jumps up there
    discrete = BGBB().fit([0, 1, 2], [0, 2, 3], [4, 4, 4])
    assert list(discrete.p_alive_history([1, 3], T=4).t) == [0, 1, 2, 3, 4]


def test_gamma_gamma_q_constraint(cdnow):
    repeat = cdnow[cdnow.x > 0]
    free = GammaGamma().fit(repeat.x, repeat.zbar)
    bound = GammaGamma(q_constraint=True).fit(repeat.x, repeat.zbar)
    assert free.params_["q"] > 1  # CDNOW: the bound does not bind, the fits agree
    for p in free.params_:
        assert bound.params_[p] == pytest.approx(free.params_[p], rel=1e-5)
    # heavy-tailed spend (true q = 0.7): unconstrained q < 1; constrained q = 1, no SE for q,
    # and p, gamma maximise the likelihood with q fixed at 1 (an independent profile fit)
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.integers(1, 8, n).astype(float)
    nu = rng.gamma(0.7, 1 / 20.0, n)
    z = rng.gamma(4.0 * x, 1.0 / (nu * x))  # the mean of x Gamma(p, nu) values is Gamma(p x, nu x)
    heavy_free = GammaGamma().fit(x, z)
    heavy = GammaGamma(q_constraint=True).fit(x, z)
    assert heavy_free.params_["q"] < 1
    assert heavy.params_["q"] == pytest.approx(1.0, abs=1e-9)
    assert np.isnan(heavy.se_["q"]) and np.isfinite(heavy.se_["p"])
    assert heavy.loglik_ <= heavy_free.loglik_
    from scipy import optimize
    from scipy.special import gammaln

    def negll(lp):  # Gamma-Gamma density of the mean spend (FHL 2005 "RFM and CLV"), q = 1
        p, g, q = np.exp(lp[0]), np.exp(lp[1]), 1.0
        px = p * x
        ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(z)
              + px * np.log(x) - (px + q) * np.log(g + x * z))
        return -ll.sum()

    res = optimize.minimize(negll, np.log([heavy.params_["p"] * 1.5, heavy.params_["gamma"] * 0.7]), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    assert np.exp(res.x[0]) == pytest.approx(heavy.params_["p"], rel=1e-4)
    assert np.exp(res.x[1]) == pytest.approx(heavy.params_["gamma"], rel=1e-4)
    assert GammaGamma.from_dict(heavy.to_dict()).q_constraint is True
