"""Cohort labels of the portrait: one "YYYY-Qn" per first-order timestamp, missing stays missing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.sections.portrait import quarter_labels


def test_quarter_labels_match_each_timestamp() -> None:
    rng = np.random.default_rng(4)
    ts = pd.Series(pd.Timestamp("2019-12-31 23:59") + pd.to_timedelta(rng.integers(0, 2000, 400), unit="D"))
    ts[rng.random(400) < 0.1] = pd.NaT
    got = quarter_labels(ts)
    want = pd.Series([f"{t.year}-Q{t.quarter}" if pd.notna(t) else None for t in ts], dtype="string")
    pd.testing.assert_series_equal(got, want)
    assert quarter_labels(ts.dt.tz_localize("Asia/Shanghai")).equals(want)
    assert len(quarter_labels(pd.Series([], dtype="datetime64[ns]"))) == 0
