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


def test_chi_square_equals_scipy_on_pandas_crosstab() -> None:
    """The contingency table is counted with bincount; the test is SciPy's on pd.crosstab's."""
    from scipy import stats

    from loyalscope.sections.portrait import MIN_GROUP, chi_square

    rng = np.random.default_rng(5)
    groups = pd.Series(rng.choice(["north", "south", "east", "west", "tiny", None], 3000,
                                  p=[0.3, 0.3, 0.2, 0.185, 0.001, 0.014]))
    outcome = pd.Series((rng.random(3000) < np.where(groups == "north", 0.6, 0.4)).astype(float))
    frame = pd.DataFrame({"g": groups.astype("string").fillna("__unknown__"), "y": outcome})
    counts = frame.g.value_counts()
    frame.loc[frame.g.isin(counts.index[counts < MIN_GROUP]), "g"] = "__other__"
    table = pd.crosstab(frame.g, frame.y).to_numpy()
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert chi_square(groups, outcome) == {"chi2": float(chi2), "df": float(dof), "p": float(p), "n": 3000.0}
    assert chi_square(groups, pd.Series(np.ones(3000))) is None
