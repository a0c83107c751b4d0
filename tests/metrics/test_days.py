"""The shared customer-days table and what is read from it, against pandas on the orders."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.metrics import compute
from loyalscope.metrics.days import customer_days, customer_span
from loyalscope.sections.value_inputs import purchase_days


def _days(tx: pd.DataFrame) -> pd.DataFrame:
    t = tx.assign(d=tx.order_ts.dt.normalize())
    days = t.groupby(["customer_id", "d"]).size().rename("n").reset_index()
    days = days.sort_values(["customer_id", "d"]).reset_index(drop=True)
    days["prev"] = days.groupby("customer_id").d.shift()
    return days


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("source", ["orders", "purchase_days"])
def test_customer_days_match_pandas(frames, source):
    """Grouped from the orders, or read from the value section's purchase days (which hold
    the same rows): the same table."""
    ds = Dataset.from_frames(frames)
    grouped = purchase_days(ds) if source == "purchase_days" else None
    table = customer_days(ds, grouped)
    if grouped is not None:
        grouped.release()  # the customer days are stored: they outlive what they were read from
    got = _sorted(table.execute(), ["customer_id", "d"])
    want = _days(frames["transactions"])
    assert len(got) == len(want) and got.n.sum() == len(frames["transactions"])
    assert (got.customer_id == want.customer_id).all()
    assert (pd.to_datetime(got.d) == want.d).all()
    assert (got.n.to_numpy() == want.n.to_numpy()).all()
    assert (pd.to_datetime(got.prev).isna() == want.prev.isna()).all()
    both = want.prev.notna().to_numpy()
    assert (pd.to_datetime(got.prev)[both] == want.prev[both]).all()


def test_purchase_days_hold_each_days_orders_and_spend(frames):
    ds = Dataset.from_frames(frames)
    got = _sorted(purchase_days(ds).execute(), ["customer_id", "d"])
    t = frames["transactions"].assign(d=frames["transactions"].order_ts.dt.normalize())
    want = t.groupby(["customer_id", "d"]).agg(n=("amount", "size"), amt=("amount", "sum")).reset_index()
    assert (got.customer_id == want.customer_id).all()
    assert (got.n.to_numpy() == want.n.to_numpy()).all()
    np.testing.assert_allclose(got.amt.astype(float), want.amt, rtol=1e-12)
    days = (want.d - pd.Timestamp("1970-01-01")).dt.days
    assert (got.day.to_numpy() == days.to_numpy()).all()


def test_customer_span_matches_pandas(frames):
    ds = Dataset.from_frames(frames)
    got = _sorted(customer_span(ds).execute(), ["customer_id"])
    tx = frames["transactions"]
    want = tx.groupby("customer_id").order_ts.agg(["min", "max", "size"]).reset_index()
    assert (got.customer_id == want.customer_id).all()
    assert (pd.to_datetime(got.first_date) == want["min"].dt.normalize()).all()
    assert (pd.to_datetime(got.last_date) == want["max"].dt.normalize()).all()
    assert (got.orders.to_numpy() == want["size"].to_numpy()).all()


def _order_gaps(tx: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Per order after the customer's previous order in [start, end): the gap in days."""
    t = tx[(tx.order_ts >= pd.Timestamp(start)) & (tx.order_ts < pd.Timestamp(end))]
    t = t.sort_values(["customer_id", "order_ts", "order_id"])
    d = t.order_ts.dt.normalize()
    t = t.assign(gap=(d - d.groupby(t.customer_id).shift()).dt.days,
                 period=t.order_ts.dt.to_period("M").dt.start_time.dt.date)
    return t.dropna(subset=["gap"])


def test_gaps_with_same_day_orders_and_a_window_cutting_histories():
    """Several orders a day (gap 0 after the first), a window starting mid-history (the first
    order in the window has no gap), even counts (the median is the mean of the middle two)."""
    rng = np.random.default_rng(3)
    rows = []
    for c in range(40):
        days = np.sort(rng.choice(300, size=int(rng.integers(1, 12)), replace=False))
        for d in days:
            for k in range(int(rng.integers(1, 4))):  # 1-3 orders that day
                rows.append((f"c{c:02d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d), hours=k + 8)))
    tx = pd.DataFrame(rows, columns=["customer_id", "order_ts"])
    tx["order_id"] = [f"o{i:04d}" for i in range(len(tx))]
    tx["amount"] = 10.0
    ds = Dataset.from_frames({"transactions": tx})
    window = (date(2024, 3, 1), date(2024, 9, 1))
    gaps = _order_gaps(tx, *window)
    assert (gaps.gap == 0).sum() > 10 and gaps.groupby("period").size().min() > 1
    want = gaps.groupby("period").gap.agg(["sum", "size", "median"])
    assert (want["median"] % 1 == 0.5).any()  # a median between two different middle gaps
    for metric in ("interpurchase_interval", "interpurchase_interval_median"):
        got = compute(ds, metric, window=window).set_index("period")
        got = got[got.denominator > 0]
        assert list(got.index) == list(want.index)
        assert (got.numerator.to_numpy() == want["sum"].to_numpy()).all()
        assert (got.denominator.to_numpy() == want["size"].to_numpy()).all()
        if metric.endswith("median"):
            assert (got.value.to_numpy() == want["median"].to_numpy()).all()
        else:
            assert np.allclose(got.value.to_numpy(), (want["sum"] / want["size"]).to_numpy(), rtol=1e-15)
