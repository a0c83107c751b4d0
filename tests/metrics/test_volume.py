"""Volume metrics (orders, revenue, buyers, new customers) against pandas, and a metric split by a
column with nulls keeps one row per group (the null group once)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference import bucket, calendar

from loyalscope.data.dataset import Dataset
from loyalscope.metrics import compute


def _expected(frames, metric: str, grain: str, by: str | None) -> pd.DataFrame:
    tx = frames["transactions"].copy()
    tx["period"] = bucket(tx.order_ts, grain)
    if metric == "new_customers":
        first = tx.sort_values("order_ts").drop_duplicates("customer_id")
        tx = first
    if by:
        tx = tx.merge(frames["customers"][["customer_id", by]], on="customer_id", how="left")
    keys = ["period", *([by] if by else [])]
    g = tx.groupby(keys, dropna=False)
    val = {"orders": g.order_id.count(), "revenue": g.amount.sum(), "buyers": g.customer_id.nunique(),
           "new_customers": g.customer_id.count()}[metric].rename("value").reset_index()
    if not by:
        val = calendar(frames, grain)[["period"]].merge(val, on="period", how="left").fillna(0.0)
    return val


@pytest.mark.parametrize("by", [None, "region"])
@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("metric", ["orders", "revenue", "buyers", "new_customers"])
def test_volume_matches_pandas(ds, frames, metric: str, grain: str, by: str | None) -> None:
    got = compute(ds, metric, period=grain, by=by)
    ref = _expected(frames, metric, grain, by)
    keys = ["period", *([by] if by else [])]
    got = got.set_index(keys).sort_index()
    ref = ref.set_index(keys).sort_index()
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got.value, ref.value.astype(float), rtol=1e-9)
    assert (got.denominator == 1.0).all()


def test_split_by_a_column_with_nulls_returns_the_null_group_once(frames) -> None:
    cust = frames["customers"].copy()
    cust["member_tier"] = np.where(np.arange(len(cust)) % 3 == 0, None, "gold")
    ds = Dataset.from_frames({**frames, "customers": cust})
    got = compute(ds, "complaints_per_1000_orders", period="quarter", by="member_tier")
    assert not got.duplicated(["period", "member_tier"]).any()
    tx = frames["transactions"].merge(cust[["customer_id", "member_tier"]], how="left")
    k = frames["complaints"].merge(cust[["customer_id", "member_tier"]], how="left")
    tx["period"], k["period"] = bucket(tx.order_ts, "quarter"), bucket(k.opened_ts, "quarter")
    o = tx.groupby(["period", "member_tier"], dropna=False).size()
    c = k.groupby(["period", "member_tier"], dropna=False).size()
    ref = pd.DataFrame({"o": o, "c": c}).fillna(0).reset_index()
    ref["member_tier"] = ref.member_tier.fillna("<na>")
    ref = ref.set_index(["period", "member_tier"])
    for row in got.itertuples():
        tier = row.member_tier if isinstance(row.member_tier, str) else "<na>"
        r = ref.loc[(row.period, tier)]
        assert (row.numerator, row.denominator) == (r.c, r.o)
    assert len(got) == len(ref)


@pytest.mark.parametrize(("metric", "by"), [("orders", "region"), ("revenue", None),
                                            ("buyers", "region"), ("new_customers", None),
                                            ("complaints_per_1000_orders", "region")])
def test_volumes_agree_on_other_engines(ds, other_engine, metric: str, by: str | None) -> None:
    a = compute(other_engine, metric, "month", by=by)
    b = compute(ds, metric, "month", by=by)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, check_dtype=False)
