"""Wilson score intervals against statsmodels-free published values and the closed form."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from loyalscope.intervals import wilson_interval


def test_published_example():
    # Brown, Cai & DasGupta (2001) / Newcombe (1998) example: 81 of 263 -> [0.2553, 0.3662]
    lo, hi = wilson_interval(81, 263)
    assert (lo, hi) == pytest.approx((0.2553, 0.3662), abs=1e-4)


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (3, 7), (140, 1000)])
def test_matches_scipy_and_stays_in_range(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_empty_denominator():
    assert wilson_interval(0, 0) is None
