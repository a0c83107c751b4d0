"""Per-customer predictions computed once per distinct (x, t_x, T) row and gathered: every
customer still gets the value of the published formula at its own row, and exactly the value the
row-by-row computation gives (the value section's numbers do not move)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from loyalscope.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD
from loyalscope.models.purchase.clv import clv
from loyalscope.models.purchase.pareto_nbd_likelihood import (
    pareto_nbd_loglik,
    pareto_nbd_loglik_pairs,
)


@pytest.fixture(scope="module")
def repeated(cdnow) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer of the CDNOW sample about four times, shuffled (like a large customer
    base summarised in whole days: many customers share a row)."""
    big = cdnow.sample(10_000, replace=True, random_state=5)
    return tuple(big[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))  # type: ignore[return-value]


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.61, 11.7), (0.55, 12.0, 0.61, 3.0), (2.0, 30.0, 0.3, 5.0)])
def test_pareto_loglik_on_distinct_pairs_is_the_row_by_row_value(repeated, params) -> None:
    x, t_x, T = repeated
    row_by_row = pareto_nbd_loglik(np.array(params), x, t_x, T)
    np.testing.assert_array_equal(pareto_nbd_loglik_pairs(np.array(params), x, t_x, T), row_by_row)


def _bgnbd_expected(params, shift, t, x, t_x, T) -> np.ndarray:
    """FHL 2005 eq. 10 (MBG/NBD: Batislam et al. 2007) with SciPy's hyp2f1, row by row."""
    r, alpha, a, b = params
    out = []
    for xi, txi, Ti in zip(x, t_x, T, strict=True):
        c = a + b + xi + shift - 1
        z = t / (alpha + Ti + t)
        bracket = c / (a - 1) * (1 - ((alpha + Ti) / (alpha + Ti + t)) ** (r + xi)
                                 * hyp2f1(r + xi, b + xi + shift, c, z))
        odds = a / (b + xi + shift - 1) * ((alpha + Ti) / (alpha + txi)) ** (r + xi) if (xi > 0 or shift) else 0.0
        out.append(bracket / (1 + odds))
    return np.array(out)


@pytest.mark.parametrize("model_cls", [BGNBD, MBGNBD])
def test_bgnbd_predictions_per_distinct_row_match_the_formula(cdnow, repeated, model_cls) -> None:
    model = model_cls().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    x, t_x, T = repeated
    got = model.predict_purchases(39.0, x, t_x, T)
    want = _bgnbd_expected(model._theta(), model._shift, 39.0, x, t_x, T)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # the same value as each row computed on its own
    single = np.array([model.predict_purchases(39.0, x[i:i + 1], t_x[i:i + 1], T[i:i + 1])[0] for i in range(0, 10_000, 97)])
    np.testing.assert_array_equal(got[::97], single)


@pytest.mark.parametrize("model_cls", [BGNBD, ParetoNBD])
def test_clv_per_distinct_row_is_the_per_customer_discounted_sum(cdnow, model_cls) -> None:
    """CLV against an independent per-customer loop over the monthly discount steps."""
    sample = cdnow.sample(3_000, replace=True, random_state=6)
    model = model_cls().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    rep = cdnow[cdnow.x > 0]
    spend_model = GammaGamma().fit(rep.x, rep.zbar)
    x, t_x, T, m = (sample[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "zbar"))
    got = clv(model, spend_model, x, t_x, T, m, horizon=52, time_unit="week", annual_discount_rate=0.1, margin=0.3)
    steps = 12  # one per month of the 52-week horizon
    spend = spend_model.conditional_expected_average_spend(x, m)
    for i in range(0, sample.shape[0], 131):
        value, previous = 0.0, 0.0
        for k in range(1, steps + 1):
            t_k = 52 * k / steps
            cumulative = float(model.predict_purchases(t_k, x[i:i + 1], t_x[i:i + 1], T[i:i + 1])[0])
            value += (cumulative - previous) / 1.1 ** (t_k * 7 / 365.25)
            previous = cumulative
        assert got[i] == pytest.approx(0.3 * spend[i] * value, rel=1e-12)


def test_bgnbd_quadrature_rows_grouped_by_x_equal_each_row_alone() -> None:
    """Where SciPy's 2F1 fails (customers observed for 10^4 days and more), the bracket comes
    from a quadrature per distinct x: many customers of many x at once get what each gets alone."""
    model = BGNBD()
    model.params_ = {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}
    rng = np.random.default_rng(9)
    x = rng.integers(0, 60, 3000).astype(float)
    T = rng.choice([1.2e4, 3e4, 1e5], 3000)
    tx = np.where(x > 0, np.round(T * rng.uniform(0.1, 1.0, 3000)), 0.0)
    got = model.predict_purchases(365.0, x, tx, T)
    assert np.isfinite(got).all() and (got >= 0).all()
    for i in range(0, 3000, 61):
        alone = model.predict_purchases(365.0, x[i:i + 1], tx[i:i + 1], T[i:i + 1])[0]
        assert got[i] == alone  # exactly: each row is summed on its own
