"""The metric suite on DuckDB, Spark and PostgreSQL gives identical results.

The reference engine is in-memory DuckDB; every other engine gets the same canonical frames
and must agree on every value, numerator and denominator (relative 1e-12, i.e. up to the
order of floating-point summation)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from canonical_frames import make_frames

from loyalscope.config import AnalysisConfig
from loyalscope.metrics import compute
from loyalscope.metrics.cohorts import cohort_matrix, lifecycle, survival_curve
from loyalscope.metrics.summary import customer_summary


@pytest.fixture(scope="module")
def frames():
    return make_frames(seed=7, n_customers=40, n_orders=300)


@pytest.fixture(scope="module")
def config() -> AnalysisConfig:
    return AnalysisConfig()  # the product's default: the inactivity window comes from the data


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False, rtol=1e-12,
        check_dtype=False, obj=what,
    )


def test_metrics_agree(ds, other_engine):
    from test_catalogue import MINE

    for mid in MINE:
        by = "region" if mid in ("repeat_purchase_rate", "retention_rate_std") else None
        _same(compute(other_engine, mid, "quarter", by=by), compute(ds, mid, "quarter", by=by), mid)


def test_summary_and_cohorts_agree(ds, other_engine):
    key = ["customer_id"]
    s1 = customer_summary(other_engine, observation_end=date(2023, 9, 30), time_unit="week").execute()
    s2 = customer_summary(ds, observation_end=date(2023, 9, 30), time_unit="week").execute()
    _same(s1.sort_values(key), s2.sort_values(key), "summary")
    _same(cohort_matrix(other_engine, "quarter"), cohort_matrix(ds, "quarter"), "cohorts")
    _same(lifecycle(other_engine, "month"), lifecycle(ds, "month"), "lifecycle")
    _same(survival_curve(other_engine), survival_curve(ds), "survival")


def test_whole_window_case_counts_agree(ds, other_engine):
    from test_catalogue import MINE

    from loyalscope.metrics import REGISTRY
    from loyalscope.metrics.registry import MetricContext

    ctx = MetricContext(window=(date(2023, 2, 1), date(2023, 11, 1)))
    counted = [m for m in MINE if REGISTRY[m].window_n is not None]
    assert counted
    for mid in counted:
        count = REGISTRY[mid].window_n
        assert count is not None
        assert int(count(other_engine, ctx).execute()) == int(count(ds, ctx).execute()), mid
