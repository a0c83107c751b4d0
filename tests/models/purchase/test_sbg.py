"""sBG against Fader & Hardie (2007), "How to project customer retention"."""

from __future__ import annotations

import numpy as np
import pytest

from loyalscope.models import ShiftedBetaGeometric

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(("survivors", "alpha", "beta", "loglik"), [
    (REGULAR, 0.704, 1.182, -1680.27),
    (HIGH_END, 0.668, 3.806, -1611.16),
])
def test_published_fits(survivors, alpha, beta, loglik):
    model = ShiftedBetaGeometric().fit(survivors)
    assert model.params_["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert model.params_["beta"] == pytest.approx(beta, abs=5e-4)
    assert model.loglik_ == pytest.approx(loglik, abs=0.01)


def test_durations_equal_survivor_counts():
    by_counts = ShiftedBetaGeometric().fit(REGULAR)
    n = np.array(REGULAR)
    periods = np.concatenate([np.repeat(np.arange(1, 8), -np.diff(n)), np.full(n[-1], 7)])
    churned = np.concatenate([np.ones(n[0] - n[-1]), np.zeros(n[-1])])
    by_rows = ShiftedBetaGeometric().fit_durations(periods, churned)
    for k in ("alpha", "beta"):
        assert by_rows.params_[k] == pytest.approx(by_counts.params_[k], rel=1e-6)


def test_retention_curve_and_survival_agree():
    model = ShiftedBetaGeometric().fit(REGULAR)
    t = np.arange(1, 13)
    s = model.survival(np.arange(0, 13))
    np.testing.assert_allclose(model.retention_rate(t), s[1:] / s[:-1], rtol=1e-12)
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # heterogeneity: retention rises with tenure


@pytest.mark.parametrize(("d", "renewals"), [(0.1, 0), (0.1, 4), (0.5, 2)])
def test_derl_equals_direct_sum(d, renewals):
    model = ShiftedBetaGeometric().fit(HIGH_END)
    t = np.arange(renewals + 1, renewals + 3000)
    direct = np.sum(model.survival(t) / model.survival(renewals) * np.exp(-(t - renewals - 1) * np.log1p(d)))
    assert model.derl(d, renewals)[0] == pytest.approx(direct, rel=1e-9)


def test_contract_durations_reproduce_the_cohort_fit():
    from loyalscope.models.purchase.sbg import contract_durations

    n = np.array(REGULAR)
    # Churners: t terms, the last ended unrenewed. Survivors after 7 years: in their 8th term.
    terms = np.concatenate([np.repeat(np.arange(1, 8), -np.diff(n)), np.full(n[-1], 8)])
    ended = terms < 8
    periods, churned = contract_durations(terms, np.zeros(terms.size, bool), ended)
    fitted = ShiftedBetaGeometric().fit_durations(periods, churned)
    assert fitted.params_["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert fitted.loglik_ == pytest.approx(-1680.27, abs=0.01)
    p, c = contract_durations([3, 3, 3], [True, False, False], [True, True, False])
    np.testing.assert_array_equal(p, [3, 3, 2])
    np.testing.assert_array_equal(c, [0, 1, 0])


def test_contracts_to_durations_rules():
    from loyalscope.models.purchase.sbg import contracts_to_durations

    ids = ["a", "a", "b", "c", "c", "d", "e"]
    start = ["2020-01-01", "2021-01-01", "2020-01-01", "2020-01-01", "2021-01-01", "2021-06-01", "2022-03-01"]
    end = ["2020-12-31", "2021-12-31", "2020-12-31", "2020-12-31", "2021-12-31", "2022-05-31", "2023-02-28"]
    renewed = [True, "no", None, "yes", 1.0, 0, False]
    periods, churned, first = contracts_to_durations(ids, start, end, renewed, "2022-02-01")
    # a: 2 terms, the last ended unrenewed -> churned after 2; b: ended, renewal unknown -> censored
    # after 0 renewals (as if running); c: last term ended and renewed, next term not in the data ->
    # survived 2 (censored); d: term still running -> survived 0 (censored); e: starts after the
    # as-of date -> left out
    np.testing.assert_array_equal(periods, [2, 0, 2, 0])
    np.testing.assert_array_equal(churned, [1, 0, 0, 0])
    # without a renewed column an ended last term is a churn
    periods, churned, _ = contracts_to_durations(ids, start, end, None, "2022-02-01")
    np.testing.assert_array_equal(periods, [2, 1, 2, 0])
    np.testing.assert_array_equal(churned, [1, 1, 1, 0])
    assert str(first[0]) == "2020-01-01" and str(first[3]) == "2021-06-01"
    with pytest.raises(ValueError, match="end_date"):
        contracts_to_durations(["a"], ["2020-02-01"], ["2020-01-01"])


def test_life_table_is_kaplan_meier():
    from loyalscope.models.purchase.sbg import life_table

    # periods 1 (churned), 2 (censored), 2 (churned), 3 (churned), 3 (censored)
    table = life_table([1, 2, 2, 3, 3], [1, 0, 1, 1, 0])
    assert table.at_risk.tolist() == [5, 4, 2] and table.churned.tolist() == [1, 1, 1]
    np.testing.assert_allclose(table.survival, [4 / 5, 4 / 5 * 3 / 4, 4 / 5 * 3 / 4 * 1 / 2])


@pytest.mark.parametrize(("alpha", "beta"), [(3.0, 300.0), (70.0, 930.0), (0.5, 5000.0), (7e4, 9.3e5)])
def test_derl_is_the_direct_series_where_scipys_2f1_fails(alpha: float, beta: float) -> None:
    """scipy's hyp2f1 returns NaN once alpha + beta + n passes ~200 (a plan whose churn hardly
    falls with tenure): DERL then comes from Euler's integral, checked against the series
    sum_j S(n+1+j) / S(n) / (1+d)^j summed directly."""
    m = ShiftedBetaGeometric()
    m.params_ = {"alpha": alpha, "beta": beta}
    d = 0.01
    for n in (0.0, 12.0):
        t = np.arange(1, 400_001, dtype=float)
        ratio = np.exp(np.cumsum(np.log((beta + n + t - 1) / (alpha + beta + n + t - 1))))
        direct = float((ratio / (1 + d) ** (t - 1)).sum())
        assert m.derl(d, [n])[0] == pytest.approx(direct, rel=1e-8)
