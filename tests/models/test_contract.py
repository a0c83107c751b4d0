"""One contract, every model (after scikit-learn's common estimator checks).

Each case gives a model class, its fit method, a data frame of one row per customer (or contract)
and the columns that fit takes, plus one row of extreme inputs (x = 5000, T = 5000 days).
Pareto/NBD joins when its module is importable.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalscope.errors import NotFittedError
from loyalscope.i18n import use_lang
from loyalscope.models import BGBB, BGNBD, MBGNBD, GammaGamma, ShiftedBetaGeometric

DATA = Path(__file__).resolve().parents[1] / "data"
CDNOW = pd.read_csv(DATA / "cdnow_sample_summary.csv")
DONATIONS = pd.read_csv(DATA / "bgbb_donations.csv")
DONORS = DONATIONS.loc[DONATIONS.index.repeat(DONATIONS.weights)].reset_index(drop=True)
_SBG = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
CONTRACTS = pd.DataFrame({
    "periods": np.concatenate([np.repeat(np.arange(1, 8), -np.diff(_SBG)), np.full(_SBG[-1], 7)]),
    "churned": np.concatenate([np.ones(_SBG[0] - _SBG[-1]), np.zeros(_SBG[-1])]),
})

CASES = {
    "bgnbd": (BGNBD, "fit", CDNOW, ["x", "t_x", "T"], (5000.0, 4990.0, 5000.0)),
    "mbgnbd": (MBGNBD, "fit", CDNOW, ["x", "t_x", "T"], (5000.0, 4990.0, 5000.0)),
    "bgbb": (BGBB, "fit", DONORS, ["frequency", "recency", "periods"], (4000.0, 4500.0, 5000.0)),
    "gamma_gamma": (GammaGamma, "fit", CDNOW[CDNOW.x > 0], ["x", "zbar"], (5000.0, 1e4)),
    "sbg": (ShiftedBetaGeometric, "fit_durations", CONTRACTS, ["periods", "churned"], (5000.0, 0.0)),
}
try:
    CASES["pareto_nbd"] = (importlib.import_module("loyalscope.models.purchase.pareto_nbd").ParetoNBD, "fit",
                           CDNOW, ["x", "t_x", "T"], (5000.0, 4990.0, 5000.0))
except ImportError:
    pass

IDS = sorted(CASES)


def _fit(name, frame=None, weights=None):
    cls, method, df, cols, _ = CASES[name]
    frame = df if frame is None else frame
    model = cls()
    args = [frame[c].to_numpy(dtype=float) for c in cols]
    return model, getattr(model, method)(*args, weights=weights)


@pytest.fixture(scope="module", params=IDS)
def case(request):
    name = request.param
    model, returned = _fit(name)
    return name, model, returned


def test_fit_returns_self(case):
    _, model, returned = case
    assert returned is model


def test_not_fitted_error_before_fit(case):
    name = case[0]
    fresh = CASES[name][0]()
    with use_lang("en"), pytest.raises(NotFittedError,
                                       match=f"This {type(fresh).__name__} model is not fitted yet"):
        fresh.summary()


def test_params_keys_and_summary(case):
    _, model, _ = case
    names = list(type(model)._param_names)
    assert list(model.params_) == names
    assert all(v > 0 for v in model.params_.values())
    summary = model.summary()
    assert list(summary.columns) == ["param", "estimate", "se", "lower_95", "upper_95"]
    assert summary.param.tolist() == names
    assert np.all(summary.se > 0)
    assert np.all((summary.lower_95 < summary.estimate) & (summary.estimate < summary.upper_95))
    assert model.aic_ == pytest.approx(2 * len(names) - 2 * model.loglik_)


def test_compressed_fit_equals_full_fit(case):
    name, model, _ = case
    cols = CASES[name][3]
    grouped = CASES[name][2].groupby(cols, as_index=False).size()
    assert len(grouped) < len(CASES[name][2])
    compressed, _ = _fit(name, grouped, weights=grouped["size"].to_numpy())
    for k, v in model.params_.items():
        assert compressed.params_[k] == pytest.approx(v, rel=1e-6)
    assert compressed.loglik_ == pytest.approx(model.loglik_, rel=1e-10)
    assert compressed.n_ == model.n_


def test_analytic_gradient_matches_finite_differences(case):
    name, model, _ = case
    cols = CASES[name][3]
    grouped = CASES[name][2].groupby(cols, as_index=False).size()
    data = tuple(grouped[c].to_numpy(dtype=float) for c in cols)
    w = grouped["size"].to_numpy(dtype=float)
    h = 1e-5
    for lp in (np.log(model._theta()), np.log(model._theta()) + 0.3):
        value, grad = model._negloglik_grad(lp, data, w)
        numeric = [(model._negloglik_grad(lp + h * e, data, w)[0] - model._negloglik_grad(lp - h * e, data, w)[0]) / (2 * h)
                   for e in np.eye(lp.size)]
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7 * abs(value))


def test_extreme_inputs_stay_finite(case):
    name, model, _ = case
    data = tuple(np.array([v]) for v in CASES[name][4])
    value, grad = model._negloglik_grad(np.log(model._theta()), data, np.ones(1))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if hasattr(model, "p_alive"):
        p = model.p_alive(*data)
        assert np.all((p >= 0) & (p <= 1))
        assert np.all(np.isfinite(model.predict_purchases(30.0, *data)))


def test_to_dict_round_trip(case):
    _, model, _ = case
    payload = json.loads(json.dumps(model.to_dict()))
    again = type(model).from_dict(payload)
    assert again.params_ == model.params_
    assert again.loglik_ == model.loglik_
    pd.testing.assert_frame_equal(again.summary(), model.summary())


@pytest.mark.filterwarnings("ignore:Frequency and mean spend are correlated")  # the outlier makes r ~ 1
def test_fit_with_extreme_customers(case):
    name = case[0]
    _, _, df, cols, extreme = CASES[name]
    frame = pd.concat([df[cols], pd.DataFrame([dict(zip(cols, extreme, strict=True))])], ignore_index=True)
    model, _ = _fit(name, frame)
    assert np.isfinite(model.loglik_)
    assert all(np.isfinite(v) and v > 0 for v in model.params_.values())
    assert all(np.isfinite(v) for v in model.se_.values())


def test_warm_started_fit_equals_plain_fit(case, monkeypatch):
    """Above ``_warm_start_rows`` distinct rows the fit starts from a subsample's optimum and
    polishes with quasi-Newton steps; the optimum must be the one L-BFGS-B finds from scratch.
    L-BFGS-B stops on its relative ``ftol`` where the likelihood is flat (MBG/NBD on CDNOW: largest
    gradient 2e-3, parameters 1e-5 from the optimum), the polish on a step of 1e-11, so the
    polished fit may only be better."""
    name, model, _ = case
    cls = CASES[name][0]
    if getattr(cls, "_warm_start_rows", None) is None:
        pytest.skip("this model always fits with L-BFGS-B from its initial values")
    monkeypatch.setattr(cls, "_warm_start_rows", 300)
    warm, _ = _fit(name)
    assert warm.loglik_ == pytest.approx(model.loglik_, abs=1e-6)
    assert warm.loglik_ >= model.loglik_ - 1e-9
    for k, v in model.params_.items():
        assert warm.params_[k] == pytest.approx(v, rel=1e-4)
    for k, v in model.se_.items():
        assert warm.se_[k] == pytest.approx(v, rel=1e-3)
