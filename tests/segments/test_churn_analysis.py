"""Kaplan-Meier curves, Cox drivers, churn reasons and post-complaint repurchase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.segments.churn_reasons import (
    churn_reasons,
    cohens_d,
    odds_ratio,
    post_complaint_repurchase,
)
from loyalscope.segments.churn_survival import cox_drivers, cox_model, km_curves, survival_table


def test_km_curves_by_segment(shop: Dataset) -> None:
    from lifelines import KaplanMeierFitter  # test extra: the independent reference

    surv = survival_table(shop)
    seg = pd.Series(np.where(surv.complaints > 0, "complained", "no complaint"), index=surv.index)
    curves = km_curves(surv, seg, grid=10)
    assert set(curves.segment) == {"complained", "no complaint"}
    assert len(curves) == 20  # aggregated: grid points only
    last = curves[curves.day == curves.day.max()].set_index("segment").survival
    assert last["complained"] < last["no complaint"]  # complaints drive dropout in the simulation
    sub = surv[seg == "complained"]
    kmf = KaplanMeierFitter().fit(sub.duration, sub.event)
    d = curves[curves.segment == "complained"].day.iloc[5]
    assert curves[curves.segment == "complained"].survival.iloc[5] == pytest.approx(
        float(kmf.survival_function_at_times([d]).iloc[0]))


def test_km_curves_equal_lifelines_at_every_grid_day(shop: Dataset) -> None:
    from lifelines import KaplanMeierFitter  # test extra: the independent reference

    surv = survival_table(shop)
    seg = pd.Series(np.where(surv.frequency > 3, "many", "few"), index=surv.index)
    curves = km_curves(surv, seg, grid=25)
    for name, sub in surv.groupby(seg):
        got = curves[curves.segment == name]
        kmf = KaplanMeierFitter().fit(sub.duration, sub.event)
        np.testing.assert_allclose(got.survival, kmf.survival_function_at_times(got.day).to_numpy(), rtol=1e-12)
        assert got.at_risk.tolist() == [int((sub.duration >= d).sum()) for d in got.day]


def test_cox_drivers_equal_lifelines_on_every_customer(shop: Dataset) -> None:
    from lifelines import CoxPHFitter  # test extra: the independent reference

    surv = survival_table(shop)
    s = cox_drivers(surv)
    assert s.loc["complaints", "exp(coef)"] > 1.0  # complaints drive dropout in the simulation
    # independently: the same features, median-filled and standardised, through lifelines
    x = surv.drop(columns=["event", "duration", "recency_days", "tenure_days"]).astype(float)
    x = x.fillna(x.median())
    x = x.loc[:, x.std() > 0]
    x = (x - x.mean()) / x.std()
    ref = CoxPHFitter(penalizer=0.05).fit(x.assign(T=surv.duration, E=surv.event), "T", "E",
                                          fit_options={"precision": 1e-12, "r_precision": 1e-14}).summary
    assert list(s.index) == list(ref.index)
    for ours, theirs in (("coef", "coef"), ("se(coef)", "se(coef)"), ("hr_low", "exp(coef) lower 95%"),
                         ("hr_high", "exp(coef) upper 95%"), ("p", "p")):
        np.testing.assert_allclose(s[ours], ref[theirs], rtol=1e-6, atol=1e-12)
    model = cox_model(surv)
    assert (model.n_, model.events_) == (len(surv), int(surv.event.sum()))


def test_cox_refuses_without_churn_events(shop: Dataset) -> None:
    surv = survival_table(shop).assign(event=0)
    with pytest.raises(InsufficientDataError):
        cox_drivers(surv)


def test_effect_sizes_by_hand() -> None:
    a, b = np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0])
    # s1^2 = 4, s0^2 = 1, pooled = sqrt((2*4 + 2*1) / 4) = sqrt(2.5)
    assert cohens_d(a, b) == pytest.approx(2.0 / np.sqrt(2.5))
    flag = np.array([1, 1, 1, 0, 0, 0, 0, 1], bool)
    churn = np.array([1, 1, 0, 0, 0, 1, 0, 0], bool)
    # a=2, b=2, c=1, d=3 (+0.5 each): 2.5*3.5 / (2.5*1.5)
    assert odds_ratio(flag, churn) == pytest.approx(2.5 * 3.5 / (2.5 * 1.5))


def test_odds_ratio_is_undefined_without_churned_or_retained_customers() -> None:
    # before: the 0.5 correction alone made a ratio (109 on the real Online Retail excerpt, where
    # 5 days of data leave no churned customer)
    flag = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], bool)
    assert np.isnan(odds_ratio(flag, np.zeros(10, bool)))
    assert np.isnan(odds_ratio(flag, np.ones(10, bool)))


def test_churn_reasons_point_at_complaints(shop: Dataset) -> None:
    r = churn_reasons(shop)
    assert r.loc["complaints", "odds_ratio"] > 2
    assert r.loc["complaints", "cohens_d"] > 0.2
    assert "recency_days" not in r.index


def test_post_complaint_repurchase_by_severity_and_speed(shop: Dataset) -> None:
    t = post_complaint_repurchase(shop, horizon=60).set_index(["dimension", "level"])
    # simulation: major complaints drop out 95%, quick resolutions 30%
    assert t.loc[("severity", "major"), "repurchase_rate"] < t.loc[("severity", "minor"), "repurchase_rate"]
    assert t.loc[("speed", "quick"), "repurchase_rate"] > t.loc[("speed", "slow"), "repurchase_rate"]
    assert t.loc[("severity", "major"), "benchmark_low"] == 0.04
    assert t.loc[("speed", "quick"), "benchmark_high"] == 0.95
    assert t.loc[("all", "all"), "complaints"] == t.loc[("severity", "major"), "complaints"] + t.loc[
        ("severity", "minor"), "complaints"]


def test_reason_codes() -> None:
    from loyalscope.segments.churn_reasons import reason_codes

    cu = pd.DataFrame({"customer_id": list("abcde"), "churn_reason": ["price", "price", "service", None, "price"]})
    tx = pd.DataFrame({"order_id": ["1"], "customer_id": ["a"], "order_ts": pd.to_datetime(["2024-01-01"]),
                       "amount": [1.0]})
    r = reason_codes(Dataset.from_frames({"customers": cu, "transactions": tx}))
    assert r.churn_reason.tolist() == ["price", "service"]
    assert r.n.tolist() == [3, 1]
    assert r.share.tolist() == [0.75, 0.25]


def test_standardised_rows_equal_pandas_fill_select_and_scale() -> None:
    from loyalscope.segments.churn_survival import standardised_rows

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.gamma(2.0, 3.0, 500), "b": rng.integers(0, 4, 500).astype(float),
                          "const": 7.0, "empty": np.nan, "c": rng.normal(size=500)})
    frame.loc[rng.choice(500, 60, replace=False), "a"] = np.nan
    rows, names = standardised_rows(frame, list(frame.columns))
    # independently, as pandas does it: median fill, varying columns only, (x - mean) / sd
    x = frame.fillna(frame.median())
    x = x.loc[:, x.std() > 0]
    x = (x - x.mean()) / x.std()
    assert names == ["a", "b", "c"] == list(x.columns)
    assert rows.shape == (3, 500) and rows.flags.c_contiguous
    np.testing.assert_allclose(rows, x.to_numpy().T, rtol=1e-13, atol=1e-13)


def test_a_feature_nobody_in_a_group_has_is_not_available_without_a_warning() -> None:
    """Only the churned customer answered the survey: the retained group's NPS mean is not
    available (NaN, shown as such), and no "Mean of empty slice" reaches the user's console."""
    import warnings

    tx = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "a", "b"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-12-20",
                                                   "2024-01-05"]),
                       "amount": [1.0, 2.0, 3.0, 4.0]})
    sv = pd.DataFrame({"response_id": ["s1"], "customer_id": ["b"],
                       "answered_ts": pd.to_datetime(["2024-01-10"]), "nps": [3.0]})
    ds = Dataset.from_frames({"transactions": tx, "surveys": sv})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = churn_reasons(ds, inactivity_days=60)
    assert r.loc["nps", "mean_churned"] == 3.0 and np.isnan(r.loc["nps", "mean_retained"])
    assert r.loc["monetary", "mean_churned"] == 6.0 and r.loc["monetary", "mean_retained"] == 4.0
