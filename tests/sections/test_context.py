"""The scored-customer table: columns added by the sections land on their customers, whether a
frame comes in the table's order (added without a merge) or in any other order or subset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.sections.context import SectionContext


def _merged(base: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Independent: a left merge on customer_id of every new column."""
    frame = frame.assign(customer_id=frame.customer_id.astype("string"))
    new = [c for c in frame.columns if c == "customer_id" or c not in base.columns]
    return base.merge(frame[new], on="customer_id", how="left")


@pytest.mark.parametrize("order", ["same", "shuffled", "subset", "superset", "duplicated"])
def test_added_columns_equal_a_left_merge(order: str) -> None:
    rng = np.random.default_rng(7)
    ids = [f"c{i:04d}" for i in range(500)]
    ctx = SectionContext(config=AnalysisConfig.load())
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ids, "clv": rng.gamma(2.0, 10.0, 500)}))
    frame = pd.DataFrame({"score": rng.integers(1, 6, 500), "customer_id": ids,
                          "tier": pd.array(rng.choice(["A", "B", None], 500), dtype="string"),
                          "flag": rng.random(500) < 0.5, "clv": 0.0,
                          "kind": pd.Categorical(rng.choice(["x", "y"], 500)),
                          "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 99, 500), "D"),
                          "count": pd.array(rng.integers(0, 9, 500), dtype="Int64")},
                         index=np.arange(1000, 1500))
    if order == "shuffled":
        frame = frame.sample(frac=1.0, random_state=1)
    elif order == "subset":
        frame = frame.iloc[::3]
    elif order == "superset":  # ids the table does not hold: left out, as by the merge
        frame = pd.concat([frame.iloc[::2], frame.iloc[:40].assign(customer_id=[f"x{i}" for i in range(40)])])
    elif order == "duplicated":  # not a key: the merge itself (one row per match)
        frame = pd.concat([frame.iloc[::2], frame.iloc[:5]])
    want = _merged(ctx.customers.copy(), frame)
    ctx.add_customer_columns(frame)
    pd.testing.assert_frame_equal(ctx.customers, want)
    assert ctx.customers.clv.gt(0).all()  # a column already there is not replaced


@pytest.mark.parametrize("ids", ["int", "text"])
def test_ids_given_as_numbers_or_text_land_on_the_same_customers(ids: str) -> None:
    ctx = SectionContext(config=AnalysisConfig.load())
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ["1", "2", "3"], "a": [1.0, 2.0, 3.0]}))
    raw = [3, 1, 2] if ids == "int" else ["3", "1", "2"]
    frame = pd.DataFrame({"customer_id": raw, "b": [30.0, 10.0, 20.0]})
    want = _merged(ctx.customers.copy(), frame)
    ctx.add_customer_columns(frame)
    pd.testing.assert_frame_equal(ctx.customers, want)
    assert ctx.customers.b.tolist() == [10.0, 20.0, 30.0]


@pytest.mark.parametrize("order", ["same", "shuffled", "subset", "unknown"])
def test_customer_values_equal_a_reindex_by_id(order: str) -> None:
    rng = np.random.default_rng(3)
    ids = [f"c{i:04d}" for i in range(300)]
    ctx = SectionContext(config=AnalysisConfig.load())
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ids, "clv": rng.gamma(2.0, 10.0, 300),
                                           "tier": rng.choice(["A", "B"], 300),
                                           "n": rng.integers(0, 9, 300)}))
    want_ids: list[str] = list(ids)
    if order == "shuffled":
        want_ids = list(rng.permutation(ids))
    elif order == "subset":
        want_ids = ids[::7]
    elif order == "unknown":  # ids the table does not hold: missing, as reindex fills them
        want_ids = [*ids[:5], "zz1", "zz2"]
    target = pd.Index(want_ids, name="customer_id")
    cu = ctx.customers
    want = cu.set_index("customer_id")[["clv", "tier", "n"]].reindex(target)
    got = ctx.customer_values(["clv", "tier", "n"], target)
    pd.testing.assert_frame_equal(got, want, check_index_type=False)
    assert list(got.index) == want_ids


def test_customer_index_follows_a_replaced_table() -> None:
    # the non-key path merges, which builds a new table (and a new id column): the index
    # built before it must not be used for the new rows
    ctx = SectionContext(config=AnalysisConfig.load())
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]}))
    first = ctx.customer_index()
    assert ctx.customer_index() is first  # built once
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ["b", "b"], "y": [5.0, 6.0]}))  # not a key
    assert list(ctx.customers.customer_id) == ["a", "b", "b", "c"]
    assert list(ctx.customer_index()) == ["a", "b", "b", "c"]
    with pytest.raises(ValueError):  # duplicated ids: no look-up by id, as reindex refuses
        ctx.customer_values(["x"], pd.Index(["a"]))
