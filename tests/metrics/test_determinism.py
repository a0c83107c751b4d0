"""Run-to-run determinism: a metric gives the same value to the last bit whatever the order in
which the engine reads the rows. A multi-threaded engine adds rows in a different order on
each run, so a float sum (share_of_wallet's shares, clv_simple's mean acquisition cost) changed
in the last bits between two analyses of the same data; the sums are now exact (decimal).

The tests feed the same rows in another order (shuffled, on a DuckDB connection with two
threads), and run clv_simple again and again on a customers table of several row groups (DuckDB
splits those between threads: its float mean changed from run to run there), and require
exactly equal frames; before the exact sums share_of_wallet failed the first and clv_simple the
second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from canonical_frames import make_frames

from loyalscope.config import DuckDBSettings
from loyalscope.data.dataset import Dataset
from loyalscope.engine import connect_duckdb
from loyalscope.metrics import compute

METRICS = ["share_of_wallet", "clv_simple", "interaction_frequency", "resolution_time"]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    fr = make_frames(seed=11, n_customers=300, n_orders=3000)
    rng = np.random.default_rng(11)
    n = 2000  # shares with every decimal a float has: their float sum depends on the order
    surveys = pd.DataFrame({
        "response_id": [f"s{i}" for i in range(n)],
        "customer_id": rng.choice(fr["customers"].customer_id, n),
        "answered_ts": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n),
                                                                    unit="h"),
        "share_of_wallet": rng.uniform(0, 1, n),
    })
    cust = fr["customers"].assign(acquisition_cost=rng.uniform(5, 50, len(fr["customers"])))
    # resolution times to the microsecond: their float sum in hours depends on the order
    opened = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400 * 10**6, n), unit="us")
    complaints = pd.DataFrame({
        "complaint_id": [f"k{i}" for i in range(n)],
        "customer_id": rng.choice(fr["customers"].customer_id, n),
        "opened_ts": opened,
        "closed_ts": opened + pd.to_timedelta(rng.integers(60 * 10**6, 30 * 86400 * 10**6, n), unit="us"),
    })
    return {**fr, "surveys": surveys, "customers": cust, "complaints": complaints}


@pytest.fixture(scope="module")
def shuffled(frames, config) -> Dataset:
    """The same rows in another order, on a DuckDB with two threads."""
    out = {k: v.sample(frac=1.0, random_state=3).reset_index(drop=True) for k, v in frames.items()}
    return Dataset.from_frames(out, config=config,
                               con=connect_duckdb(None, DuckDBSettings(threads=2)))


@pytest.mark.parametrize("by", [None, "region", "channel"])
@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("metric", METRICS)
def test_same_bits_whatever_the_row_order(ds, shuffled, metric: str, grain: str,
                                          by: str | None) -> None:
    a = compute(ds, metric, grain, by=by)
    b = compute(shuffled, metric, grain, by=by)
    assert len(a) >= 4 and a["value"].notna().sum() >= 3
    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{metric} {grain} by {by}")


def test_the_exact_sums_equal_pandas(frames, ds) -> None:
    """Exact, not merely repeatable: share_of_wallet's numerator is the correctly rounded sum
    of the shares (math.fsum), and the mean acquisition cost behind clv_simple is pandas'
    mean of the costs rounded to 0.0001 (money)."""
    import math

    got = compute(ds, "share_of_wallet", "quarter").set_index("period")
    s = frames["surveys"]
    q = s.answered_ts.dt.to_period("Q").dt.start_time.dt.date
    for period, shares in s.share_of_wallet.groupby(q):
        assert got.loc[period, "numerator"] == pytest.approx(math.fsum(shares), rel=1e-15, abs=0)
        assert got.loc[period, "denominator"] == len(shares)
    clv = compute(ds, "clv_simple", "quarter").dropna(subset=["value"])
    churn = compute(ds, "churn_rate", "quarter").set_index("period")
    acq = frames["customers"].acquisition_cost.round(4).mean()
    for row in clv.itertuples():
        rate = churn.loc[row.period, "numerator"] / churn.loc[row.period, "denominator"]
        want = row.numerator / row.denominator / rate - acq
        assert row.value == pytest.approx(want, rel=1e-12)


@pytest.mark.slow
def test_clv_simple_same_bits_on_a_large_customers_table(frames, config) -> None:
    """A million customers (DuckDB splits them between its two threads); each run is a fresh
    query. With a float mean of the acquisition costs, 10 such runs gave 4 distinct values."""
    rng = np.random.default_rng(5)
    n = 1_000_000
    extra = pd.DataFrame({
        "customer_id": [f"x{i:07d}" for i in range(n)],
        "signup_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n),
                                                                    unit="D"),
        "acquisition_cost": rng.uniform(5, 50, n),
        "channel": rng.choice(["web", "store"], n),
        "region": rng.choice(["north", "south", "east"], n),
        "came_from_competitor": rng.random(n) < 0.3,
    })
    big = {"customers": pd.concat([frames["customers"], extra], ignore_index=True),
           "transactions": frames["transactions"]}
    ds = Dataset.from_frames(big, config=config, con=connect_duckdb(None, DuckDBSettings(threads=2)))
    first = compute(ds, "clv_simple", "quarter")
    assert first["value"].notna().sum() >= 2
    for _ in range(8):
        ds._memo.clear()  # a new query each time, as in a new analysis
        pd.testing.assert_frame_equal(compute(ds, "clv_simple", "quarter"), first, check_exact=True)
