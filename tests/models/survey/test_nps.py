"""NPS: counts, points and the three intervals against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.errors import InsufficientDataError, NotFittedError
from loyalscope.models.survey.nps import NPS, nps_counts


def test_counts_and_points_match_definition() -> None:
    scores = [0, 6, 7, 8, 9, 10, 10, 5, np.nan]
    assert nps_counts(scores) == (3, 2, 3)
    m = NPS().fit(scores)
    assert m.n_ == 8
    assert m.nps_ == pytest.approx(0.0)


def test_normal_interval_uses_published_variance() -> None:
    # 50 promoters, 30 passives, 20 detractors: NPS = 30; Var = (0.5 + 0.2 - 0.09) / 100
    m = NPS().fit(counts=(50, 30, 20))
    se = 100 * np.sqrt((0.5 + 0.2 - 0.3**2) / 100)
    z = stats.norm.ppf(0.975)
    assert m.nps_ == pytest.approx(30.0)
    assert m.intervals_["normal"] == pytest.approx((30 - z * se, 30 + z * se))


def test_bootstrap_matches_normal_for_large_n() -> None:
    m = NPS(n_boot=20000).fit(counts=(500, 300, 200))
    lo, hi = m.intervals_["normal"]
    blo, bhi = m.intervals_["bootstrap"]
    assert blo == pytest.approx(lo, abs=0.6)
    assert bhi == pytest.approx(hi, abs=0.6)


def test_bayes_interval_against_dirichlet_moments() -> None:
    c = np.array([40, 25, 35])
    m = NPS(n_draws=200000).fit(counts=tuple(c))
    a = c + 1.0
    a0 = a.sum()
    mean = (a[0] - a[2]) / a0
    var = (a[0] * (a0 - a[0]) + a[2] * (a0 - a[2]) + 2 * a[0] * a[2]) / (a0**2 * (a0 + 1))
    z = stats.norm.ppf(0.975)
    lo, hi = m.intervals_["bayes"]
    assert m.posterior_mean_ == pytest.approx(100 * mean)
    assert lo == pytest.approx(100 * (mean - z * np.sqrt(var)), abs=0.5)
    assert hi == pytest.approx(100 * (mean + z * np.sqrt(var)), abs=0.5)


def test_seeded_and_flags_small_sample() -> None:
    a = NPS(seed=3).fit([9, 10, 3, 8]).to_dict()
    b = NPS(seed=3).fit([9, 10, 3, 8]).to_dict()
    assert a == b
    assert a["small_sample"] is True
    assert -100 <= a["intervals"]["normal"][0] and a["intervals"]["normal"][1] <= 100
    assert NPS().fit(counts=(30, 0, 0)).small_sample_ is False


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        NPS().summary()
    with pytest.raises(InsufficientDataError):
        NPS().fit([np.nan])
    with pytest.raises(ValueError, match=r"0\.\.10"):
        NPS().fit([11])
