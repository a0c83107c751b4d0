"""Per-customer frames collected from the engine, and labels shared by the rows holding them."""

from __future__ import annotations

from datetime import datetime

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from loyalscope.metrics._base import collect_by_customer, map_distinct


def _expected(arrow: pa.Table) -> pd.DataFrame:
    """The whole table through pandas: ids as text, sorted as pandas sorts text."""
    df = arrow.to_pandas()
    df = df.set_index(df.pop("customer_id").astype(str).rename("customer_id"))
    return df.sort_index(kind="stable")


@pytest.fixture()
def con():
    return ibis.duckdb.connect()


def test_text_ids_sorted_by_code_point_with_nulls_as_pandas_converts_them(con):
    arrow = pa.table({
        "customer_id": ["b9", "张三", "B", "b10", "Émile", "a", "a b"],
        "orders": pa.array([3, None, 1, 7, None, 2, 5], pa.int64()),  # a left-joined count: NaN
        "mean": pa.array([1.5, None, 2.0, None, 0.25, 3.0, 1.0], pa.float64()),
        "last_ts": pa.array([datetime(2024, 1, 2, 3, 4, 5, 6), None, datetime(2023, 5, 1),
                             datetime(2024, 2, 29, 23, 59, 59), datetime(2022, 1, 1), None,
                             datetime(2024, 1, 1)], pa.timestamp("us")),
    })
    got = collect_by_customer(con.create_table("t", arrow))
    want = _expected(con.table("t").to_pyarrow())
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.index) == ["B", "a", "a b", "b10", "b9", "É" + "mile", "张三"]
    assert got.orders.dtype == np.float64 and got.orders.isna().sum() == 2
    assert got.last_ts.dtype.kind == "M" and got.last_ts.isna().sum() == 2


def test_text_columns_as_pandas_converts_them_with_one_object_per_value(con):
    arrow = pa.table({
        "customer_id": [f"c{i}" for i in range(9)],
        "region": pa.array(["东北", None, "east", "east", None, "东北", "", "east", "west"], pa.string()),
        "none": pa.array([None] * 9, pa.string()),
    })
    got = collect_by_customer(con.create_table("t", arrow))
    want = _expected(con.table("t").to_pyarrow())
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [v is None for v in got.region] == [v is None for v in want.region]  # None, not NaN
    assert len({id(v) for v in got.region}) == 5  # 东北, east, "", west, None


def test_ids_that_are_numbers_in_the_engine_are_sorted_as_text(con):
    arrow = pa.table({"customer_id": pa.array([2, 100, 1, 10], pa.int64()), "x": [0.2, 100.0, 0.1, 10.0]})
    got = collect_by_customer(con.create_table("t", arrow))
    assert list(got.index) == ["1", "10", "100", "2"]
    assert got.x.tolist() == [0.1, 10.0, 100.0, 0.2]
    pd.testing.assert_frame_equal(got, _expected(con.table("t").to_pyarrow()), check_exact=True)


def test_a_time_zone_is_kept_as_pandas_keeps_it(con):
    arrow = pa.table({"customer_id": ["b", "a", "c"],
                      "ts": pa.array([datetime(2024, 1, 2, 3), None, datetime(2023, 5, 1)], pa.timestamp("us", tz="UTC"))})
    con.create_table("t", arrow)
    got = collect_by_customer(con.table("t"))
    want = _expected(con.table("t").to_pyarrow())
    assert isinstance(want.ts.dtype, pd.DatetimeTZDtype)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_no_rows(con):
    arrow = pa.table({"customer_id": pa.array([], pa.string()), "x": pa.array([], pa.float64())})
    got = collect_by_customer(con.create_table("t", arrow))
    assert got.empty and list(got.columns) == ["x"] and got.index.name == "customer_id"


def test_map_distinct_calls_once_per_value_and_shares_the_results():
    calls: list[object] = []

    def label(v: object) -> str:
        calls.append(v)
        return f"segments.name.{v}"

    values = np.array(["champions", "at_risk", np.nan, "champions", "at_risk", np.nan, "lost"], dtype=object)
    got = map_distinct(values, label)
    assert list(got) == [f"segments.name.{v}" for v in values]  # a missing value is passed too, as Series.map does
    assert len(calls) == 4 and sum(isinstance(c, float) for c in calls) == 1
    assert got[0] is got[3] and got[1] is got[4] and got[2] is got[5]
    assert len({id(v) for v in got}) == 4
    assert map_distinct(np.array([], dtype=object), label).shape == (0,)


def test_frames_of_one_dataset_share_the_id_objects():
    """The per-customer frames of a run hold one set of id texts, not one per frame; a frame
    of other customers keeps its own (and is not held)."""
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.dataset import Dataset

    ids = [f"c{i:03d}" for i in range(50)]
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(100)], "customer_id": ids[::-1] * 2,
                       "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(100), "D"),
                       "amount": np.arange(100, dtype=float) + 1})
    ds = Dataset.from_frames({"transactions": tx}, config=AnalysisConfig())
    t = ds.table("transactions", "customer_id", "amount")
    a = collect_by_customer(t.group_by("customer_id").aggregate(n=t.count()), ds)
    b = collect_by_customer(t.group_by("customer_id").aggregate(total=t.amount.sum()), ds)
    few = t.filter(t.customer_id < "c010")
    c = collect_by_customer(few.group_by("customer_id").aggregate(n=few.count()), ds)
    assert list(a.index) == list(b.index) == sorted(ids) and list(c.index) == sorted(ids)[:10]
    assert all(x is y for x, y in zip(a.index, b.index, strict=True))
    assert not any(x is y for x, y in zip(a.index[:10], c.index, strict=True))
    fresh = collect_by_customer(t.group_by("customer_id").aggregate(n=t.count()))  # no dataset given
    assert not any(x is y for x, y in zip(a.index, fresh.index, strict=True))
