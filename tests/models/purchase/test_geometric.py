"""The geometric renewal model (``models/purchase/geometric.py``): its estimate against the
likelihood maximised independently, and its predictions against the sBG's at the limit it is
(alpha, beta -> infinity with alpha / (alpha + beta) = p) and against direct sums."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from loyalscope.models.purchase.geometric import Geometric
from loyalscope.models.purchase.sbg import ShiftedBetaGeometric


def _durations(rng: np.random.Generator, p: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers observed from a random tenure e until they leave or 24 more periods pass."""
    entry = rng.integers(0, 10, n).astype(float)
    life = rng.geometric(p, n).astype(float)  # periods until leaving, memoryless
    end = entry + np.minimum(life, 24)
    return end, (life <= 24).astype(float), entry


def test_the_estimate_maximises_the_left_truncated_likelihood() -> None:
    t, c, e = _durations(np.random.default_rng(3), 0.08, 3000)

    def nll(q: float) -> float:
        return -float((c * np.log(q) + (t - e - c) * np.log1p(-q)).sum())

    direct = optimize.minimize_scalar(nll, bounds=(1e-6, 1 - 1e-6), method="bounded",
                                      options={"xatol": 1e-12}).x
    m = Geometric().fit_durations(t, c, entry=e)
    assert m.p == pytest.approx(direct, rel=1e-6)
    assert m.p == pytest.approx(c.sum() / (t - e).sum(), rel=1e-12) and m.n_ == (t - e).sum()
    assert abs(m.p - 0.08) < 0.01


def test_a_snapshot_gives_leavers_over_customers_and_the_prior_is_jeffreys() -> None:
    tenure = np.array([1.0, 5.0, 12.0, 30.0])
    left = np.array([1.0, 0.0, 0.0, 0.0])
    counts = np.array([10.0, 20.0, 30.0, 40.0])
    assert Geometric().fit_durations(tenure, left, counts, entry=tenure - 1).p == 10 / 100
    assert Geometric(prior=0.5).fit_durations(tenure, left * 0, counts, entry=tenure - 1).p == 0.5 / 101


def test_predictions_are_the_sbgs_at_its_limit() -> None:
    p, k = 0.07, 1e7
    g = Geometric()
    g.params_ = {"p": p}
    s = ShiftedBetaGeometric()
    s.params_ = {"alpha": p * k, "beta": (1 - p) * k}
    t = np.array([0.0, 1.0, 6.0, 40.0])
    for name in ("survival", "churn_next"):
        np.testing.assert_allclose(getattr(g, name)(t), getattr(s, name)(t), rtol=1e-5)
    np.testing.assert_allclose(g.retention_rate(t[1:]), s.retention_rate(t[1:]), rtol=1e-5)
    np.testing.assert_allclose(g.unpaid_within(t, 12), s.unpaid_within(t, 12), rtol=1e-5)
    np.testing.assert_allclose(g.derl(0.01, t), s.derl(0.01, t), rtol=1e-5)


def test_derl_and_unpaid_periods_are_the_direct_sums() -> None:
    g = Geometric().fit_durations([3.0, 4.0], [1.0, 0.0])  # 1 leaver in 7 periods at risk
    p, d = 1 / 7, 0.02
    j = np.arange(0, 5000)
    assert g.derl(d, [0.0, 9.0]) == pytest.approx(((1 - p) ** (j + 1) / (1 + d) ** j).sum(), rel=1e-12)
    assert g.unpaid_within([2.0], 12)[0] == pytest.approx(sum(1 - (1 - p) ** k for k in range(1, 13)))


def test_errors_say_what_to_give() -> None:
    with pytest.raises(ValueError, match="at least one period at risk"):
        Geometric().fit_durations([1.0], [0.0], entry=[1.0])
    with pytest.raises(ValueError, match="discount_rate"):
        Geometric().fit_durations([2.0], [1.0]).derl(0.0)
