"""P(n purchases by t): against lifetimes on the same parameters, against the model's own
expectations (sum n P(n) = E), and against Monte Carlo from the model's simulator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from loyalscope.models import BGBB, BGNBD, MBGNBD, ParetoNBD

lifetimes = pytest.importorskip("lifetimes")


@pytest.fixture(scope="module")
def fitted(cdnow) -> dict:
    return {cls.__name__: cls().fit(cdnow.x, cdnow.t_x, cdnow["T"]) for cls in (BGNBD, MBGNBD, ParetoNBD)}


@pytest.fixture(scope="module")
def bgbb(data_dir) -> BGBB:
    d = pd.read_csv(data_dir / "bgbb_donations.csv")
    return BGBB().fit(d.frequency, d.recency, d.periods, weights=d.weights)


def _lifetimes(cls, params):
    model = cls()
    model.params_ = pd.Series(params)
    return model


@pytest.mark.parametrize(("ours", "theirs"), [("BGNBD", "BetaGeoFitter"), ("MBGNBD", "ModifiedBetaGeoFitter")])
def test_new_customer_pmf_matches_lifetimes(fitted, ours, theirs):
    model = fitted[ours]
    ref = _lifetimes(getattr(lifetimes, theirs), model.params_)
    for t in (1.0, 39.0, 78.0):
        got = model.prob_n_purchases_new_customer(np.arange(8), t)
        expected = [ref.probability_of_n_purchases_up_to_time(t, k) for k in range(8)]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(("x", "tx", "T", "t"), [(0, 0, 38.86, 39), (2, 30.43, 38.86, 39), (26, 30.86, 31, 52), (5, 2, 40, 10)])
def test_pareto_conditional_pmf_matches_lifetimes(fitted, x, tx, T, t):
    model = fitted["ParetoNBD"]
    ref = _lifetimes(lifetimes.ParetoNBDFitter, model.params_)
    n = np.arange(6)
    got = model.prob_n_purchases(n, t, x, tx, T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [ref.conditional_probability_of_n_purchases_up_to_time(k, t, x, tx, T) for k in n]
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-12)


CASES = [(2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 39.0), (12, 38.0, 38.86, 20.0), (3, 0.0, 20.0, 5.0)]


@pytest.mark.parametrize("name", ["BGNBD", "MBGNBD", "ParetoNBD"])
@pytest.mark.parametrize(("x", "tx", "T", "t"), CASES)
def test_pmf_sums_to_one_and_its_mean_is_the_expectation(fitted, name, x, tx, T, t):
    model = fitted[name]
    n = np.arange(400)
    p = model.prob_n_purchases(n, t, x, tx, T)
    assert np.all(p >= 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-8)
    assert (n * p).sum() == pytest.approx(model.predict_purchases(t, x, tx, T)[0], rel=1e-7)


@pytest.mark.parametrize("name", ["BGNBD", "MBGNBD", "ParetoNBD"])
def test_holdout_distribution_matches_monte_carlo(fitted, name):
    model = fitted[name]
    sim = model.simulate(38.86, size=200_000, t_holdout=39.0, seed=7)
    n = np.arange(5)
    predicted = np.array([model.prob_n_purchases(k, 39.0, sim.frequency, sim.recency, sim["T"]).mean() for k in n])
    observed = np.bincount(sim.frequency_holdout.astype(int), minlength=5)[:5] / len(sim)
    se = np.sqrt(predicted * (1 - predicted) / len(sim))
    assert np.all(np.abs(observed - predicted) < 5 * se)


def test_bgbb_pmf_sums_to_one_and_matches_its_expectation(bgbb):
    for x, tx, n_cal, t in [(0, 0, 6, 5), (2, 4, 6, 5), (6, 6, 6, 11), (0, 0, 0, 6)]:
        k = np.arange(t + 1)
        p = bgbb.prob_n_purchases(k, t, x, tx, n_cal)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (k * p).sum() == pytest.approx(bgbb.predict_purchases(t, x, tx, n_cal)[0], rel=1e-10)


def test_bgbb_first_n_periods_table_matches_lifetimes(bgbb, data_dir):
    # Hardie's BG/BB spreadsheet table (lifetimes' expected_number_of_transactions_in_first_n_periods):
    # expected donors with 0..6 donations in the first 6 opportunities, for the 11,104 donors.
    ref = _lifetimes(lifetimes.BetaGeoBetaBinomFitter, bgbb.params_)
    ref.data = pd.DataFrame({"frequency": np.arange(7.0), "weights": [11104.0] + [0.0] * 6})
    expected = ref.expected_number_of_transactions_in_first_n_periods(6)["model"].to_numpy()
    got = bgbb.expected_frequency_distribution(np.array([6.0]), weights=[11104.0], max_frequency=6)
    np.testing.assert_allclose(got["expected"].to_numpy(), expected, rtol=1e-9)
    d = pd.read_csv(data_dir / "bgbb_donations.csv")
    actual = d.groupby("frequency").weights.sum().to_numpy()
    assert np.abs(got["expected"].to_numpy() - actual).max() < 0.05 * actual.max()  # FHS 2010, fig. 3: close fit


def test_bgbb_expectation_in_first_n_periods(bgbb):
    # E[X(n)] = alpha/(alpha+beta) * sum_{i=1..n} E[(1-theta)^i] (alive at i after i transitions)
    from scipy.special import betaln

    al, be, ga, de = (bgbb.params_[k] for k in ("alpha", "beta", "gamma", "delta"))
    n = np.arange(1, 12)
    direct = np.array([al / (al + be) * np.exp(betaln(ga, de + np.arange(1, k + 1)) - betaln(ga, de)).sum() for k in n])
    np.testing.assert_allclose(bgbb.expected_purchases_new_customer(n), direct, rtol=1e-10)


def test_bgbb_p_alive_periods_ahead(bgbb):
    ref = _lifetimes(lifetimes.BetaGeoBetaBinomFitter, bgbb.params_)
    x, tx = np.array([0, 2, 6, 3]), np.array([0, 4, 6, 3])
    for m in (1, 2, 5):
        np.testing.assert_allclose(bgbb.p_alive(x, tx, 6, periods_ahead=m),
                                   ref.conditional_probability_alive(m, x, tx, 6), rtol=1e-10)
    # published one period ahead (FHS 2010): 0.11, 0.59, 0.93
    np.testing.assert_allclose(bgbb.p_alive([0, 2, 6], [0, 4, 6], 6), [0.11, 0.59, 0.93], atol=0.005)
    sim = bgbb.simulate(6, size=200_000, t_holdout=0, seed=3)
    for m in (1, 5):
        share = float((sim.survived >= 6 + m).mean())
        assert bgbb.p_alive(sim.frequency, sim.recency, sim["T"], periods_ahead=m).mean() == pytest.approx(share, abs=0.005)
