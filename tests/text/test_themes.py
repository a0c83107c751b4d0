"""Tokens and c-TF-IDF themes, checked against hand counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from loyalscope.text.themes import c_tf_idf, themes
from loyalscope.text.tokens import tokens


def test_chinese_is_segmented_and_latin_lowercased() -> None:
    assert tokens("快递太慢，配送延迟") == ["快递", "太慢", "配送", "延迟"]
    assert tokens("Produto com DEFEITO, muito ruim") == ["produto", "defeito", "muito", "ruim"]
    assert tokens(None) == [] and tokens("   ") == []  # type: ignore[arg-type]


def test_c_tf_idf_by_hand() -> None:
    w = c_tf_idf({"a": [["x", "y"], ["x"]], "b": [["y", "z"]]})
    # tf(x, a) = 2/3, f(x) = 2, A = (3 + 2) / 2
    assert w["a"]["x"] == pytest.approx(2 / 3 * math.log(1 + 2.5 / 2))
    assert w["b"]["z"] == pytest.approx(1 / 2 * math.log(1 + 2.5 / 1))


def test_themes_separate_groups_with_shares_trend_and_examples() -> None:
    low = ["退换货流程太麻烦。"] * 12 + ["快递太慢。"] * 8
    high = ["产品质量很好。"] * 30 + ["快递太慢。"] * 10
    texts = pd.Series(low + high)
    focus = pd.Series([True] * len(low) + [False] * len(high))
    periods = pd.Series(["2025Q1"] * 10 + ["2025Q2"] * 10 + ["2025Q2"] * 40)
    found = themes(texts, focus, periods)
    assert found[0].term.split(" · ")[0] in {"退换货", "流程", "麻烦"}
    assert set(found[0].term.split(" · ")) == {"退换货", "流程", "麻烦"}  # one theme, not three
    assert found[0].share_focus == pytest.approx(12 / 20) and found[0].share_other == 0.0
    # trend of the share among the focus group's texts: Q2 (2 of 10) minus Q1 (10 of 10)
    assert found[0].trend == pytest.approx(2 / 10 - 10 / 10)
    assert found[0].examples == ["退换货流程太麻烦。"]
    # "快递" is as common among the satisfied (10/40) as among the others (8/20 is not beyond chance here)
    p = 18 / 60
    z = (8 / 20 - 10 / 40) / math.sqrt(p * (1 - p) * (1 / 20 + 1 / 40))
    assert (z >= 1.96) == any("快递" in th.term for th in found)
