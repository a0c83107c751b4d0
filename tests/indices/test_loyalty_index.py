"""Composite loyalty index and excellent-customer tiers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.i18n import t
from loyalscope.indices.excellent import excellent_customers
from loyalscope.indices.indicators import loyalty_indicators
from loyalscope.indices.loyalty_index import loyalty_index


def test_index_by_hand_with_given_weights() -> None:
    ind = pd.DataFrame({"A12": [1.0, 3.0, 5.0], "A32": [5.0, 3.0, 1.0]}, index=["a", "b", "c"])
    out, w, notes = loyalty_index(ind, weights={"A12": 0.6, "A32": 0.4})
    # A12 -> (0, .5, 1); A32 is negative -> (0, .5, 1)
    np.testing.assert_allclose(out.loyalty_index, [0.0, 50.0, 100.0])
    assert w == {"A12": 0.6, "A32": 0.4}
    assert notes == []


def test_missing_indicator_dropped_with_renormalised_weights_and_note() -> None:
    ind = pd.DataFrame({"A12": [1.0, 2.0, 3.0], "A34": [5.0, 3.0, 1.0]})
    out, w, notes = loyalty_index(ind, weights={"A12": 0.2, "A34": 0.3, "A21": 0.5}, lang="en")
    assert w == pytest.approx({"A12": 0.4, "A34": 0.6})
    assert notes == [t("indices.loyalty.dropped", "en", indicator="A21")]
    # row 0: 0.4*0 + 0.6*1 = 0.6
    assert out.loyalty_index.iloc[0] == pytest.approx(60.0)


def test_customer_missing_survey_scored_on_present_indicators() -> None:
    ind = pd.DataFrame({"A12": [1.0, 3.0, 3.0], "A34": [1.0, 5.0, np.nan]})
    out, _, _ = loyalty_index(ind, weights={"A12": 0.5, "A34": 0.5})
    assert out.loyalty_index.iloc[2] == pytest.approx(100.0)


@pytest.mark.parametrize("weights", ["ahp", "entropy"])
def test_index_from_dataset(weights: str) -> None:
    rng = np.random.default_rng(1)
    tx = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(300)],
        "customer_id": [f"c{i % 40}" for i in range(300)],
        "order_ts": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 360, 300), unit="D"),
        "amount": rng.gamma(2, 30, 300),
        "category": rng.choice(["a", "b", "c"], 300),
    })
    sv = pd.DataFrame({"response_id": [f"r{i}" for i in range(40)], "customer_id": [f"c{i}" for i in range(40)],
                       "answered_ts": pd.Timestamp("2023-06-01"), "csat": rng.integers(1, 6, 40).astype(float),
                       "price_sensitivity": rng.integers(1, 6, 40).astype(float)})
    ds = Dataset.from_frames({"transactions": tx, "surveys": sv})
    ind = loyalty_indicators(ds, date(2024, 1, 1))
    assert set(ind.columns) == {"A11", "A12", "A13", "A22", "A32", "A34"}
    out, w, notes = loyalty_index(ind, weights)
    assert len(out) == 40
    assert out.loyalty_index.between(0, 100).all()
    assert sum(w.values()) == pytest.approx(1.0)
    if weights == "ahp":
        assert len(notes) == 3  # A21, A31, A33 absent


def test_indicators_ignore_rows_after_cutoff() -> None:
    tx = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "a"],
                       "order_ts": pd.to_datetime(["2023-01-01", "2023-06-01", "2024-05-01"]),
                       "amount": [1.0, 1.0, 1.0]})
    ind = loyalty_indicators(Dataset.from_frames({"transactions": tx}), date(2024, 1, 1))
    assert ind.loc["a", "A12"] == 2
    assert ind.loc["a", "A11"] == 151


def test_excellent_tiers() -> None:
    comp = pd.DataFrame({"loyalty": [1, 2, 3, 4], "value": [1, 2, 3, 4],
                         "satisfaction": [1, 2, 3, 4], "potential": [1, 2, 3, 4]})
    out = excellent_customers(comp)
    np.testing.assert_allclose(out.score, [0.25, 0.5, 0.75, 1.0])
    assert out.tier.tolist() == ["C", "B", "A", "A"]
