"""Hand-built edge cases: one customer, an empty period, tied timestamps, returns larger than
orders, customers known only from surveys."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.metrics import compute


def _tx(rows):
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"]).assign(
        order_ts=lambda d: pd.to_datetime(d.order_ts)
    )


def test_single_customer_single_order():
    ds = Dataset.from_frames({"transactions": _tx([("o1", "a", "2024-01-05 10:00", 20.0)])})
    r = compute(ds, "repeat_purchase_rate")
    assert r[["numerator", "denominator", "value"]].values.tolist() == [[0.0, 1.0, 0.0]]
    assert compute(ds, "pareto_share").value.tolist() == [1.0]
    assert compute(ds, "interpurchase_interval").empty
    assert compute(ds, "repurchase_rate").empty
    ret = compute(ds, "retention_rate_std")
    assert ret.reason.tolist() == ["zero_denominator"] and math.isnan(ret.value[0])
    assert compute(ds, "join_rate").value.tolist() == [1.0]


def test_period_without_orders_is_null_with_reason():
    tx = _tx([("o1", "a", "2024-01-05", 10.0), ("o2", "b", "2024-03-07", 30.0)])
    comp = pd.DataFrame({"complaint_id": ["k"], "customer_id": ["a"],
                         "opened_ts": pd.to_datetime(["2024-01-06"])})
    ret = pd.DataFrame({"order_id": ["o1"], "return_ts": pd.to_datetime(["2024-01-09"]),
                        "amount": [10.0]})
    ds = Dataset.from_frames({"transactions": tx, "complaints": comp, "returns": ret})
    for mid in ("return_rate", "complaint_rate", "complaints_per_1000_orders"):
        r = compute(ds, mid).set_index("period")
        feb = r.loc[pd.Timestamp("2024-02-01").date()]
        assert feb.denominator == 0 and math.isnan(feb.value), mid
        assert feb.reason == "zero_denominator", mid
    assert compute(ds, "complaint_rate").value.tolist()[0] == 1.0
    r = compute(ds, "churn_rate").set_index("period")
    # a is active at the start of February and of March (w = 180 days) and still at the end
    assert r.loc[pd.Timestamp("2024-02-01").date()].tolist()[:3] == [0.0, 0.0, 1.0]


def test_tied_timestamps():
    tx = _tx([("o1", "a", "2024-01-05 10:00", 10.0), ("o2", "a", "2024-01-05 10:00", 5.0),
              ("o3", "a", "2024-01-15 10:00", 1.0)])
    ds = Dataset.from_frames({"transactions": tx})
    r = compute(ds, "interpurchase_interval")
    assert r[["numerator", "denominator"]].values.tolist() == [[10.0, 2.0]]
    assert compute(ds, "interpurchase_interval_median").value.tolist() == [0.0 + 5.0]
    assert compute(ds, "purchase_frequency").value.tolist() == [3.0]


def test_returns_larger_than_orders():
    tx = _tx([("o1", "a", "2024-01-05", 10.0), ("o2", "b", "2024-01-06", 10.0)])
    ret = pd.DataFrame({"order_id": ["o1"], "return_ts": pd.to_datetime(["2024-01-09"]),
                        "amount": [25.0]})
    ds = Dataset.from_frames({"transactions": tx, "returns": ret})
    assert compute(ds, "return_amount_rate").value.tolist() == [1.25]
    assert compute(ds, "return_rate").value.tolist() == [0.5]


def test_customers_only_in_surveys():
    tx = _tx([("o1", "a", "2024-01-05", 10.0)])
    cust = pd.DataFrame({"customer_id": ["a", "ghost"], "region": ["n", "s"]})
    sv = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": ["a", "ghost", "nobody"],
                       "answered_ts": pd.to_datetime(["2024-01-10"] * 3),
                       "share_of_wallet": [0.2, 0.4, 0.9]})
    inter = pd.DataFrame({"customer_id": ["ghost", "a"], "ts": pd.to_datetime(["2024-01-10"] * 2),
                          "kind": ["event", "consult"]})
    ds = Dataset.from_frames({"transactions": tx, "customers": cust, "surveys": sv,
                              "interactions": inter})
    sow = compute(ds, "share_of_wallet")
    assert sow.value.tolist() == [pytest.approx(0.5)]
    by = compute(ds, "share_of_wallet", by="region")
    assert by.denominator.tolist() == [1.0, 1.0, 1.0]  # n, s and the unknown respondent
    inter_f = compute(ds, "interaction_frequency")
    assert inter_f[["numerator", "denominator"]].values.tolist() == [[2.0, 1.0]]
