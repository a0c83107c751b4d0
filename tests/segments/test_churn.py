"""Churn features, labels, out-of-time model and the no-leakage guarantee."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.segments.churn import churn_features, churn_labels, churn_risk


def test_out_of_time_auc_well_above_chance(shop: Dataset, shop_date: date) -> None:
    res = churn_risk(shop, horizon=90)
    assert res.valid_cutoff == shop_date - timedelta(days=90)
    assert res.train_cutoff == shop_date - timedelta(days=180)
    assert res.auc_valid > 0.75
    lo, hi = res.auc_valid_interval
    assert 0.5 < lo < res.auc_valid < hi <= 1.0 and res.discriminates
    assert res.lift.lift.iloc[0] > 1.5
    assert res.calibration.n.sum() == len(churn_features(shop, res.valid_cutoff))
    # complaints raise churn in the simulation: the fitted sign must say so
    assert res.model.summary().loc["complaints", "coef_per_sd"] > 0
    assert res.scores.churn_probability.between(0, 1).all()


def test_labels_by_hand() -> None:
    tx = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "b", "c"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-02-15", "2024-01-05", "2024-03-01"]),
                       "amount": [1.0] * 4})
    y = churn_labels(Dataset.from_frames({"transactions": tx}), date(2024, 2, 1), 30)
    assert y.to_dict() == {"a": 0, "b": 1}  # c had not bought before the cut-off


def test_labels_and_features_equal_an_independent_pandas_computation(
    shop_frames: dict[str, pd.DataFrame], shop: Dataset, shop_date: date
) -> None:
    cut, horizon = shop_date - timedelta(days=200), 60
    tx = shop_frames["transactions"]
    before = tx[tx.order_ts < pd.Timestamp(cut)].groupby("customer_id")
    after = tx[(tx.order_ts >= pd.Timestamp(cut)) & (tx.order_ts < pd.Timestamp(cut + timedelta(days=horizon)))]
    want = pd.Series((~before.size().index.isin(after.customer_id)).astype(int), index=before.size().index)
    y = churn_labels(shop, cut, horizon)
    assert y.index.tolist() == sorted(want.index) and y.tolist() == want.sort_index().tolist()
    f = churn_features(shop, cut)
    assert f.index.tolist() == y.index.tolist()
    np.testing.assert_allclose(f.frequency, before.size().sort_index())
    # money_sum: each amount rounded to 0.0001, summed exactly
    np.testing.assert_allclose(f.monetary, before.amount.apply(lambda a: a.round(4).sum()).sort_index(), rtol=1e-12)
    cp = shop_frames["complaints"]
    n_cp = cp[cp.opened_ts < pd.Timestamp(cut)].groupby("customer_id").size()
    np.testing.assert_array_equal(f.complaints, n_cp.reindex(f.index, fill_value=0))
    # computed once per cut-off, and each caller gets its own copy
    f["frequency"] = -1.0
    assert churn_features(shop, cut).frequency.min() >= 1


def test_no_leakage_rows_after_cutoff_change_nothing(
    shop_frames: dict[str, pd.DataFrame], shop_date: date
) -> None:
    cut = shop_date - timedelta(days=200)
    base = Dataset.from_frames(shop_frames)
    before = churn_features(base, cut)
    frames = {k: v.copy() for k, v in shop_frames.items()}
    after_ts = pd.Timestamp(cut) + pd.Timedelta(hours=1)
    ids = frames["customers"].customer_id.tolist()
    frames["transactions"] = pd.concat([frames["transactions"], pd.DataFrame({
        "order_id": [f"late{i}" for i in range(len(ids))], "customer_id": ids,
        "order_ts": after_ts, "amount": 1e9})])
    frames["complaints"] = pd.concat([frames["complaints"], pd.DataFrame({
        "complaint_id": [f"lk{i}" for i in range(len(ids))], "customer_id": ids,
        "opened_ts": after_ts, "closed_ts": after_ts, "severity": "major", "resolved": False})])
    frames["surveys"] = pd.concat([frames["surveys"], pd.DataFrame({
        "response_id": [f"lr{i}" for i in range(len(ids))], "customer_id": ids,
        "answered_ts": after_ts, "nps": 0.0})])
    # a complaint opened before the cut-off but closed after it stays "unresolved" at the cut-off
    leaked = Dataset.from_frames(frames)
    after = churn_features(leaked, cut)
    pd.testing.assert_frame_equal(before, after)
    res = churn_risk(base, horizon=90)
    p1 = res.model.predict_proba(before[res.features].to_numpy(float))
    p2 = res.model.predict_proba(after[res.features].to_numpy(float))
    np.testing.assert_array_equal(p1, p2)
    # and the injected rows do show up once the cut-off passes them
    later = churn_features(leaked, cut + timedelta(days=1))
    assert later.monetary.min() >= 1e9


def test_features_use_strictly_earlier_rows() -> None:
    tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "amount": [5.0, 7.0]})
    f = churn_features(Dataset.from_frames({"transactions": tx}), date(2024, 2, 1))
    assert f.loc["a", "frequency"] == 1
    assert f.loc["a", "recency_days"] == pytest.approx(31.0)


def test_returns_interactions_surveys_counted_before_cutoff_only() -> None:
    tx = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"]),
                       "amount": [10.0, 20.0, 30.0]})
    rt = pd.DataFrame({"order_id": ["1", "2"], "return_ts": pd.to_datetime(["2024-01-03", "2024-03-01"]),
                       "amount": [10.0, 20.0]})
    it = pd.DataFrame({"customer_id": ["a", "b", "b"], "ts": pd.to_datetime(["2024-01-02", "2024-01-06", "2024-02-02"]),
                       "kind": ["consult"] * 3})
    sv = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": ["a", "a"],
                       "answered_ts": pd.to_datetime(["2024-01-02", "2024-02-02"]), "nps": [8.0, 0.0]})
    ds = Dataset.from_frames({"transactions": tx, "returns": rt, "interactions": it, "surveys": sv})
    f = churn_features(ds, date(2024, 2, 1))
    assert f.loc["a", "returns"] == 1 and f.loc["b", "returns"] == 0
    assert f.loc["a", "interactions"] == 1 and f.loc["b", "interactions"] == 1
    assert f.loc["a", "nps"] == 8.0 and np.isnan(f.loc["b", "nps"])
    assert f.loc["a", "monetary"] == 30.0
