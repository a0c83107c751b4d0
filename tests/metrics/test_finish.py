"""``registry.finish``, the last step of every metric computation, on the shapes the engine
returns: values, reasons, case counts and order checked against values written out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from loyalscope.metrics.registry import finish


def test_ratio_reasons_cases_and_order() -> None:
    raw = pd.DataFrame({
        "period": pd.to_datetime(["2024-02-01", "2024-01-01", "2024-01-01", "2024-02-01",
                                  "2024-01-01"]).astype("datetime64[s]"),
        "region": ["b", None, "a", "a", "a"],
        "numerator": [3, 1, 2, 5, 7],
        "denominator": [4.0, 0.0, None, 10.0, 14.0],
        "n": [4, None, 2, 10, 14],
    }, index=[10, 11, 12, 13, 14])  # the index is not the order
    got = finish(raw, "region")
    # sorted by period then region (null last); ties keep their input order
    assert got.period.tolist() == [date(2024, 1, 1)] * 3 + [date(2024, 2, 1)] * 2
    assert got.region.tolist() == ["a", "a", None, "a", "b"]
    np.testing.assert_array_equal(got.numerator, [2.0, 7.0, 1.0, 5.0, 3.0])
    np.testing.assert_array_equal(got.value, [np.nan, 0.5, np.nan, 0.5, 0.75])
    assert got.reason.tolist() == ["zero_denominator", None, "zero_denominator", None, None]
    assert got.n.tolist() == [2, 14, 0, 10, 4] and got.n.dtype == np.int64
    assert list(got.columns) == ["period", "region", "value", "numerator", "denominator", "n",
                                 "reason"]
    assert got.index.tolist() == [0, 1, 2, 3, 4]
    assert list(raw.index) == [10, 11, 12, 13, 14] and raw.n.isna().sum() == 1  # input untouched


def test_given_value_and_reason_and_a_breakdown_column() -> None:
    raw = pd.DataFrame({
        "period": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 1)],
        "channel": ["web", "app", "app"],
        "numerator": [1.0, 2.0, 3.0], "denominator": [0.0, 2.0, 3.0],
        "value": [9.0, 1.5, np.nan], "reason": ["x", np.nan, "too_few"],
    })
    got = finish(raw, None, "channel")
    assert got.channel.tolist() == ["app", "app", "web"]
    # a given value is kept, except where the denominator is 0
    np.testing.assert_array_equal(got.value, [1.5, np.nan, np.nan])
    assert got.reason.tolist() == [None, "too_few", "zero_denominator"]
    assert "n" not in got


def test_no_rows() -> None:
    raw = pd.DataFrame({"period": pd.Series([], dtype="datetime64[s]"),
                        "numerator": pd.Series([], dtype=float),
                        "denominator": pd.Series([], dtype=float)})
    got = finish(raw, None)
    assert got.empty and list(got.columns) == ["period", "value", "numerator", "denominator",
                                               "reason"]
