"""Pareto/NBD against published numbers (CDNOW sample) and an mpmath evaluation of the likelihood.

Published values: Fader & Hardie, "A note on deriving the Pareto/NBD model and related
expressions" (2005) and the CDNOW fits in tests/data/README.md.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from loyalscope.errors import NotFittedError
from loyalscope.models import ParetoNBD
from loyalscope.models.purchase.pareto_nbd_likelihood import pareto_nbd_loglik


def _mp_loglik(params, x, t_x, T) -> float:
    """Independent evaluation of the published formula (A_0 with 2F1) at 60 digits."""
    with mp.workdps(60):
        r, a, s, b, x, t_x, T = (mp.mpf(float(v)) for v in (*params, x, t_x, T))
        c = r + s + x
        if a >= b:
            f = lambda t: mp.hyp2f1(c, s + 1, c + 1, (a - b) / (a + t)) / (a + t) ** c  # noqa: E731
        else:
            f = lambda t: mp.hyp2f1(c, r + x, c + 1, (b - a) / (b + t)) / (b + t) ** c  # noqa: E731
        bracket = 1 / ((a + T) ** (r + x) * (b + T) ** s) + s / c * (f(t_x) - f(T))
        front = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(a) + s * mp.log(b)
        return float(front + mp.log(bracket))


@pytest.fixture(scope="module")
def fitted(cdnow) -> ParetoNBD:
    return ParetoNBD().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.mark.parametrize(
    ("name", "published"), [("r", 0.5533), ("alpha", 10.5776), ("s", 0.6062), ("beta", 11.6679)]
)
def test_published_parameters(fitted: ParetoNBD, name: str, published: float) -> None:
    assert fitted.params_[name] == pytest.approx(published, abs=5e-4)


def test_published_loglik(fitted: ParetoNBD) -> None:
    assert fitted.loglik_ == pytest.approx(-9594.97, abs=0.01)
    assert fitted.n_ == 2357


def test_published_conditional_expectation(fitted: ParetoNBD) -> None:
    # x = 26, t_x = 30.86, T = 31 weeks, next 52 weeks: 25.46
    assert float(fitted.predict_purchases(52, 26, 30.86, 31)[0]) == pytest.approx(25.46, abs=5e-3)


def test_compressed_fit_equals_uncompressed(cdnow, fitted: ParetoNBD) -> None:
    grouped = cdnow.groupby(["x", "t_x", "T"]).size().reset_index(name="n")
    assert len(grouped) < len(cdnow)
    comp = ParetoNBD().fit(grouped["x"], grouped["t_x"], grouped["T"], weights=grouped["n"])
    for name, value in fitted.params_.items():
        assert comp.params_[name] == pytest.approx(value, rel=1e-9)
    assert comp.loglik_ == pytest.approx(fitted.loglik_, rel=1e-12)
    # and the weighted sum over triples equals the plain sum over customers
    theta = list(fitted.params_.values())
    full = pareto_nbd_loglik(theta, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    weighted = pareto_nbd_loglik(theta, grouped["x"], grouped["t_x"], grouped["T"]) @ grouped["n"]
    assert weighted == pytest.approx(full, rel=1e-12)


def _sample_points(seed: int, n: int, alpha_ge_beta: bool):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        r, s = 10 ** rng.uniform(-1.5, 1, 2)
        alpha, beta = np.sort(10 ** rng.uniform(-1, 3, 2))[:: -1 if alpha_ge_beta else 1]
        T = 10 ** rng.uniform(0, 3.5)
        x = float(np.floor(10 ** rng.uniform(0, 3.5))) if rng.random() < 0.8 else 0.0
        t_x = rng.uniform(0, T) if x > 0 else 0.0
        yield (r, alpha, s, beta), x, t_x, T


@pytest.mark.parametrize("alpha_ge_beta", [True, False])
def test_loglik_matches_mpmath(alpha_ge_beta: bool) -> None:
    for params, x, t_x, T in _sample_points(7 + alpha_ge_beta, 25, alpha_ge_beta):
        ours = float(pareto_nbd_loglik(params, [x], [t_x], [T])[0])
        assert ours == pytest.approx(_mp_loglik(params, x, t_x, T), rel=1e-8), (params, x, t_x, T)


@pytest.mark.parametrize(
    "params",
    [
        (0.55, 10.6, 0.61, 11.7),
        (0.55, 12.0, 0.61, 3.0),
        (2.0, 0.5, 3.0, 40.0),
        (0.55, 10.0, 0.61, 10.0),  # alpha = beta: where the two forms of A_0 meet
    ],
)
def test_gradient_matches_mpmath_derivative(params) -> None:
    x, t_x, T = 12.0, 20.0, 39.0
    _, grad = pareto_nbd_loglik(params, [x], [t_x], [T], grad=True)
    for k in range(4):

        def f(v, k=k):
            p = list(params)
            p[k] = v
            return _mp_loglik(p, x, t_x, T)

        with mp.workdps(30):
            expected = float(mp.diff(f, params[k], h=mp.mpf(1e-6) * params[k]))
        assert grad[k, 0] == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    "params", [(0.55, 10.6, 0.61, 11.7), (0.3, 200.0, 2.0, 5.0), (4.0, 2.0, 0.2, 900.0)]
)
def test_extreme_inputs_are_finite_and_correct(params) -> None:
    # thousands of purchases over thousands of days, and t_x = T
    x = np.array([5000.0, 5000.0, 0.0, 1.0, 3000.0])
    t_x = np.array([2990.0, 3000.0, 0.0, 1e-6, 12.0])
    T = np.array([3000.0, 3000.0, 5000.0, 5000.0, 4000.0])
    ll, grad = pareto_nbd_loglik(params, x, t_x, T, grad=True)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
    ref = [_mp_loglik(params, *row) for row in zip(x, t_x, T, strict=True)]
    np.testing.assert_allclose(ll, ref, rtol=1e-8)
    model = ParetoNBD()
    model.params_ = dict(zip(ParetoNBD._param_names, params, strict=True))
    p = model.p_alive(x, t_x, T)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.isfinite(model.predict_purchases(365.0, x, t_x, T)))


def test_p_alive_and_new_customer_consistency(fitted: ParetoNBD) -> None:
    # a customer whose last purchase is at T and who buys often is almost surely alive
    assert fitted.p_alive(26, 31, 31)[0] == pytest.approx(1.0)
    assert 0 < fitted.p_alive(0, 0, 38.86)[0] < fitted.p_alive(5, 38, 38.86)[0]
    # at T = 0 the conditional expectation is the new-customer expectation (P(alive) = 1)
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(
        fitted.predict_purchases(t, 0, 0, 0), fitted.expected_purchases_new_customer(t), rtol=1e-12
    )
    # E[X(t)] against numerical integration of E[lambda * min(t, tau)] over the gammas
    r, alpha, s, beta = fitted._theta()
    with mp.workdps(30):
        expected = r / alpha * mp.quad(lambda u: (beta / (beta + u)) ** s, [0, 39])
    assert fitted.expected_purchases_new_customer(39.0)[0] == pytest.approx(
        float(expected), rel=1e-10
    )


def test_not_fitted_and_summary(fitted: ParetoNBD) -> None:
    with pytest.raises(NotFittedError):
        ParetoNBD().p_alive(1, 1, 2)
    table = fitted.summary()
    assert list(table["param"]) == ["r", "alpha", "s", "beta"]
    assert np.all(table["se"] > 0)
    assert ParetoNBD.from_dict(fitted.to_dict()).params_ == fitted.params_


def test_warm_start_reaches_the_same_optimum(cdnow, fitted: ParetoNBD, monkeypatch) -> None:
    import loyalscope.models.purchase.pareto_nbd as module

    monkeypatch.setattr(module, "WARM_START_ROWS", 1500)
    warm = ParetoNBD().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert warm.loglik_ == pytest.approx(fitted.loglik_, abs=1e-6)
    for name, value in fitted.params_.items():
        assert warm.params_[name] == pytest.approx(value, rel=1e-3)


def _simulate(n: int, params: dict, seed: int):
    """Pareto/NBD process: Poisson purchases at rate lambda until an exponential lifetime ends."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 60, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    active = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return x, t_x, T


