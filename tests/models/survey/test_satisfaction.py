"""Survey statistics against their definitions and SciPy's paired tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from loyalscope.errors import InsufficientDataError
from loyalscope.models.survey.drivers import relative_weights
from loyalscope.models.survey.satisfaction import (
    competitor_comparison,
    csat_top2,
    loyalty_index,
    mention_rate,
    satisfaction_index,
    satisfaction_score,
)


def test_csat_top2_any_scale() -> None:
    assert csat_top2([1, 2, 3, 4, 5, 5, np.nan], scale_max=5).value == pytest.approx(3 / 6)
    e = csat_top2([7, 6, 5, 1], scale_max=7, min_n=3)
    assert (e.value, e.n, e.small_sample) == (0.5, 4, False)
    assert csat_top2([5] * 10).small_sample is True
    with pytest.raises(ValueError, match="csat_scale_max"):
        csat_top2([6], scale_max=5)


def test_mean_indices() -> None:
    assert satisfaction_score([3, 4, 5], scale_max=5).value == pytest.approx(80.0)
    assert loyalty_index([10, 5], scale_max=10).value == pytest.approx(75.0)
    with pytest.raises(InsufficientDataError):
        satisfaction_score([np.nan], scale_max=5)


def test_mention_rate() -> None:
    e = mention_rate([True, False, None, True])
    assert (e.value, e.n) == (pytest.approx(2 / 3), 3)


def test_satisfaction_index_weights() -> None:
    dims = pd.DataFrame({"quality": [5, 3, np.nan], "price": [1, 3, 2]})
    idx, table = satisfaction_index(dims, weights={"quality": 3, "price": 1})
    # quality mean 4 -> 75, price mean 2 -> 25 (respondent 3 incomplete)
    assert idx.value == pytest.approx(0.75 * 75 + 0.25 * 25)
    assert idx.n == 2
    assert table["score"].tolist() == pytest.approx([75, 25])
    equal, _ = satisfaction_index(dims)
    assert equal.value == pytest.approx(50)


def test_satisfaction_index_driver_weights() -> None:
    rng = np.random.default_rng(0)
    dims = pd.DataFrame(rng.integers(1, 6, size=(200, 3)), columns=["a", "b", "c"]).astype(float)
    y = 2 * dims["a"] + dims["b"] + rng.normal(size=200)
    _, table = satisfaction_index(dims, outcome=y)
    rw = relative_weights(dims.to_numpy(), y)
    assert table["weight"].to_numpy() == pytest.approx(rw / rw.sum())


def test_competitor_comparison_paired() -> None:
    rng = np.random.default_rng(1)
    ours = pd.DataFrame({"quality": rng.integers(1, 6, 80).astype(float),
                         "nps": rng.integers(0, 11, 80).astype(float)})
    comp = pd.DataFrame({"quality": rng.integers(1, 6, 80).astype(float),
                         "nps": rng.integers(0, 11, 80).astype(float)})
    comp.loc[0, "quality"] = np.nan
    df = competitor_comparison(ours, {"acme": comp}).set_index("dimension")
    q = df.loc["quality"]
    a, b = ours["quality"][1:], comp["quality"][1:]
    assert q["n"] == 79
    assert q["gap"] == pytest.approx(a.mean() - b.mean())
    assert q["t_p"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert q["wilcoxon_p"] == pytest.approx(stats.wilcoxon(a - b).pvalue)

    def nps(x: pd.Series) -> float:
        return 100 * ((x >= 9).mean() - (x <= 6).mean())

    assert df.loc["nps", "gap"] == pytest.approx(nps(ours["nps"]) - nps(comp["nps"]))
