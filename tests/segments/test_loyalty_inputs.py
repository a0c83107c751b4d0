"""Loyalty-type inputs from a Dataset, then the types they lead to."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.segments.loyalty_inputs import loyalty_inputs
from loyalscope.segments.loyalty_types import loyalty_types


def test_inputs_and_types() -> None:
    tx = pd.DataFrame({"order_id": list("123456"), "customer_id": ["a", "a", "b", "b", "c", "c"],
                       "order_ts": pd.to_datetime(["2023-01-01"] * 5 + ["2024-06-01"]),
                       "amount": [1.0] * 6, "is_promo": [True, True, False, True, False, True]})
    sv = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": ["a", "b", "c"],
                       "answered_ts": pd.to_datetime(["2023-02-01"] * 3),
                       "csat": [5.0, 2.0, 5.0], "price_sensitivity": [1.0, 5.0, 1.0],
                       "alternatives": [2.0, 3.0, 4.0]})
    cu = pd.DataFrame({"customer_id": ["a", "b", "c"], "is_employee": [False, False, True]})
    ds = Dataset.from_frames({"transactions": tx, "surveys": sv, "customers": cu})
    x = loyalty_inputs(ds, date(2024, 1, 1))
    assert x.loc["a", "promo_share"] == 1.0
    assert x.loc["b", "promo_share"] == 0.5
    assert x.loc["c", "promo_share"] == 0.0  # the promo order after the cut-off is not counted
    assert x.loc["b", "price_sensitivity"] == pytest.approx(1.0)
    assert x.loc["a", "satisfaction"] == pytest.approx(1.0)
    types = loyalty_types(x)
    assert types.loyalty_type.to_dict() == {"a": "incentive", "b": "incentive", "c": "kinship"}
