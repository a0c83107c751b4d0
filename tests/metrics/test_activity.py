"""The shared activity counts (metrics/activity.py) and the memoised intermediate tables.

Independent checks: the pandas set computation in reference.py with a short inactivity window
(spans that reach no period boundary), and group results against the same metric computed on a
dataset holding only that group's customers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
import reference
from test_catalogue import compare

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.metrics import compute
from loyalscope.metrics.activity import activity_counts, prefetch_counts
from loyalscope.metrics.registry import MetricContext

RETENTION = ["retention_rate_std", "retention_rate_seed", "reactivation_rate", "churn_rate", "join_rate"]


@pytest.mark.parametrize("w", [7, 20, 45])
@pytest.mark.parametrize("metric_id", RETENTION)
def test_short_inactivity_windows_match_pandas(frames, monkeypatch, metric_id, w):
    config = AnalysisConfig()
    config.analysis.inactivity_days = w
    ds = Dataset.from_frames(frames, config=config)
    monkeypatch.setattr(reference, "W", w)
    got = compute(ds, metric_id, period="month")
    compare(got, getattr(reference, metric_id)(frames, "month"), ["period"])


def _only(frames: dict[str, pd.DataFrame], ids: set) -> dict[str, pd.DataFrame]:
    return {name: f[f.customer_id.isin(ids)] if "customer_id" in f.columns else f
            for name, f in frames.items()}


@pytest.mark.parametrize("metric_id", [*RETENTION, "frequency_trend"])
def test_group_equals_the_groups_own_dataset(frames, metric_id):
    end = reference.analysis_date(frames).date()
    config = AnalysisConfig()
    config.analysis.analysis_date = end
    config.analysis.inactivity_days = reference.W  # one window for the whole and its parts
    whole = compute(Dataset.from_frames(frames, config=config), metric_id, "month", by="region")
    for region, ids in frames["customers"].groupby("region").customer_id:
        own = compute(Dataset.from_frames(_only(frames, set(ids)), config=config), metric_id,
                      "month")
        got = whole[whole.region == region].drop(columns="region")
        own = own[own.period.isin(got.period) & (own.denominator > 0)]
        got = got[got.period.isin(own.period)]
        assert len(got) >= 6
        pd.testing.assert_frame_equal(got.reset_index(drop=True), own.reset_index(drop=True))


def test_counts_are_memoised_per_setting(ds):
    ctx = MetricContext(period="month")
    first = activity_counts(ds, ctx)
    assert activity_counts(ds, ctx) is first
    quarter = activity_counts(ds, MetricContext(period="quarter"))
    assert quarter is not first and len(quarter) < len(first)
    window = MetricContext(period="month", window=(date(2023, 3, 1), date(2023, 6, 1)))
    assert activity_counts(ds, window).period.tolist() == [
        date(2023, 3, 1), date(2023, 4, 1), date(2023, 5, 1)]


def test_release_drops_backend_tables(frames):
    ds = Dataset.from_frames(frames)
    compute(ds, "purchase_frequency")
    before = set(ds.con.list_tables())
    ds.release()
    after = set(ds.con.list_tables())
    assert len(before - after) >= 1
    # and the metric still computes afterwards (rebuilt on demand)
    assert len(compute(ds, "purchase_frequency")) == 12


def test_retention_stays_in_range_and_reactivated_are_apart(ds):
    """Before: retention (E - N) / S counted reactivated customers as retained (102%, 123% in
    the periods after a win-back). Now retained + churned = active at the start, and customers
    who came back are counted as reactivated."""
    ret = compute(ds, "retention_rate_std", period="month").dropna(subset=["value"])
    churn = compute(ds, "churn_rate", period="month").dropna(subset=["value"])
    react = compute(ds, "reactivation_rate", period="month").dropna(subset=["value"])
    assert ret.value.between(0, 1).all() and react.value.between(0, 1).all()
    both = ret.merge(churn, on="period", suffixes=("_r", "_c"))
    assert len(both) >= 6
    assert ((both.value_r + both.value_c) - 1).abs().max() < 1e-12
    assert (react.numerator > 0).any()


@pytest.mark.parametrize("ctx", [MetricContext(period="month"), MetricContext(period="quarter"),
                                 MetricContext(period="month",
                                               window=(date(2023, 3, 1), date(2023, 9, 1)))])
def test_one_pass_split_equals_each_columns_own_counts(frames, config, ctx):
    """prefetch_counts (one query for every column) gives, per column, the frame the
    column's own grouped pass gives: a text column with nulls (a null group), customers with
    orders but no customers row (every column's null group), contract lapses; an integer
    column is left to activity_counts."""
    cust = frames["customers"].copy()
    cust["tier"] = np.where(np.arange(len(cust)) % 4 == 0, None,
                            np.where(np.arange(len(cust)) % 2 == 0, "gold", "silver"))
    cust["age"] = np.arange(len(cust)) % 3 + 20
    fr = {**frames, "customers": cust.iloc[5:]}
    fetched, alone = (Dataset.from_frames(fr, config=config) for _ in range(2))
    bys = ["region", "channel", "tier", "age"]
    prefetch_counts(fetched, ctx, bys)
    w = config.analysis.inactivity_days
    key = ("activity_counts", ctx.period, ctx.window)
    end = fetched.analysis_date
    assert all((*key, by, w, end) in fetched._memo for by in bys[:3])
    assert (*key, "age", w, end) not in fetched._memo
    for by in bys:
        got, want = (activity_counts(d, replace(ctx, by=by)) for d in (fetched, alone))
        got, want = (f.sort_values(["period", by], na_position="first", kind="stable")
                     .reset_index(drop=True) for f in (got, want))
        pd.testing.assert_frame_equal(got, want, obj=by)
        if by != "age":
            nulls = got[got[by].isna()]
            assert len(nulls) and nulls.S.sum() > 0 and nulls[by].map(lambda v: v is None).all()
    assert sum(activity_counts(alone, replace(ctx, by="tier")).S_lost) > 0
