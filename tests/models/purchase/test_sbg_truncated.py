"""The sBG model on a snapshot of current customers (left truncation): recovery on a simulated
steady business, the likelihood against an independent hazard likelihood, and the bias of the
plain likelihood on the same rows.

A snapshot such as IBM's Telco sample (tenure in months, "Churn" = left within the last month)
holds only customers still there at the start of the last month: those who left earlier are not
in it, so each customer is seen from ``entry = tenure - 1``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from loyalscope.models.purchase.sbg import ShiftedBetaGeometric


def snapshot(alpha: float = 0.7, beta: float = 3.0, months: int = 72, per_month: int = 400, seed: int = 0):
    """(tenure, churned) of the customers present at a snapshot after ``months`` months of a
    steady business: ``per_month`` customers join each month, each with a monthly churn
    probability theta ~ Beta(alpha, beta); present if still a customer at the start of the last
    month, churned if they left at its end."""
    rng = np.random.default_rng(seed)
    tenure, churned = [], []
    for age in range(1, months + 1):
        leave = rng.geometric(rng.beta(alpha, beta, per_month))  # the period at whose end each leaves
        present = leave >= age
        tenure.append(np.full(int(present.sum()), float(age)))
        churned.append((leave[present] == age).astype(float))
    return np.concatenate(tenure), np.concatenate(churned)


def test_left_truncated_fit_recovers_the_truth_and_the_plain_fit_does_not() -> None:
    t, c = snapshot()
    fit = ShiftedBetaGeometric().fit_durations(t, c, entry=t - 1)
    s = fit.summary().set_index("param")
    assert s.lower_95["alpha"] < 0.7 < s.upper_95["alpha"] and s.lower_95["beta"] < 3.0 < s.upper_95["beta"]
    assert fit.status_.status == "ok"
    plain = ShiftedBetaGeometric().fit_durations(t, c)
    assert plain.params_["alpha"] < 0.1  # the survivors' low churn read as everyone's


def test_equals_the_independent_hazard_likelihood() -> None:
    """Given survival to t - 1, a customer at tenure t leaves with the hazard
    alpha / (alpha + beta + t - 1): the conditional likelihood maximised directly."""
    t, c = snapshot(alpha=1.2, beta=5.0, months=48, per_month=150, seed=3)

    def nll(lp: np.ndarray) -> float:
        a, b = np.exp(lp)
        h = a / (a + b + t - 1)
        return -float((c * np.log(h) + (1 - c) * np.log1p(-h)).sum())

    res = optimize.minimize(nll, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12})
    fit = ShiftedBetaGeometric().fit_durations(t, c, entry=t - 1)
    assert fit.params_["alpha"] == pytest.approx(np.exp(res.x[0]), rel=1e-5)
    assert fit.params_["beta"] == pytest.approx(np.exp(res.x[1]), rel=1e-5)
    assert fit.loglik_ == pytest.approx(-res.fun, abs=1e-6)


def test_entry_zero_is_the_plain_likelihood() -> None:
    t, c = snapshot(months=24, per_month=100, seed=5)
    a = ShiftedBetaGeometric().fit_durations(t, c)
    b = ShiftedBetaGeometric().fit_durations(t, c, entry=np.zeros_like(t))
    assert b.params_["alpha"] == pytest.approx(a.params_["alpha"], rel=1e-8)
    assert b.loglik_ == pytest.approx(a.loglik_, rel=1e-10)


@pytest.mark.parametrize("entry", [np.array([3.0]), np.array([1.5]), np.array([2.0])])
def test_entry_must_be_whole_periods_before_the_end(entry: np.ndarray) -> None:
    """Entry after the last period (3 > 2), a fraction, or a churned customer entering at the
    period they left in (2 = 2, churned) is refused with what is wrong."""
    with pytest.raises(ValueError, match="entry"):
        ShiftedBetaGeometric().fit_durations(np.array([2.0]), np.array([1.0]), entry=entry)
