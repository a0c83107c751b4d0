"""Behaviour, retention, service and engagement sections on generated data."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError, LoyalscopeError
from loyalscope.metrics import compute
from loyalscope.results import Chart, Number
from loyalscope.sections import behaviour, engagement, retention, service
from loyalscope.sections.context import SectionContext

sys.path.insert(0, str(Path(__file__).parents[1] / "metrics"))
from canonical_frames import make_frames


@pytest.fixture(scope="module")
def ds():
    return Dataset.from_frames(make_frames(seed=11))


@pytest.mark.parametrize("mod", [behaviour, retention, service, engagement])
def test_numbers_carry_metric_numerator_denominator(ds, mod):
    ctx = SectionContext(config=AnalysisConfig())
    sec = mod.build(ds, ctx)
    assert sec.id == mod.SECTION_ID
    numbers = [b for b in sec.blocks if isinstance(b, Number)]
    assert numbers
    for n in (b for b in numbers if b.label != "metrics.section.window_value"):
        assert n.label == f"metrics.{n.metric_id}.name"
        ref = compute(ds, n.metric_id, period="month")
        row = ref[ref.period == pd.Timestamp(sec.data[n.metric_id]["period"]).date()].iloc[0]
        assert n.numerator == pytest.approx(row.numerator, rel=1e-12, abs=1e-12)
        assert n.denominator == row.denominator
        assert n.value == (None if pd.isna(row.value) else pytest.approx(row.value, abs=1e-12))
        # the latest month that ended by the analysis date
        start = pd.Timestamp(sec.data[n.metric_id]["period"])
        assert start + pd.DateOffset(months=1) <= pd.Timestamp(ds.analysis_date)
        assert n.period == start.date().isoformat()
        ended = [p for p in ref.dropna(subset=["value"]).period
                 if pd.Timestamp(p) + pd.DateOffset(months=1) <= pd.Timestamp(ds.analysis_date)]
        assert start.date() == max(ended)
        # changes against the month before and the same month a year earlier, from the series
        by = ref.set_index(pd.to_datetime(ref.period)).value
        for key, offset in (("previous", pd.DateOffset(months=1)), ("year_ago", pd.DateOffset(years=1))):
            before = by.get(start - offset)
            expected = None if before is None or pd.isna(before) else row.value - before
            assert n.changes[key] == (None if expected is None else pytest.approx(expected, abs=1e-12))
    for n in (b for b in numbers if b.label == "metrics.section.window_value"):
        # the whole window: every full month pooled
        ref = compute(ds, n.metric_id, period="month")
        starts = pd.to_datetime(ref.period)
        first_day = ds.table("transactions", "order_ts").order_ts.min().execute().normalize()
        full = ref[(starts >= first_day) & (starts + pd.DateOffset(months=1) <= pd.Timestamp(ds.analysis_date))]
        assert n.numerator == pytest.approx(full.numerator.sum()) and n.denominator == full.denominator.sum()
    for c in (b for b in sec.blocks if isinstance(b, Chart)):
        assert len(c.frame) < 1000  # aggregates, not customers


def test_retention_charts(ds):
    sec = retention.build(ds, SectionContext(config=AnalysisConfig()))
    kinds = {c.kind: c for c in sec.blocks if isinstance(c, Chart)}
    heat = kinds["heatmap"]
    assert heat.options["z"] == "share" and (heat.frame[heat.frame.k == 0].share == 1).all()
    life = next(c for c in sec.blocks if isinstance(c, Chart) and c.kind == "bar")
    dormant = life.frame[life.frame.state == "metrics.lifecycle_state.dormant"]
    assert (dormant.customers <= 0).all()


def test_section_without_inputs_is_skipped_with_reason():
    tx = make_frames(seed=1)["transactions"]
    ds = Dataset.from_frames({"transactions": tx})
    with pytest.raises(InsufficientDataError, match="metrics list"):
        engagement.build(ds, SectionContext(config=AnalysisConfig()))


def test_headlines_flag_small_samples_partial_periods_and_carry_wilson_intervals():
    """Before: "repeat purchase rate 14.3%" came from the 14 customers of the last month (about
    0.9% over the whole window), and a last month with 4 days of data was plotted as a collapse."""
    from scipy.stats import binomtest

    rng = pd.Series(range(300))
    start = pd.Timestamp("2023-01-16")  # data start mid-month: January is partial
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(600)],
                       "customer_id": [f"c{i % 300}" for i in range(600)],
                       "order_ts": [start + pd.Timedelta(days=int(d)) for d in (rng.tolist() * 2)],
                       "amount": 10.0})
    # few customers in the last full month; 4 days into the next (partial) month
    late = pd.DataFrame({"order_id": [f"z{i}" for i in range(16)], "customer_id": [f"n{i}" for i in range(16)],
                         "order_ts": [pd.Timestamp("2023-11-05")] * 12 + [pd.Timestamp("2023-12-04")] * 4,
                         "amount": 10.0})
    ds = Dataset.from_frames({"transactions": pd.concat([tx, late], ignore_index=True)})
    sec = behaviour.build(ds, SectionContext(config=AnalysisConfig()))
    nums = [b for b in sec.blocks if isinstance(b, Number) and b.metric_id == "repeat_purchase_rate"]
    window, last = nums
    assert last.period == "2023-11-01" and last.n < 30 and "small_sample" in last.flags and last.warn
    ci = binomtest(int(last.numerator), int(last.denominator)).proportion_ci(method="wilson")
    assert last.interval == pytest.approx((ci.low, ci.high)) and last.interval_method == "wilson"
    assert window.period.startswith("2023-02-01/2023-12-01")  # January and December are partial
    assert window.n >= 30 and "small_sample" not in window.flags
    trend = next(b for b in sec.blocks if isinstance(b, Chart) and b.kind == "line")
    assert set(pd.to_datetime(trend.frame.period).dt.strftime("%m")) == {f"{m:02d}" for m in range(2, 12)}


def test_every_metric_is_either_a_pooled_ratio_or_listed_as_not_poolable(ds):
    """The whole-window figure pools numerators and denominators; that is right only where the
    value is a constant times numerator / denominator (not a median, a p90, an estimate)."""
    from loyalscope.metrics import REGISTRY
    from loyalscope.sections._headlines import FACTORS, NOT_POOLABLE

    for mid, metric in REGISTRY.items():
        if metric.breakdown or ds.missing(metric.requires) or mid in NOT_POOLABLE:
            continue
        try:
            got = compute(ds, mid, period="quarter").dropna(subset=["value"])
        except LoyalscopeError:  # inputs of another shape (competitor columns ...)
            continue
        got = got[got.denominator != 0]
        expected = FACTORS.get(mid, 1.0) * got.numerator / got.denominator
        assert got.value.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9), mid


def _monthly_buyers(customers: int, per_month: int, seed: int) -> pd.DataFrame:
    """2023 orders (January 1 to December 31, so every month is full): each month ``per_month``
    of ``customers`` customers, drawn at random, order once with a random amount."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for m in range(1, 13):
        for c in rng.choice(customers, per_month, replace=False):
            rows.append((f"c{c}", pd.Timestamp(2023, m, 1) + pd.Timedelta(days=int(rng.integers(0, 28)))))
    rows[0] = (rows[0][0], pd.Timestamp("2023-01-01"))  # data start on the first day: January is full
    rows[-1] = (rows[-1][0], pd.Timestamp("2023-12-31"))  # analysis date 2024-01-01: December is full
    return pd.DataFrame({"order_id": [f"o{i}" for i in range(len(rows))], "customer_id": [r[0] for r in rows],
                         "order_ts": [r[1] for r in rows], "amount": rng.gamma(2.0, 30.0, len(rows)).round(2)})


