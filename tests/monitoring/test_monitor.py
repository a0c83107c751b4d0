"""One monitor run on a simulated company: which periods are checked, thresholds, sample sizes,
lags, configuration errors, and the same answer for a period whenever it is asked."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.errors import ConfigError
from loyalscope.metrics import compute
from loyalscope.metrics.window import inactivity_days
from loyalscope.monitoring import monitor
from loyalscope.monitoring.catalogue import headline_ids
from loyalscope.monitoring.monitor import evaluate


def _cfg(**monitor: object) -> AnalysisConfig:
    return AnalysisConfig.model_validate({"monitor": monitor})


@pytest.fixture(scope="module")
def result(steady_ds):
    return monitor(steady_ds, _cfg(include=["orders", "repeat_purchase_rate", "return_rate",
                                            "nps", "churn_rate"]))


def test_latest_complete_period_is_checked_never_the_partial_one(steady_ds, result) -> None:
    assert steady_ds.analysis_date <= date(2025, 12, 31)
    assert result.label == "2025-11"
    d = result.to_dict()
    assert set(d) >= {"period", "alerts", "checked"}
    assert d["period"] == "2025-11"
    assert d["checked"] == sum(c.state == "ok" for c in result.checks)
    w = result.watched["orders"]
    assert w.total.state[-1] == "partial" and np.isnan(w.track.p[-1])


def test_values_are_the_metric_catalogues(steady_ds, result) -> None:
    frame = compute(steady_ds, "repeat_purchase_rate", "month")
    row = frame[frame.period == date(2025, 11, 1)].iloc[0]
    check = next(c for c in result.checks if c.metric == "repeat_purchase_rate")
    assert check.value == pytest.approx(row.value)
    assert check.n == row.denominator
    assert check.low < check.expected < check.high


def test_a_metric_not_final_yet_is_checked_at_its_last_final_period(result) -> None:
    check = next(c for c in result.checks if c.metric == "return_rate")
    assert check.period == "2025-10"  # returns of November orders are still coming in


def test_churn_is_not_learnt_before_the_inactivity_window_is_covered(steady_ds, result) -> None:
    total = result.watched["churn_rate"].total
    first = min(total.periods)  # January 2024, partial
    window = inactivity_days(steady_ds)  # the churn metric's own window (from the data's gaps)
    covered = first + timedelta(days=window)
    assert 60 <= window <= 400
    complete = [(p, s) for p, s in zip(total.periods, total.state, strict=True)
                if s not in ("partial", "not_final")]
    before = [s for p, s in complete if p < covered]
    after = [s for p, s in complete if p >= covered]
    assert len(before) >= 1 and set(before) == {"warmup"}  # nobody could have churned yet
    assert after and "warmup" not in after and after[0] == "ok"


def test_threshold_raises_its_severity(steady_ds) -> None:
    cfg = _cfg(include=["repeat_purchase_rate"],
               metrics={"repeat_purchase_rate": {"min": 0.99, "threshold_severity": "medium"}})
    r = monitor(steady_ds, cfg)
    (a,) = [a for a in r.alerts if a.segment is None]
    assert (a.metric, a.severity, a.test, a.period) == ("repeat_purchase_rate", "medium",
                                                        "threshold_min", "2025-11")


def test_small_samples_are_not_alerted_on(steady_ds) -> None:
    cfg = _cfg(include=["repeat_purchase_rate"], min_n=10**6,
               metrics={"repeat_purchase_rate": {"min": 0.99}})
    r = monitor(steady_ds, cfg)
    assert r.alerts == []
    assert [c.state for c in r.checks] == ["small_n"]
    assert r.checked == 0


def test_a_share_of_revenue_is_tested_on_its_customers(steady) -> None:
    """Before: the Pareto share (revenue over revenue) had no sample size, so a month of three
    customers was checked like one of thousands. Its check now carries the month's ordering
    customers and is not checked below ``min_n``."""
    from loyalscope.data.dataset import Dataset

    tx = steady.tables["transactions"]
    nov = tx[(tx.order_ts >= pd.Timestamp("2025-11-01")) & (tx.order_ts < pd.Timestamp("2025-12-01"))]
    customers = nov.customer_id.nunique()
    ds = Dataset.from_frames({"transactions": tx})
    for min_n, state in ((30, "ok"), (customers + 1, "small_n")):
        r = monitor(ds, _cfg(include=["pareto_share"], min_n=min_n))
        (check,) = r.checks
        assert (check.period, check.n, check.state) == ("2025-11", customers, state)


def test_at_a_period_and_the_same_answer_later(steady_ds, result) -> None:
    cfg = _cfg(include=["orders", "repeat_purchase_rate", "return_rate", "nps", "churn_rate"])
    early = monitor(steady_ds, cfg, at="2025-06")
    assert early.label == "2025-06"
    fr = result.calendar
    i = fr.periods.index(date(2025, 6, 1))
    for mid, w in result.watched.items():
        check, alerts = evaluate(w, i, fr, cfg.monitor)
        before = next(c for c in early.checks if c.metric == mid)
        assert (check.period, check.value, check.expected, check.p_value) == (
            before.period, before.value, before.expected, before.p_value)
        assert [(a.severity, a.segment) for a in alerts] == [
            (a.severity, a.segment) for a in early.alerts if a.metric == mid]


@pytest.mark.parametrize("at", ["2025-12", "2023-05", "2025-13", "next month"])
def test_at_must_be_a_complete_period(steady_ds, at: str) -> None:
    with pytest.raises(ConfigError) as err:
        monitor(steady_ds, _cfg(include=["orders"]), at=at)
    assert err.value.fix


@pytest.mark.parametrize(("key", "value"), [("include", ["no_such_metric"]),
                                            ("exclude", ["orderz"]),
                                            ("segments", ["no_such_column"])])
def test_configuration_names_are_checked(steady_ds, key: str, value: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        monitor(steady_ds, _cfg(**{key: value}))
    assert value[0] in err.value.message


def test_metrics_that_need_missing_tables_are_skipped_with_the_reason(steady) -> None:
    from loyalscope.data.dataset import Dataset

    ds = Dataset.from_frames({k: v for k, v in steady.tables.items() if k != "surveys"})
    r = monitor(ds, _cfg(include=["orders", "nps"]))
    assert [c.metric for c in r.checks] == ["orders"]
    assert r.skipped == [{"metric": "nps", "reason": "missing", "detail": "surveys.nps"}]


def test_every_headline_metric_is_watched_or_skipped_with_a_reason(steady_ds) -> None:
    r = monitor(steady_ds, _cfg(segments=[]))
    seen = {c.metric for c in r.checks} | {s["metric"] for s in r.skipped}
    assert seen == set(headline_ids())
    assert {s["metric"]: s["reason"] for s in r.skipped} == {
        "post_complaint_repurchase": "open_ended"}


def test_weekly_grain(steady_ds) -> None:
    r = monitor(steady_ds, _cfg(include=["orders"], period="week"))
    assert r.label.startswith("2025-W")
    weekly = compute(steady_ds, "orders", "week")
    last = pd.Timestamp(r.period).date()
    assert weekly.period.max() >= last


def test_segment_columns_leave_out_id_like_columns(steady) -> None:
    """A column with more than MAX_SEGMENTS distinct values (counted with pandas here) is an
    id, not a segment; the others are kept in the configured order."""
    from loyalscope.data.dataset import Dataset
    from loyalscope.monitoring.monitor import MAX_SEGMENTS, segment_columns

    cust = steady.tables["customers"].copy()
    cust["shop"] = [f"s{i % (MAX_SEGMENTS + 1)}" for i in range(len(cust))]
    cust["team"] = [f"t{i % MAX_SEGMENTS}" for i in range(len(cust))]
    ds = Dataset.from_frames({**steady.tables, "customers": cust})
    wanted = ["team", "shop", "region"]
    kept = [c for c in wanted if cust[c].nunique() <= MAX_SEGMENTS]
    assert kept == ["team", "region"]
    assert segment_columns(ds, _cfg(segments=wanted).monitor) == kept
    assert segment_columns(ds, _cfg(segments=[]).monitor) == []
