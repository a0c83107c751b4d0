"""Simulated customers from a fitted model: the model refitted on them recovers its parameters,
and simulated shares agree with the model's own probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models import BGBB, BGNBD, MBGNBD, ParetoNBD


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD])
def test_refit_on_simulated_customers_recovers_the_parameters(cdnow, cls):
    model = cls().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    rng = np.random.default_rng(11)
    sim = model.simulate(rng.uniform(20, 60, 60_000), seed=12)
    assert list(sim.columns[:5]) == ["frequency", "recency", "T", "frequency_holdout", "alive"]
    assert np.all(sim.recency <= sim["T"]) and np.all((sim.frequency > 0) == (sim.recency > 0))
    refit = cls().fit(sim.frequency, sim.recency, sim["T"])
    for p, truth in model.params_.items():
        assert abs(refit.params_[p] - truth) < 4 * refit.se_[p], p


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD])
def test_simulated_alive_share_and_purchases_match_the_model(cdnow, cls):
    model = cls().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    sim = model.simulate(39.0, size=200_000, t_holdout=20.0, seed=4)
    alive = model.p_alive(sim.frequency, sim.recency, sim["T"]).mean()
    assert sim.alive.mean() == pytest.approx(alive, abs=4 * np.sqrt(alive * (1 - alive) / len(sim)))
    assert sim.frequency.mean() == pytest.approx(model.expected_purchases_new_customer(39.0)[0], rel=0.02)
    assert sim.frequency_holdout.mean() == pytest.approx(
        model.predict_purchases(20.0, sim.frequency, sim.recency, sim["T"]).mean(), rel=0.02)


def test_bgbb_simulation_recovers_the_donation_parameters(data_dir):
    d = pd.read_csv(data_dir / "bgbb_donations.csv")
    model = BGBB().fit(d.frequency, d.recency, d.periods, weights=d.weights)
    sim = model.simulate(6, size=100_000, t_holdout=5, seed=9)
    assert np.all(sim.frequency <= sim.recency) and np.all(sim.recency <= 6)
    refit = BGBB().fit(sim.frequency, sim.recency, sim["T"])
    for p, truth in model.params_.items():
        assert abs(refit.params_[p] - truth) < 4 * refit.se_[p], p
    dist = model.expected_frequency_distribution(sim["T"], max_frequency=6)
    observed = np.bincount(sim.frequency.astype(int), minlength=7)
    np.testing.assert_allclose(observed, dist.expected, rtol=0.05, atol=200)
