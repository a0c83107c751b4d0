"""Cohort matrix, lifecycle states and the retention curve against pandas / lifelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import reference

from loyalscope.metrics import compute
from loyalscope.metrics.cohorts import cohort_matrix, lifecycle, survival_curve


def _ref_cohorts(fr, g):
    tx = fr["transactions"].copy()
    tx["i"] = reference.pidx(tx.order_ts, g)
    c = tx.groupby("customer_id").i.transform("min")
    tx["k"] = tx.i - c
    tx["c"] = c
    last_day = pd.Series([reference.analysis_date(fr) - pd.Timedelta(days=1)])
    last_i = reference.pidx(last_day, g)[0]
    rows = []
    for ci, grp in tx.groupby("c"):
        members = grp.customer_id.unique()
        kmax = grp.groupby("customer_id").k.max()
        for k in range(0, last_i - ci + 1):
            at = grp[grp.k == k]
            rows.append({"k": k, "cohort_size": len(members), "active": at.customer_id.nunique(),
                         "active_or_later": int((kmax >= k).sum()),
                         "cum": grp[grp.k <= k].amount.sum() / len(members)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_cohort_matrix_matches_pandas(ds, frames, grain):
    got = cohort_matrix(ds, grain)
    ref = _ref_cohorts(frames, grain)
    assert got.k.tolist() == ref.k.tolist()
    for col in ("cohort_size", "active", "active_or_later"):
        assert got[col].tolist() == ref[col].tolist(), col
    np.testing.assert_allclose(got.cum_revenue_per_member, ref.cum, rtol=1e-9)
    assert (got.share[got.k == 0] == 1).all()
    assert (got.share_or_later >= got.share).all()


def test_cohort_matrix_by_group_sums_to_total(ds):
    tot = cohort_matrix(ds, "quarter")
    by = cohort_matrix(ds, "quarter", by="region")
    s = by.groupby(["cohort", "k"])[["active", "active_or_later", "revenue"]].sum().reset_index()
    m = tot.merge(s, on=["cohort", "k"], suffixes=("", "_g"))
    assert len(m) == len(tot)
    assert (m.active == m.active_g).all() and (m.active_or_later == m.active_or_later_g).all()


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_lifecycle_matches_pandas(ds, frames, grain):
    got = lifecycle(ds, grain)
    tx = frames["transactions"]
    i = reference.pidx(tx.order_ts, grain)
    act = {}
    for c, p in zip(tx.customer_id, i, strict=True):
        act.setdefault(p, set()).add(c)
    first = pd.Series(i.values, index=tx.customer_id).groupby(level=0).min()
    ps = range(min(act), max(act) + 1)
    for p in ps:
        cur, prev = act.get(p, set()), act.get(p - 1, set())
        new = {c for c in cur if first[c] == p}
        exp = {"new": len(new), "returning": len((cur - new) & prev),
               "resurrecting": len(cur - new - prev), "dormant": len(prev - cur) if p > min(act) else 0}
        row = got[got.period == pd.Period(ordinal=p, freq=reference.CODE[grain]).start_time.date()]
        assert dict(zip(row.state, row.customers, strict=True)) == exp


def test_survival_curve_matches_lifelines(ds, frames):
    import lifelines  # test extra (dev): the independent reference, not a product dependency

    tx = frames["transactions"]
    d = tx.order_ts.dt.normalize()
    first, last = d.groupby(tx.customer_id).min(), d.groupby(tx.customer_id).max()
    end = reference.analysis_date(frames)
    churned = (end - last).dt.days > reference.W
    # churned on the first day no longer active: W + 1 days after the last order
    dur = np.where(churned, (last - first).dt.days + reference.W + 1, (end - first).dt.days)
    km = lifelines.KaplanMeierFitter().fit(dur, churned)
    got = survival_curve(ds)
    exp = km.survival_function_at_times(got.days).to_numpy()
    np.testing.assert_allclose(got.survival, exp, rtol=1e-12)
    assert got.at_risk.iloc[0] == len(first)


def test_survival_curve_is_one_at_day_zero_and_until_the_window(ds):
    """Before: one-order customers who churned had lifetime 0, so the curve started at 72%, 79%
    or 25% at day 0. Now nobody counts as churned before the inactivity window has passed."""
    got = survival_curve(ds)
    assert got.days.iloc[0] == 0 and got.survival.iloc[0] == 1.0
    assert (got.survival[got.days <= reference.W] == 1.0).all()
    assert got.survival.is_monotonic_decreasing and (got.survival >= 0).all()


@pytest.mark.parametrize(("metric_id", "column"), [("cohort_retention", "active"),
                                                    ("cohort_retention_or_later",
                                                     "active_or_later")])
def test_cohort_metrics_are_the_matrix(ds, metric_id, column):
    got = compute(ds, metric_id, period="quarter")
    m = cohort_matrix(ds, "quarter")
    assert list(pd.to_datetime(got.period)) == list(pd.to_datetime(m.cohort))
    assert got.k.tolist() == m.k.tolist()
    np.testing.assert_array_equal(got.numerator, m[column])
    np.testing.assert_array_equal(got.denominator, m.cohort_size)
    np.testing.assert_allclose(got.value, m[column] / m.cohort_size)


def test_lifecycle_metric_shares_of_ordering_customers(ds, frames):
    got = compute(ds, "lifecycle", period="month")
    tx = frames["transactions"]
    ordering = tx.groupby(tx.order_ts.dt.to_period("M").dt.start_time.dt.date).customer_id.nunique()
    den = got.groupby("period").denominator.first()
    assert den.to_dict() == {k: float(v) for k, v in ordering.items()}
    new = got[got.state == "new"].set_index("period")
    first = tx.groupby("customer_id").order_ts.min().dt.to_period("M").dt.start_time.dt.date
    np.testing.assert_array_equal(new.numerator, first.value_counts().reindex(new.index,
                                                                             fill_value=0))


def test_survival_metric_is_the_curve(ds):
    got = compute(ds, "survival_curve")
    sc = survival_curve(ds)
    np.testing.assert_allclose(got.value, sc.survival)
    assert (got.period == ds.analysis_date).all()
    np.testing.assert_array_equal(got.denominator, sc.at_risk)
