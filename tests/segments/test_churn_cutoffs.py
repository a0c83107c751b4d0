"""The churn features at several cut-offs at once (the training, validation and scoring frames
of ``churn_risk``) against an independent pandas computation from the raw rows, on DuckDB and,
as the engine SQL combines one order aggregate per slice between cut-offs with full outer joins,
on Spark and PostgreSQL too."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.segments.churn import _fetch


def _cutoffs() -> list[date]:
    # the first cut-off falls while customers are still arriving (first orders in [0, 300] days),
    # so some customers first buy in the second or third slice, and some skip a slice
    first = (pd.Timestamp("2022-01-01") + pd.Timedelta(days=150)).date()
    return [first, first + timedelta(days=40), first + timedelta(days=95)]


def _expected(frames: dict[str, pd.DataFrame], cut: date, after: date | None) -> pd.DataFrame:
    """The features at ``cut`` from the raw rows, in pandas (and the label up to ``after``)."""
    ts = pd.Timestamp(cut)
    tx = frames["transactions"]
    tx = tx.assign(order_ts=tx.order_ts.dt.floor("us"))  # the engines keep microseconds
    before = tx[tx.order_ts < ts]
    g = before.groupby("customer_id")
    out = pd.DataFrame({
        "recency_days": (ts - g.order_ts.max()).dt.total_seconds() / 86400,
        "frequency": g.size().astype(float),
        "monetary": g.amount.apply(lambda a: a.round(4).sum()),
        "tenure_days": (ts - g.order_ts.min()).dt.total_seconds() / 86400,
    })
    cp = frames["complaints"]
    cp = cp[cp.opened_ts < ts]
    out["complaints"] = cp.groupby("customer_id").size().reindex(out.index, fill_value=0).astype(float)
    closed = cp.resolved.fillna(False).astype(bool) & cp.closed_ts.notna() & (cp.closed_ts < ts)
    out["unresolved_complaints"] = ((~closed).groupby(cp.customer_id).sum()
                                    .reindex(out.index, fill_value=0).astype(float))
    sv = frames["surveys"]
    out["nps"] = sv[sv.answered_ts < ts].groupby("customer_id").nps.mean().reindex(out.index)
    if after is not None:
        later = tx[(tx.order_ts >= ts) & (tx.order_ts < pd.Timestamp(after))]
        out["churned"] = (~out.index.isin(later.customer_id)).astype(int)
    out.index.name = "customer_id"
    return out.sort_index()


def _check(ds: Dataset, frames: dict[str, pd.DataFrame]) -> None:
    cuts = _cutoffs()
    got = _fetch(ds, cuts)
    sizes = []
    for i, cut in enumerate(cuts):
        want = _expected(frames, cut, cuts[i + 1] if i + 1 < len(cuts) else None)
        have = got[i]
        assert have.index.tolist() == want.index.tolist()
        assert list(have.columns) == list(want.columns)
        for c in want.columns:
            if c == "monetary":  # exact decimal sum in the engine, float sum in pandas
                np.testing.assert_allclose(have[c], want[c], rtol=1e-12, err_msg=c)
            else:
                np.testing.assert_array_equal(have[c].to_numpy(float), want[c].to_numpy(float), err_msg=c)
        sizes.append(len(have))
    # the cases the slices must combine: customers arriving after the first cut-off, and
    # customers with orders before and after a slice in which they bought nothing
    assert sizes[0] < sizes[1] < sizes[2]
    tx = frames["transactions"]
    slice_of = np.searchsorted([pd.Timestamp(c) for c in cuts], tx.order_ts, side="right")
    seen = pd.DataFrame({"c": tx.customer_id, "s": slice_of})
    seen = seen[seen.s < 3].drop_duplicates()
    per = seen.groupby("c").s.apply(set)
    assert (per.apply(lambda s: s == {0, 2})).any()


def test_features_at_three_cutoffs_equal_pandas(shop_frames: dict[str, pd.DataFrame], shop: Dataset) -> None:
    _check(shop, shop_frames)


@pytest.mark.slow
@pytest.mark.spark
def test_features_at_three_cutoffs_on_spark(shop_frames: dict[str, pd.DataFrame], spark_con) -> None:
    _check(Dataset.from_frames(shop_frames, con=spark_con), shop_frames)


@pytest.mark.slow
@pytest.mark.postgres
def test_features_at_three_cutoffs_on_postgres(shop_frames: dict[str, pd.DataFrame], postgres_url: str) -> None:
    from loyalscope.engine import connect

    ds = Dataset.from_frames(shop_frames, con=connect(postgres_url))
    try:
        _check(ds, shop_frames)
    finally:
        ds.release()
