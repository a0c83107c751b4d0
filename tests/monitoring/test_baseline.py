"""Expected values, ranges and p-values of one series (monitoring/baseline.py), on series drawn
here from known processes: binomial shares, Poisson counts, normal means, a seasonal pattern."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.monitoring.baseline import Settings, _count_test, _share_test, track

T = 36


def _shares(rng: np.random.Generator, p: float, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = rng.binomial(n.astype(int), p).astype(float)
    return x / n, x


def test_binomial_series_leave_the_99_range_about_1_percent_of_the_time() -> None:
    rng = np.random.default_rng(1)
    outside = checked = 0
    for _ in range(150):
        n = rng.integers(800, 1200, T).astype(float)
        y, x = _shares(rng, 0.3, n)
        tr = track(y, n, np.ones(T, bool), "share", Settings(season=None), x=x)
        ok = tr.checked
        checked += ok.sum()
        outside += (tr.p[ok] < 0.01).sum()
        assert np.all((y[ok] < tr.low[ok]) | (y[ok] > tr.high[ok]) | (tr.p[ok] >= 0.01 - 1e-12)
                      | np.isclose(y[ok], tr.low[ok]) | np.isclose(y[ok], tr.high[ok]))
    rate = outside / checked
    assert checked > 4000
    assert 0.002 < rate < 0.02, rate  # nominal 1 %; the estimated spread costs a little


def test_poisson_counts_rarely_fall_below_medium() -> None:
    rng = np.random.default_rng(2)
    small = checked = 0
    for _ in range(150):
        x = rng.poisson(400, T).astype(float)
        tr = track(x, np.ones(T), np.ones(T, bool), "count", Settings(season=None), x=x)
        checked += tr.checked.sum()
        small += (tr.p[tr.checked] < 1e-3).sum()
    assert small / checked < 0.003


def test_a_drop_is_far_outside_the_range_and_three_in_a_row_become_the_new_level() -> None:
    rng = np.random.default_rng(3)
    n = np.full(T, 2000.0)
    y, x = _shares(rng, 0.30, n)
    x[24:] = rng.binomial(2000, 0.21, T - 24)
    y = x / n
    tr = track(y, n, np.ones(T, bool), "share", Settings(season=None), x=x)
    assert tr.p[24] < 1e-10 and y[24] < tr.low[24]
    assert tr.expected[24] == pytest.approx(0.30, abs=0.025)  # a forecast: ~1 SE of 0.01
    # after three out-of-range periods the baseline restarts at the new level
    assert tr.expected[30] == pytest.approx(0.21, abs=0.025)
    assert tr.p[30] > 1e-3


def test_no_look_ahead() -> None:
    rng = np.random.default_rng(4)
    n = np.full(T, 1000.0)
    y, x = _shares(rng, 0.2, n)
    a = track(y, n, np.ones(T, bool), "share", Settings(season=None), x=x)
    y2, x2 = y.copy(), x.copy()
    x2[20:] = 0
    y2[20:] = 0
    b = track(y2, n, np.ones(T, bool), "share", Settings(season=None), x=x2)
    for name in ("expected", "low", "high"):  # period 20's range comes from periods 0-19
        np.testing.assert_array_equal(getattr(a, name)[:21], getattr(b, name)[:21])
    np.testing.assert_array_equal(a.p[:20], b.p[:20])


def test_unusable_periods_are_neither_checked_nor_learnt_from() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(100, 2, T)
    usable = np.ones(T, bool)
    usable[10] = False
    y_bad = y.copy()
    y_bad[10] = 1e6  # a partial period: must not move the baseline
    a = track(y, np.full(T, 50.0), np.where(np.arange(T) == 10, False, True), "mean",
              Settings(season=None))
    b = track(y_bad, np.full(T, 50.0), usable, "mean", Settings(season=None))
    assert np.isnan(b.p[10])
    np.testing.assert_allclose(a.expected[11:], b.expected[11:])


def test_seasonal_baseline_expects_the_december_peak() -> None:
    rng = np.random.default_rng(6)
    months = np.arange(T)
    peak = np.where(months % 12 == 11, 2.0, 1.0)  # December sells twice as much
    x = rng.poisson(3000 * peak).astype(float)
    auto = track(x, np.ones(T), np.ones(T, bool), "count", Settings(season=12), x=x)
    flat = track(x, np.ones(T), np.ones(T, bool), "count", Settings(season=12, seasonal="off"),
                 x=x)
    assert auto.method[35] == "seasonal"
    assert auto.expected[35] == pytest.approx(6000, rel=0.05)
    assert auto.p[35] > 0.01  # the second December with history is not an alert
    assert flat.expected[35] < 4500
    assert flat.p[35] < 1e-6  # without the seasons, December is a false alarm


def test_short_history_is_not_checked() -> None:
    y = np.linspace(10, 11, T)
    tr = track(y, np.ones(T), np.ones(T, bool), "level", Settings(season=None, min_history=8))
    assert np.isnan(tr.p[:8]).all()
    assert np.isfinite(tr.p[9:]).all()


@pytest.mark.parametrize(("x", "n", "p"), [(3, 40, 0.2), (15, 40, 0.2), (0, 300, 0.01)])
def test_exact_binomial_p_value(x: int, n: int, p: float) -> None:
    pv, lo, hi = _share_test(x, n, p, 0.0, 0.01)
    dist = stats.binom(n, p)
    assert pv == pytest.approx(min(1.0, 2 * min(dist.cdf(x), dist.sf(x - 1))), rel=1e-9)
    assert lo == pytest.approx(dist.ppf(0.005) / n, abs=1.0 / n)
    assert hi == pytest.approx(dist.ppf(0.995) / n, abs=1.0 / n)


def test_beta_binomial_p_value_for_small_counts() -> None:
    tau2 = 0.002
    pv, _, _ = _share_test(2, 40, 0.2, tau2, 0.01)
    rho = tau2 / (0.2 * 0.8)
    a, b = 0.2 * (1 / rho - 1), 0.8 * (1 / rho - 1)
    dist = stats.betabinom(40, a, b)
    assert pv == pytest.approx(2 * dist.cdf(2), rel=1e-9)


def test_exact_poisson_p_value_scales_with_the_unit_value() -> None:
    pv, lo, hi = _count_test(9, 25.0, 25.0 * 3, 0.0, 0.01)  # 9 complainants, 3 expected
    dist = stats.poisson(3)
    assert pv == pytest.approx(2 * dist.sf(8), rel=1e-9)
    assert lo == pytest.approx(25 * dist.ppf(0.005), abs=25)
    assert hi == pytest.approx(25 * dist.ppf(0.995), abs=25)


@pytest.mark.parametrize("n", [5, 1000, 1025, 48585])
def test_beta_binomial_prefix_is_the_full_sum_cut(n: int) -> None:
    from scipy import stats

    from loyalscope.monitoring.baseline import _betabinom_cdf

    rng = np.random.default_rng(n)
    for _ in range(12):
        p = float(rng.choice([0.5 / n, rng.uniform(0, 50 / n), 1 - rng.uniform(0, 50 / n), 1 - 0.5 / n]))
        p = min(max(p, 0.5 / n), 1 - 0.5 / n)
        rho = float(rng.uniform(1e-6, 0.5))
        a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
        xi = int(rng.integers(0, n + 1)) if rng.random() < 0.3 else int(rng.integers(0, min(n, 200) + 1))
        alpha = float(rng.choice([0.01, 0.05]))
        full = np.cumsum(stats.betabinom.pmf(np.arange(n + 1), n, a, b))
        part = _betabinom_cdf(n, a, b, xi, 1 - alpha / 2)
        assert len(part) > xi
        np.testing.assert_array_equal(part, full[:len(part)])  # the same numbers, bit for bit
        for level in (alpha / 2, 1 - alpha / 2):  # the range's ends found in the prefix
            assert np.searchsorted(part, level) == np.searchsorted(full, level)


def test_scalar_helpers_give_numpys_numbers() -> None:
    """The per-period helpers stand for ``np.nan_to_num`` and ``np.average`` on the same
    inputs, bit for bit (the track calls them thousands of times a run)."""
    from loyalscope.monitoring.baseline import _average, _finite

    for v in (np.nan, np.inf, -np.inf, 0.3, -2.0, 0.0, 1e308, np.float64(7.5)):
        for nan in (0.0, 1.0):
            assert _finite(v, nan) == float(np.nan_to_num(v, nan=nan))
    rng = np.random.default_rng(3)
    for size in (3, 7, 24):
        x = rng.normal(size=size) ** 2
        w = 0.5 ** (rng.integers(0, 30, size) / 12.0)
        assert _average(x, w) == float(np.average(x, weights=w))


def test_a_period_without_units_has_an_expected_value_but_no_range() -> None:
    # a satisfaction score (a mean of answers) whose last three months got no answer: the range
    # of "no answers" was that of one answer (0 - 385 on a 0-100 score)
    rng = np.random.default_rng(5)
    n = np.r_[rng.integers(35, 60, 12), 0, 0, 0].astype(float)
    y = np.where(n > 0, rng.normal(60, 8, n.size), np.nan)
    tr = track(y, n, n > 0, "mean", Settings(season=None))
    assert np.isfinite(tr.expected[12:]).all()
    assert np.isnan(tr.low[12:]).all() and np.isnan(tr.high[12:]).all()
    assert np.isfinite(tr.high[8:12]).all()  # periods with answers keep theirs
    # a share of no customers: the same
    tr = track(np.where(n > 0, 0.6, np.nan), n, n > 0, "share", Settings(season=None),
               x=np.where(n > 0, np.rint(0.6 * n), np.nan))
    assert np.isnan(tr.low[12:]).all() and np.isfinite(tr.low[8:12]).all()
