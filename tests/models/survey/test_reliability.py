"""Reliability measures against plspm's published alphas and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_spec import ecsi_spec
from loyalscope.models.survey.reliability import (
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    cross_loading_breaches,
    htmt,
    reliability_table,
)

# Sanchez (2013), plspm `satisfaction` data, standardised Cronbach's alpha per block
PUBLISHED_ALPHA_STD = {"Image": 0.8302, "Expectations": 0.8466, "Quality": 0.8713, "Value": 0.8357,
                       "Satisfaction": 0.8940, "Loyalty": 0.8194}


@pytest.fixture(scope="module")
def table(bank) -> pd.DataFrame:
    spec = ecsi_spec()
    return reliability_table(bank, spec.blocks, PLSPM.from_spec(spec, consistent=False).fit(bank).loadings_)


@pytest.mark.parametrize("lv", sorted(PUBLISHED_ALPHA_STD))
def test_standardised_alpha_matches_plspm(table, lv) -> None:
    assert round(table.loc[lv, "alpha_std"], 3) == round(PUBLISHED_ALPHA_STD[lv], 3)


def test_raw_alpha_differs_as_published(table) -> None:
    assert table.loc["Image", "alpha"] == pytest.approx(0.8219, abs=1e-4)


def test_alpha_of_parallel_items_is_spearman_brown() -> None:
    rng = np.random.default_rng(0)
    t = rng.standard_normal(5000)
    x = np.column_stack([t + rng.standard_normal(5000) for _ in range(4)])
    raw, std = cronbach_alpha(x)
    r = np.corrcoef(x, rowvar=False)[np.triu_indices(4, 1)].mean()
    assert std == pytest.approx(4 * r / (1 + 3 * r))
    assert raw == pytest.approx(std, abs=0.01)


def test_rho_and_ave_closed_forms() -> None:
    lam = np.array([0.7, 0.8, 0.9])
    assert composite_reliability(lam) == pytest.approx(2.4 ** 2 / (2.4 ** 2 + 0.51 + 0.36 + 0.19))
    assert average_variance_extracted(lam) == pytest.approx((0.49 + 0.64 + 0.81) / 3)


def test_htmt_near_one_for_the_same_construct_and_flags() -> None:
    rng = np.random.default_rng(1)
    t, u = rng.standard_normal((2, 3000))
    items = [t + 0.5 * rng.standard_normal(3000) for _ in range(4)]
    items += [u + 0.5 * rng.standard_normal(3000) for _ in range(2)]
    x = np.column_stack(items)
    h = htmt(x, [[0, 1], [2, 3], [4, 5]])
    assert h[0, 1] == pytest.approx(1, abs=0.03) and abs(h[0, 2]) < 0.1
    data = pd.DataFrame(x, columns=list("abcdef"))
    tab = reliability_table(data, {"T1": ["a", "b"], "T2": ["c", "d"], "U": ["e", "f"]})
    assert "HTMT" in tab.loc["T1", "flags"] and tab.loc["U", "flags"] == ""


def test_low_alpha_and_cross_loading_flagged() -> None:
    rng = np.random.default_rng(2)
    n = 2000
    t = rng.standard_normal(n)
    data = pd.DataFrame({"a": t + rng.standard_normal(n), "b": rng.standard_normal(n),
                         "c": t + 0.3 * rng.standard_normal(n), "d": t + 0.3 * rng.standard_normal(n)})
    tab = reliability_table(data, {"Weak": ["a", "b"], "Strong": ["c", "d"]})
    assert "alpha<0.7" in tab.loc["Weak", "flags"] and "rho<0.7" in tab.loc["Weak", "flags"]
    cross = pd.DataFrame({"Weak": [0.8, 0.3, 0.2], "Strong": [0.1, 0.5, 0.9]}, index=["a", "b", "c"])
    breaches = cross_loading_breaches(cross, {"Weak": ["a", "b"], "Strong": ["c"]})
    assert breaches["item"].tolist() == ["b"] and breaches["other_lv"].tolist() == ["Strong"]
