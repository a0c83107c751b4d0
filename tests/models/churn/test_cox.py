"""The vectorised Cox model (Efron ties, ridge penalty) against lifelines' CoxPHFitter, fitted
independently on the same data with a tight convergence tolerance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from loyalscope.errors import InsufficientDataError, NotFittedError
from loyalscope.models.churn.cox import CoxPH

TIGHT = {"precision": 1e-12, "r_precision": 1e-14}


def _lifelines(duration: np.ndarray, event: np.ndarray, x: np.ndarray, penalizer: float) -> pd.DataFrame:
    # the test extra's independent reference, not a product dependency
    from lifelines import CoxPHFitter

    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])]).assign(T=duration, E=event)
    return CoxPHFitter(penalizer=penalizer).fit(df, "T", "E", fit_options=TIGHT).summary


def _simulated(n: int, seed: int, tie_grid: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential event times with hazard exp(x b), independent exponential censoring;
    ``tie_grid`` rounds durations up to a grid so that many are tied."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)) * [1.0, 3.0, 0.2, 10.0] + [0.0, 5.0, 1.0, -2.0]
    x[:, 2] = rng.poisson(0.4, n)  # a count feature, as complaints
    hazard = np.exp(x @ [0.5, -0.2, 0.8, 0.03])
    t_event, t_censor = rng.exponential(1 / hazard), rng.exponential(1.0, n)
    duration = np.minimum(t_event, t_censor)
    if tie_grid is not None:
        duration = np.ceil(duration / tie_grid) * tie_grid
    return duration, (t_event <= t_censor).astype(float), x


@pytest.mark.parametrize(("tie_grid", "penalizer"), [(None, 0.05), (0.2, 0.05), (0.2, 0.0), (0.05, 0.5)])
def test_matches_lifelines(tie_grid: float | None, penalizer: float) -> None:
    duration, event, x = _simulated(3000, 1, tie_grid)
    if tie_grid is not None:
        assert pd.Series(duration[event == 1]).duplicated().mean() > 0.5  # Efron's correction matters
    ref = _lifelines(duration, event, x, penalizer)
    m = CoxPH(penalizer).fit(duration, event, x)
    s = m.summary()
    np.testing.assert_allclose(s["coef"], ref["coef"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(s["se(coef)"], ref["se(coef)"], rtol=1e-6)
    np.testing.assert_allclose(s["exp(coef)"], ref["exp(coef)"], rtol=1e-6)
    np.testing.assert_allclose(s["hr_low"], ref["exp(coef) lower 95%"], rtol=1e-6)
    np.testing.assert_allclose(s["hr_high"], ref["exp(coef) upper 95%"], rtol=1e-6)
    np.testing.assert_allclose(s["p"], ref["p"], rtol=1e-5, atol=1e-300)
    assert m.n_ == 3000 and m.events_ == int(event.sum())


def test_hessian_in_blocks_gives_the_same_fit(monkeypatch) -> None:
    """Past HESSIAN_ROWS customers the Hessian's weighted product is summed block by block
    (not one p x n array: 0.8 GB at ten million customers): the same fit, to rounding."""
    import loyalscope.models.churn.cox as cox

    duration, event, x = _simulated(3000, 2, 0.2)
    whole = CoxPH(0.05).fit(duration, event, x).summary()
    monkeypatch.setattr(cox, "HESSIAN_ROWS", 256)  # 12 blocks
    blocks = CoxPH(0.05).fit(duration, event, x).summary()
    np.testing.assert_allclose(blocks["coef"], whole["coef"], rtol=1e-12)
    np.testing.assert_allclose(blocks["se(coef)"], whole["se(coef)"], rtol=1e-12)


def test_partial_likelihood_by_hand() -> None:
    """Three customers, no ties, one feature: l(b) = b x1 - log(sum_j e^{b xj}) + b x2 -
    log(e^{b x2} + e^{b x3}) for events at t1 < t2 (the third censored). The fitted b zeroes
    the derivative of the penalised l."""
    duration, event, x = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0]), np.array([[0.0], [1.0], [3.0]])
    m = CoxPH(penalizer=0.1).fit(duration, event, x)
    z = (x[:, 0] - x[:, 0].mean()) / x[:, 0].std(ddof=1)
    b = m.coef_[0] * m.scale_[0]

    def dl(b: float) -> float:
        e = np.exp(b * z)
        return (z[0] - (z @ e) / e.sum() + z[1] - (z[1:] @ e[1:]) / e[1:].sum()) - 3 * 0.1 * b

    assert dl(b) == pytest.approx(0.0, abs=1e-9)


def test_row_order_and_units_do_not_matter() -> None:
    duration, event, x = _simulated(2000, 2, 0.1)
    a = CoxPH().fit(duration, event, x)
    perm = np.random.default_rng(3).permutation(len(duration))
    b = CoxPH().fit(duration[perm], event[perm], x[perm] * [1.0, 100.0, 1.0, 1.0])
    np.testing.assert_allclose(a.coef_, b.coef_ * [1.0, 100.0, 1.0, 1.0], rtol=1e-8)  # per unit
    np.testing.assert_allclose(a.summary()["p"], b.summary()["p"], rtol=1e-8)


def test_wald_interval_and_p_value_definitions() -> None:
    duration, event, x = _simulated(1500, 4, None)
    s = CoxPH().fit(duration, event, x).summary()
    z = s["coef"] / s["se(coef)"]
    np.testing.assert_allclose(s["p"], 2 * norm.sf(np.abs(z)))
    np.testing.assert_allclose(np.log(s["hr_high"]) - s["coef"], 1.959964 * s["se(coef)"], rtol=1e-6)


def test_cannot_be_estimated_without_events_or_variation() -> None:
    duration, event, x = _simulated(200, 5, None)
    with pytest.raises(InsufficientDataError):
        CoxPH().fit(duration, np.zeros_like(event), x)
    with pytest.raises(InsufficientDataError):
        CoxPH().fit(duration, event, np.column_stack([x[:, 0], np.ones(len(x))]))
    with pytest.raises(NotFittedError):
        CoxPH().summary()
