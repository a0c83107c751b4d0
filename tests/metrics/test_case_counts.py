"""The ``n`` column: how many cases (customers, orders, members) are behind a metric whose
denominator is an amount of money or points, checked against pandas on the canonical frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.metrics import REGISTRY, compute
from loyalscope.metrics.registry import MetricContext

WITH_N = ("pareto_share", "return_amount_rate", "program_redemption_rate", "channel_mix_spend")


def _month(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M").dt.start_time.dt.date


def _check(got: pd.DataFrame, expected: pd.Series, keys: list[str]) -> None:
    """``got.n`` equals ``expected`` (indexed by ``keys``) row for row; periods absent from
    ``expected`` (added by the calendar) have n = 0."""
    exp = expected.reindex(pd.MultiIndex.from_frame(got[keys]) if len(keys) > 1 else got[keys[0]])
    assert got.n.dtype == "int64"
    assert got.n.tolist() == exp.fillna(0).astype(int).tolist()
    assert (got.n > 0).any()


def test_pareto_share_counts_ordering_customers(ds, frames):
    tx = frames["transactions"].assign(period=lambda d: _month(d.order_ts))
    _check(compute(ds, "pareto_share"), tx.groupby("period").customer_id.nunique(), ["period"])


def test_pareto_share_by_group_counts_the_group_customers(ds, frames):
    region = frames["customers"].set_index("customer_id").region
    tx = frames["transactions"].assign(period=lambda d: _month(d.order_ts),
                                       region=lambda d: d.customer_id.map(region))
    got = compute(ds, "pareto_share", by="region")
    _check(got, tx.groupby(["period", "region"]).customer_id.nunique(), ["period", "region"])


def test_return_amount_rate_counts_orders(ds, frames):
    tx = frames["transactions"].assign(period=lambda d: _month(d.order_ts))
    _check(compute(ds, "return_amount_rate"), tx.groupby("period").order_id.count(), ["period"])


def test_channel_mix_spend_counts_the_period_orders_on_every_channel_row(ds, frames):
    tx = frames["transactions"].assign(period=lambda d: _month(d.order_ts))
    got = compute(ds, "channel_mix_spend")
    per_period = tx.groupby("period").order_id.count()
    assert got.n.tolist() == per_period.reindex(got.period).tolist()


def test_program_redemption_rate_counts_members_not_records(ds, frames):
    p = frames["loyalty_points"].assign(period=lambda d: _month(d.ts))
    members = p.groupby("period").customer_id.nunique()
    assert (members < p.groupby("period").size()).any()  # the two differ on these data
    _check(compute(ds, "program_redemption_rate"), members, ["period"])


def test_metrics_whose_denominator_counts_cases_have_no_n_column(ds):
    for mid in ("return_rate", "repeat_purchase_rate", "channel_mix", "silent_dissatisfied"):
        assert "n" not in compute(ds, mid).columns, mid


@pytest.mark.parametrize(("metric_id", "table", "col"), [
    ("pareto_share", "transactions", "order_ts"), ("program_redemption_rate", "loyalty_points", "ts"),
])
def test_window_n_counts_each_customer_once(ds, frames, metric_id, table, col):
    """Customers recur across periods: the whole-window n is the distinct count, less than the
    sum of the periods' n."""
    start, end = date(2023, 2, 1), date(2023, 11, 1)
    f = frames[table]
    inside = f[(f[col] >= pd.Timestamp(start)) & (f[col] < pd.Timestamp(end))]
    count = REGISTRY[metric_id].window_n
    assert count is not None
    got = int(count(ds, MetricContext(window=(start, end))).execute())
    assert got == inside.customer_id.nunique()
    # one month, and the same month from its 10th day (not a period boundary)
    for lo in (date(2023, 2, 1), date(2023, 2, 10)):
        part = f[(f[col] >= pd.Timestamp(lo)) & (f[col] < pd.Timestamp(date(2023, 3, 1)))]
        assert int(count(ds, MetricContext(window=(lo, date(2023, 3, 1)))).execute()) == part.customer_id.nunique()
    series = compute(ds, metric_id)
    assert got < series[(series.period >= start) & (series.period < end)].n.sum()


def test_periods_without_orders_get_zero_cases():
    """A month without orders is on the calendar with n = 0 (never null)."""
    tx = pd.DataFrame({"order_id": ["a", "b", "c"], "customer_id": ["x", "y", "x"],
                       "order_ts": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02"]),
                       "amount": [10.0, 20.0, 30.0]})
    returns = pd.DataFrame({"order_id": ["a"], "return_ts": pd.to_datetime(["2024-01-09"]),
                            "amount": [5.0]})
    got = compute(Dataset.from_frames({"transactions": tx, "returns": returns}), "return_amount_rate")
    assert got.period.tolist() == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert got.n.tolist() == [2, 0, 1]
    assert got.reason.tolist() == [None, "zero_denominator", None]