@pytest.mark.parametrize(("customers", "per_month", "small"), [(12, 12, True), (45, 35, False)])
def test_pareto_share_carries_its_customers_and_is_flagged_below_min_n(customers, per_month, small):
    """Before: the Pareto share had no sample size (its denominator is revenue), so a share of
    the top 20% of 12 customers was shown like one of thousands. The whole window counts each
    customer once: 12 customers over 12 months are 12 cases, not 144."""
    tx = _monthly_buyers(customers, per_month, seed=customers)
    sec = behaviour.build(Dataset.from_frames({"transactions": tx}), SectionContext(config=AnalysisConfig()))
    window, last = [b for b in sec.blocks if isinstance(b, Number) and b.metric_id == "pareto_share"]
    december = tx[tx.order_ts >= pd.Timestamp("2023-12-01")]
    assert last.period == "2023-12-01" and last.n == december.customer_id.nunique() == per_month
    assert window.period == "2023-01-01/2024-01-01" and window.n == tx.customer_id.nunique() == customers
    assert sec.data["pareto_share"]["window"]["n"] == window.n and sec.data["pareto_share"]["n"] == last.n
    for number in (window, last):
        assert ("small_sample" in number.flags) is small and number.warn is small
        assert number.interval is None  # a share of revenue, not of counted cases: no Wilson interval
