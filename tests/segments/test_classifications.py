"""Customer classes, quadrant, loyalty types, loyalty dimensions, Kotler levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalscope.errors import ConfigError
from loyalscope.segments.classes import customer_classes
from loyalscope.segments.dimensions import loyalty_dimensions
from loyalscope.segments.loyalty_types import load_rules, loyalty_types
from loyalscope.segments.quadrant import quadrant_shares, sat_loyalty_quadrant
from loyalscope.segments.relationship import relationship_level


def test_customer_classes_precedence() -> None:
    s = pd.DataFrame({"frequency": [1, 3, 1, 5], "monetary": [10.0, 20.0, 500.0, 30.0]})
    got = customer_classes(s, spend_threshold=100.0).tolist()
    assert got == ["ordinary", "repeat", "high_end", "repeat"]


def test_quadrant_cells_and_missing() -> None:
    sat = pd.Series([0.9, 0.9, 0.2, 0.2, np.nan])
    loy = pd.Series([0.8, 0.1, 0.8, 0.1, 0.5])
    q = sat_loyalty_quadrant(sat, loy, sat_cut=0.75, loyalty_cut=0.5)
    assert q.iloc[:4].tolist() == ["apostle", "mercenary", "hostage", "defector"]
    assert pd.isna(q.iloc[4])
    assert quadrant_shares(q) == {"apostle": 0.25, "mercenary": 0.25, "hostage": 0.25, "defector": 0.25}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"is_employee": True, "satisfaction": 0.9}, "kinship"),
        ({"is_employee": False, "alternatives": 0, "satisfaction": 0.2}, "monopoly"),
        ({"alternatives": 3, "promo_share": 0.8, "satisfaction": 0.9}, "incentive"),
        ({"alternatives": 3, "promo_share": 0.1, "price_sensitivity": 0.9}, "price"),
        ({"alternatives": 3, "promo_share": 0.1, "price_sensitivity": 0.2, "satisfaction": 0.9}, "value"),
        ({"alternatives": 3, "promo_share": 0.1, "price_sensitivity": 0.2, "satisfaction": 0.5}, "inertia"),
        ({"alternatives": 3}, "unclassified"),
    ],
)
def test_loyalty_type_rules(row: dict, expected: str) -> None:
    frame = pd.DataFrame([row])
    got = loyalty_types(frame, lang="en")
    assert got.loyalty_type.iloc[0] == expected
    if expected != "unclassified":
        rule = next(r for r in load_rules() if r.id == expected)
        assert got.rule.iloc[0] == rule.en


def test_loyalty_type_rules_file_is_checked(tmp_path: Path) -> None:
    p = tmp_path / "r.toml"
    p.write_text('[[rule]]\nid = "x"\nwhen = [{ field = "shoe_size", op = ">", value = 1 }]\n')
    with pytest.raises(ConfigError) as err:
        load_rules(p)
    assert err.value.file == str(p)


def test_loyalty_dimensions() -> None:
    c = pd.DataFrame({"frequency": [1, 5], "recency_days": [300.0, 3.0],
                      "repurchase_intent": [1.0, 5.0], "csat": [3.0, np.nan], "nps": [5.0, 10.0]})
    d = loyalty_dimensions(c)
    assert d.behavioural.tolist() == [0.5, 1.0]
    assert d.attitudinal.tolist() == [0.0, 1.0]
    assert d.emotional.tolist() == [0.5, 1.0]


def test_loyalty_dimensions_read_each_answer_on_its_own_scale() -> None:
    # a 0-10 satisfaction rating (a Google Forms "how would you rate") and a 1-7 intent: a 5 of
    # 10 is half satisfied (it was (5 - 1) / 9, the low end taken as 1), a 7 of 7 the top
    c = pd.DataFrame({"frequency": [1, 5], "recency_days": [300.0, 3.0],
                      "repurchase_intent": [1.0, 7.0], "csat": [5.0, 10.0], "nps": [5.0, 10.0]})
    d = loyalty_dimensions(c, (0.0, 10.0), (1.0, 7.0))
    assert d.attitudinal.tolist() == [0.0, 1.0]
    assert d.emotional.tolist() == [0.5, 1.0]


@pytest.mark.parametrize(
    ("n", "margin", "level"),
    [(50_000, 0.05, "basic"), (50_000, 0.2, "reactive"), (50_000, 0.5, "accountable"),
     (500, 0.05, "reactive"), (500, 0.2, "accountable"), (500, 0.5, "proactive"),
     (20, 0.05, "accountable"), (20, 0.2, "proactive"), (20, 0.5, "partnership")],
)
def test_kotler_table(n: int, margin: float, level: str) -> None:
    assert relationship_level(n, margin) == level
