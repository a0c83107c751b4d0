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


def test_terms_of_equal_weight_come_in_the_same_order_in_every_process() -> None:
    """Terms that always come together have the same weight: the theme names them in term
    order, not in the order of a Python set (which changes with the process' hash seed)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, pandas as pd; from loyalscope.text.themes import themes; "
            "t = pd.Series(['delay refund courier'] * 12 + ['great product'] * 30); "
            "f = pd.Series([True] * 12 + [False] * 30); "
            "print(json.dumps([th.term for th in themes(t, f)]))")
    seen = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout
        seen.add(out)
    assert len(seen) == 1
    assert json.loads(seen.pop()) == ["courier · delay · refund"]


def test_repeated_texts_give_the_themes_of_distinct_ones() -> None:
    """Each distinct text is segmented once: the same shares, counts, z and trends as texts that
    are all different (digits, which tokens drop, make them distinct here)."""
    low = ["退换货流程太麻烦。"] * 12 + ["快递太慢。"] * 8 + ["客服态度差 refund"] * 9
    high = ["产品质量很好。"] * 30 + ["快递太慢。"] * 10 + ["客服态度差 refund"] * 3
    focus = pd.Series([True] * len(low) + [False] * len(high))
    periods = pd.Series(["2025Q1", "2025Q2"] * ((len(low) + len(high)) // 2))
    same = themes(pd.Series(low + high), focus, periods)
    distinct = themes(pd.Series([f"{x} {i}" for i, x in enumerate(low + high)]), focus, periods)
    assert len(same) >= 2
    assert [(th.term, th.share_focus, th.share_other, th.n_focus, th.n_other, th.z, th.trend)
            for th in same] == [
        (th.term, th.share_focus, th.share_other, th.n_focus, th.n_other, th.z, th.trend)
        for th in distinct]


def test_examples_do_not_depend_on_the_order_of_the_rows() -> None:
    """The shortest texts of the theme, equal lengths in text order: the engine returns the
    rows of a parallel scan in another order from run to run, and the report's examples
    changed with it."""
    low = ["退换货流程太麻烦～", "退换货流程太麻烦,质量一般。", "退换货流程太麻烦！", "退换货流程太麻烦。",
           "退换货流程太麻烦,客服慢。"] * 4  # three shortest of equal length
    high = ["产品质量很好。"] * 40
    texts = pd.Series(low + high)
    focus = pd.Series([True] * len(low) + [False] * len(high))
    seen = set()
    for seed in range(6):
        order = texts.sample(frac=1, random_state=seed).index
        found = themes(texts.loc[order].reset_index(drop=True), focus.loc[order].reset_index(drop=True))
        seen.add(tuple(found[0].examples))
    assert seen == {("退换货流程太麻烦。", "退换货流程太麻烦！")}


def test_quarter_labels_from_the_engine_are_those_of_pandas_periods() -> None:
    """The themes' trend groups texts by quarter; the label computed in the engine is the one
    pandas writes for a quarterly period, and ``NaT`` where there is no time."""
    import ibis
    import pandas as pd

    from loyalscope.sections._themes import quarter_label

    stamps = pd.Series(pd.to_datetime(["2024-01-01 00:00:00", "2024-03-31 23:59:59", "2024-04-01 00:00:00", None,
                                       "1999-12-31 12:00:00", "2025-07-15 00:00:00"]), name="ts")
    con = ibis.duckdb.connect()
    t = con.create_table("t", pd.DataFrame({"i": range(len(stamps)), "ts": stamps}))
    got = t.order_by("i").select(q=quarter_label(ibis._.ts)).to_pandas()["q"].tolist()
    assert got == stamps.dt.to_period("Q").astype(str).tolist()
    assert got[3] == "NaT" and got[0] == "2024Q1" and got[2] == "2024Q2"
