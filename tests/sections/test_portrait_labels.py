"""Cohort labels of the portrait (one "YYYY-Qn" per first-order timestamp, missing stays missing)
and its chi-square tests (the definition's table, counted from codes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


def _reference_chi_square(groups: pd.Series, outcome: pd.Series) -> dict[str, float] | None:
    """The definition, written with pandas: text labels, rows with a missing outcome dropped,
    small groups pooled, then SciPy on ``pd.crosstab``'s table."""
    from scipy import stats

    from loyalscope.sections.portrait import MIN_GROUP

    frame = pd.DataFrame({"g": groups.astype("string").fillna("__unknown__"), "y": outcome.astype(float)}).dropna()
    counts = frame.g.value_counts()
    frame.loc[frame.g.isin(counts.index[counts < MIN_GROUP]), "g"] = "__other__"
    table = pd.crosstab(frame.g, frame.y).to_numpy()
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return {"chi2": float(chi2), "df": float(dof), "p": float(p), "n": float(table.sum())}


def _groups(kind: str, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """Groups of exact sizes around :data:`MIN_GROUP` (5), shuffled, and the rows whose outcome
    goes missing: "edge" has 7 rows, 3 of them without an outcome (pooled only when the
    groups are counted after those rows are dropped); in "mixed", 1 and "1" have 3 rows each
    (pooled unless they are one group, "1")."""
    sizes = {"north": 1500, "south": 1200, "east": 9, "edge": 7, "tiny": 2, None: 40}
    if kind == "mixed":
        sizes |= {1: 3, "1": 3, 2.5: 6}
    values = np.array([v for v, k in sizes.items() for _ in range(k)], dtype=object)
    edge = np.flatnonzero(values == "edge")[:3]
    missing = np.zeros(len(values), dtype=bool)
    missing[edge] = True
    order = rng.permutation(len(values))
    values, missing = values[order], missing[order]
    s = pd.Series(values, dtype=object)
    if kind == "string":
        return s.astype("string"), missing
    if kind == "category":
        return s.astype("category"), missing
    return s, missing


@pytest.mark.parametrize("kind", ["object", "string", "category", "mixed"])
@pytest.mark.parametrize("missing_outcome", [False, True])
def test_chi_square_equals_the_pandas_definition(kind: str, missing_outcome: bool) -> None:
    """Codes counted once per distinct value give the table (and so the very floats) that the
    pandas definition gives: groups by text, pooling after rows with a missing outcome are
    dropped, rows and columns in sorted order."""
    from loyalscope.sections.portrait import chi_square

    rng = np.random.default_rng(11)
    groups, missing = _groups(kind, rng)
    n = len(groups)
    outcome = pd.Series((rng.random(n) < 0.4).astype(float))
    if missing_outcome:
        outcome[missing | (rng.random(n) < 0.1)] = np.nan
    got, want = chi_square(groups, outcome), _reference_chi_square(groups, outcome)
    assert want is not None
    assert got == want
    assert chi_square(groups, pd.Series(np.where(outcome.isna(), np.nan, 1.0))) is None
    assert chi_square(pd.Series(["a"] * n), outcome) is None
