"""Satisfaction -> loyalty curve: Beta posteriors, the constraint factor O, satisfied defectors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.errors import NotFittedError
from loyalscope.models.survey.sat_loyalty import SatLoyaltyCurve


def test_curve_matches_beta_posterior() -> None:
    sat = [5] * 10 + [4] * 5 + [2] * 5
    rep = [1] * 8 + [0] * 2 + [1] * 2 + [0] * 3 + [0] * 5
    m = SatLoyaltyCurve().fit(sat, rep)
    c = m.summary().set_index("satisfaction")
    assert c.loc[5, "rate"] == pytest.approx(0.8)
    assert c.loc[5, "mean"] == pytest.approx(9 / 12)
    assert c.loc[4, "lower"] == pytest.approx(stats.beta.ppf(0.025, 3, 4))
    assert c.loc[2, "upper"] == pytest.approx(stats.beta.ppf(0.975, 1, 6))
    flags = m.satisfied_defectors_.set_index("satisfaction")
    assert bool(flags.loc[4, "flag"]) is True   # 60% of the satisfied 4s defect
    assert bool(flags.loc[5, "flag"]) is False  # 20% <= 30%


def test_constraint_factor_recovers_segment_scaling() -> None:
    rng = np.random.default_rng(0)
    n = 40000
    sat = rng.integers(1, 6, n)
    seg = rng.choice(["loyal", "switchers"], n)
    f = np.array([0.1, 0.2, 0.4, 0.6, 0.8])[sat - 1]
    o = np.where(seg == "loyal", 1.15, 0.6)
    rep = rng.random(n) < o * f
    m = SatLoyaltyCurve().fit(sat, rep, seg)
    factor = m.constraint_.set_index("segment")["O"]
    share_loyal = np.mean(seg == "loyal")
    overall = share_loyal * 1.15 + (1 - share_loyal) * 0.6
    assert factor["loyal"] == pytest.approx(1.15 / overall, rel=0.03)
    assert factor["switchers"] == pytest.approx(0.6 / overall, rel=0.03)
    pred = m.predict([5, 5], ["loyal", "switchers"])
    assert pred[0] / pred[1] == pytest.approx(1.15 / 0.6, rel=0.05)


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        SatLoyaltyCurve().predict([1])