@pytest.mark.slow
def test_parameter_recovery_on_simulated_customers() -> None:
    truth = {"r": 0.8, "alpha": 8.0, "s": 0.5, "beta": 15.0}
    model = ParetoNBD().fit(*_simulate(20_000, truth, seed=3))
    for name, value in truth.items():
        # within 3.5 standard errors of the truth
        assert abs(model.params_[name] - value) < 3.5 * model.se_[name], (name, model.params_)


def _mp_p_alive(params, x, t_x, T) -> float:
    """P(alive) from the 60-digit likelihood: the first bracket term's share (eq. 18)."""
    r, a, s, b = params
    with mp.workdps(60):
        log_l1 = -(r + x) * mp.log(a + T) - s * mp.log(b + T)
        front = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(a) + s * mp.log(b)
        return float(min(mp.exp(log_l1 - (_mp_loglik(params, x, t_x, T) - front)), 1))


def test_p_alive_once_per_distinct_row_equals_the_formula_on_every_row(cdnow, fitted) -> None:
    """P(alive) is computed per distinct (x, t_x, T) and gathered, and the last answer is reused
    while parameters and inputs are unchanged: every row still gets its own formula's value,
    after a parameter change and after the caller changes its arrays in place."""
    rows = cdnow[["x", "t_x", "T"]].drop_duplicates().sample(25, random_state=3)
    big = rows.sample(2000, replace=True, random_state=4)  # each row about 80 times, shuffled
    x, t_x, T = (big[c].to_numpy(dtype=float, copy=True) for c in ("x", "t_x", "T"))
    model = ParetoNBD.from_dict(fitted.to_dict())
    for params in (tuple(fitted._theta()), (0.3, 200.0, 2.0, 5.0)):
        model.params_ = dict(zip(ParetoNBD._param_names, params, strict=True))
        want = {k: _mp_p_alive(params, *k) for k in rows.itertuples(index=False, name=None)}
        expected = np.array([want[k] for k in zip(x, t_x, T, strict=True)])
        for _ in range(2):  # computed, then reused
            np.testing.assert_allclose(model.p_alive(x, t_x, T), expected, rtol=1e-9)
        r, a, s, b = params  # eq. 20 with s != 1, on the same remembered P(alive)
        eq20 = (r + x) * (b + T) / ((a + T) * (s - 1)) * (1 - ((b + T) / (b + T + 39.0)) ** (s - 1))
        np.testing.assert_allclose(model.predict_purchases(39.0, x, t_x, T), eq20 * expected, rtol=1e-9)
    x[:1000] += 1.0  # the caller's arrays change in place: not the remembered answer
    want = {k: _mp_p_alive(params, *k) for k in set(zip(x, t_x, T, strict=True))}
    np.testing.assert_allclose(model.p_alive(x, t_x, T),
                               [want[k] for k in zip(x, t_x, T, strict=True)], rtol=1e-9)
