"""The NBD model (no dropout): estimates against an independent fit of the negative binomial count
likelihood, predictions against its closed forms and against customers simulated from it, and
its place in the model choice (only when every dropout model finds no dropout).

Found on a real export (Tableau's Sample - Superstore: 800 customers over four years, nobody
seen leaving): every purchase model was `no_dropout`, so no expected purchases or CLV at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from loyalscope.models.purchase.nbd import NBD
from loyalscope.models.purchase.selection import select_model


def _poisson_gamma(n: int = 3000, r: float = 0.8, alpha: float = 6.0, seed: int = 1):
    """Customers buying as Poisson processes with Gamma(r, alpha) rates over ages of 20-100."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 100.0, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    x = rng.poisson(lam * T).astype(float)
    tx = np.where(x > 0, T * rng.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    return x, tx, T


def _independent_fit(x: np.ndarray, T: np.ndarray) -> tuple[float, float]:
    """Maximum likelihood of ``x ~ NegBin(r, alpha / (alpha + T))`` (scipy's count pmf), by
    Nelder-Mead: the count likelihood differs from the model's by ``T^x / x!`` only."""
    def nll(lp: np.ndarray) -> float:
        r, a = np.exp(lp)
        return -float(stats.nbinom.logpmf(x, r, a / (a + T)).sum())
    res = optimize.minimize(nll, [0.0, 1.0], method="Nelder-Mead",
                            options={"xatol": 1e-11, "fatol": 1e-11, "maxiter": 20_000})
    r, a = np.exp(res.x)
    return float(r), float(a)


def test_estimates_equal_an_independent_negative_binomial_fit() -> None:
    x, tx, T = _poisson_gamma()
    fit = NBD().fit(x, tx, T)
    r, alpha = _independent_fit(x, T)
    assert fit.params_["r"] == pytest.approx(r, rel=1e-5)
    assert fit.params_["alpha"] == pytest.approx(alpha, rel=1e-5)
    assert fit.status_.status == "ok"
    # the simulated truth (r 0.8, alpha 6) lies inside the 95% intervals
    s = fit.summary().set_index("param")
    assert s.lower_95["r"] < 0.8 < s.upper_95["r"] and s.lower_95["alpha"] < 6.0 < s.upper_95["alpha"]


def test_weights_of_distinct_rows_give_the_same_fit() -> None:
    x, tx, T = _poisson_gamma(n=2000)
    T = np.round(T)  # repeated (x, T) rows
    tx = np.minimum(tx, T)
    frame = pd.DataFrame({"x": x, "tx": tx, "T": T}).value_counts().reset_index(name="n")
    one = NBD().fit(x, tx, T).params_
    grouped = NBD().fit(frame.x, frame.tx, frame["T"], weights=frame.n).params_
    assert grouped["r"] == pytest.approx(one["r"], rel=1e-6)
    assert grouped["alpha"] == pytest.approx(one["alpha"], rel=1e-6)


def test_predictions_are_the_closed_forms_and_the_pmf_sums_to_one() -> None:
    fit = NBD().fit(*_poisson_gamma())
    r, alpha = fit.params_["r"], fit.params_["alpha"]
    x, T, t = np.array([0.0, 3.0, 12.0]), np.array([40.0, 50.0, 90.0]), 30.0
    np.testing.assert_allclose(fit.predict_purchases(t, x, np.zeros(3), T), (r + x) * t / (alpha + T), rtol=1e-12)
    np.testing.assert_allclose(fit.p_alive(x, np.zeros(3), T), 1.0)
    n = np.arange(400.0)[:, None]
    pmf = fit.prob_n_purchases(n, t, x, np.zeros(3), T)
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose((n * pmf).sum(axis=0), fit.predict_purchases(t, x, np.zeros(3), T), rtol=1e-9)
    # the posterior of lambda is Gamma(r + x, alpha + T): P(Y(t) = k) is scipy's NegBin
    expected = stats.nbinom.pmf(n, r + x, (alpha + T) / (alpha + T + t))
    np.testing.assert_allclose(pmf, expected, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(fit.expected_purchases_new_customer(t), r * t / alpha, rtol=1e-12)
    steps = fit.predict_purchases_steps([10.0, 30.0], x, np.zeros(3), T)
    np.testing.assert_allclose(steps[1], fit.predict_purchases(30.0, x, np.zeros(3), T), rtol=1e-12)


def test_holdout_purchases_of_simulated_customers_match_the_prediction() -> None:
    fit = NBD().fit(*_poisson_gamma())
    sim = fit.simulate(50.0, size=200_000, t_holdout=30.0, seed=3)
    for k in (0, 2, 5):
        group = sim[sim.frequency == k]
        want = float(fit.predict_purchases(30.0, k, 0.0, 50.0)[0])
        se = group.frequency_holdout.std() / np.sqrt(len(group))
        assert abs(group.frequency_holdout.mean() - want) < 4 * se


def _nobody_leaves(n: int = 800, seed: int = 1):
    """Repeat purchases of a Poisson process (0.12 per week) over each customer's whole age:
    the shape of Superstore, where no customer is seen leaving."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(60.0, 200.0, n)
    x = rng.poisson(0.12 * T)
    tx = np.array([T[i] * rng.random(k).max() if k else 0.0 for i, k in enumerate(x)])
    return x.astype(float), tx, T


def test_chosen_only_when_every_dropout_model_finds_no_dropout() -> None:
    x, tx, T = _nobody_leaves()
    sel = select_model(x, tx, T)
    assert sel.chosen == "nbd" and sel.rule == "no_dropout_nbd"
    table = sel.table.set_index("model")
    assert (table.drop(index="nbd").status == "not_estimable").all()
    assert table.status["nbd"] != "not_estimable" and table.delta_bic["nbd"] == 0.0
    # the dropout models' likelihood at their edge is the NBD's (they reduce to it)
    assert table.loglik["bgnbd"] == pytest.approx(table.loglik["nbd"], abs=0.05)


def test_not_a_candidate_where_customers_leave(cdnow: pd.DataFrame) -> None:
    sel = select_model(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert "nbd" not in set(sel.table.model) and sel.chosen != "nbd"


def test_intervals_stay_inside_the_parameter_space() -> None:
    """An imprecise estimate (r of 40 customers with nearly equal rates) keeps a positive 95%
    interval: the Wald interval of log r taken back, ``r exp(-/+ 1.96 se / r)`` (it was
    ``r -/+ 1.96 se``, below zero for NBD's r on Superstore: -11.9 to 130.7)."""
    x, tx, T = _poisson_gamma(n=40, r=50.0, alpha=300.0, seed=5)
    fit = NBD().fit(x, tx, T)
    s = fit.summary().set_index("param")
    z = stats.norm.ppf(0.975)
    for p in ("r", "alpha"):
        est, se = s.estimate[p], s.se[p]
        assert s.lower_95[p] == pytest.approx(est * np.exp(-z * se / est), rel=1e-9)
        assert s.upper_95[p] == pytest.approx(est * np.exp(z * se / est), rel=1e-9)
    assert (s.lower_95 > 0).all() and s.estimate["r"] - z * s.se["r"] < 0  # the old interval went below 0


def test_a_checks_numbers_are_in_the_data_unit() -> None:
    """The fit runs on time divided by the longest age; "se of alpha exceeds its estimate"
    quoted alpha and its se in that internal unit (58.2 and 228 beside a table of 9,091 and
    35,545 weeks: NBD on Superstore's first three years)."""
    rng = np.random.default_rng(2)
    T = rng.uniform(50.0, 150.0, 80)
    # 80 customers of nearly equal rates (Gamma(30, 900)): an interior maximum (r ~ 31, alpha
    # ~ 914 weeks) whose standard errors exceed the estimates. One rate for everyone made r run
    # off instead, and where the optimiser stopped (r 2,000 or 1.2 million, a singular Hessian)
    # depended on the machine
    x = rng.poisson(rng.gamma(30.0, 1.0 / 900.0, 80) * T).astype(float)
    fit = NBD().fit(x, np.zeros_like(x), T)
    assert not [i for i in fit.status_.issues if i.code in ("param_extreme", "hessian_singular")]
    issues = {i.detail["param"]: i.detail for i in fit.status_.issues if i.code == "se_exceeds_estimate"}
    assert "alpha" in issues and fit.time_scale_ != 1.0
    assert issues["alpha"]["value"] == pytest.approx(fit.params_["alpha"], rel=1e-12)
    assert issues["alpha"]["se"] == pytest.approx(fit.se_["alpha"], rel=1e-12)
