"""CLV and calibration/holdout helpers on the CDNOW sample (FHL 2005)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models import BGNBD, GammaGamma
from loyalscope.models.purchase.clv import (
    calibration_holdout_summary,
    clv,
    clv_simple,
    cumulative_curve,
    holdout_by_frequency,
    holdout_mae,
)

ORIGIN = pd.Timestamp("1997-01-01")
CAL_END_DAYS = (pd.Timestamp("1997-09-30") - ORIGIN).days
HOLDOUT_END_DAYS = (pd.Timestamp("1998-06-30") - ORIGIN).days


@pytest.fixture(scope="module")
def transactions(data_dir) -> pd.DataFrame:
    tx = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                     names=["master_id", "id", "date", "cds", "value"], dtype={"date": str})
    tx["day"] = (pd.to_datetime(tx.date, format="%Y%m%d") - ORIGIN).dt.days
    return tx


@pytest.fixture(scope="module")
def summary(transactions) -> pd.DataFrame:
    return calibration_holdout_summary(transactions.id, transactions.day / 7, CAL_END_DAYS / 7,
                                       HOLDOUT_END_DAYS / 7, transactions.value)


@pytest.fixture(scope="module")
def models(summary):
    bg = BGNBD().fit(summary.frequency, summary.recency, summary["T"])
    rep = summary[summary.frequency > 0]
    gg = GammaGamma().fit(rep.frequency, rep.monetary)
    return bg, gg


def test_summary_reproduces_published_cdnow_summary(summary, cdnow):
    ref = cdnow.set_index("ID").loc[summary.index]
    assert len(summary) == 2357
    np.testing.assert_array_equal(summary.frequency, ref.x)
    np.testing.assert_allclose(summary.recency, ref.t_x, atol=0.005)
    np.testing.assert_allclose(summary["T"], ref["T"], atol=0.005)
    np.testing.assert_allclose(summary.monetary, ref.zbar, atol=0.005)
    np.testing.assert_allclose(summary.duration_holdout, 39.0)


def test_clv_without_discount_is_spend_times_purchases(summary, models):
    bg, gg = models
    s = summary
    got = clv(bg, gg, s.frequency, s.recency, s["T"], s.monetary, horizon=52, time_unit="week",
              annual_discount_rate=0.0, margin=0.3)
    expected = 0.3 * gg.conditional_expected_average_spend(s.frequency, s.monetary) * bg.predict_purchases(
        52, s.frequency, s.recency, s["T"])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_discounting_lowers_value_and_converges_with_steps(summary, models):
    bg, gg = models
    s = summary.iloc[:50]
    args = (bg, gg, s.frequency, s.recency, s["T"], s.monetary)
    flat = clv(*args, horizon=104, time_unit="week", annual_discount_rate=0.0)
    coarse = clv(*args, horizon=104, time_unit="week", annual_discount_rate=0.1, steps=2)
    fine = clv(*args, horizon=104, time_unit="week", annual_discount_rate=0.1, steps=104)
    finer = clv(*args, horizon=104, time_unit="week", annual_discount_rate=0.1, steps=416)
    assert np.all(fine < flat) and np.all(coarse < fine)
    np.testing.assert_allclose(fine, finer, rtol=2e-3)


def test_time_unit_is_explicit_day_and_week_fits_agree(summary, models):
    bg_weeks, gg = models
    s = summary
    bg_days = BGNBD().fit(s.frequency, s.recency * 7, s["T"] * 7)
    assert bg_days.params_["alpha"] == pytest.approx(7 * bg_weeks.params_["alpha"], rel=1e-5)
    weeks = clv(bg_weeks, gg, s.frequency, s.recency, s["T"], s.monetary, horizon=52, time_unit="week",
                annual_discount_rate=0.12, steps=12)
    days = clv(bg_days, gg, s.frequency, s.recency * 7, s["T"] * 7, s.monetary, horizon=364, time_unit="day",
               annual_discount_rate=0.12, steps=12)
    np.testing.assert_allclose(days, weeks, rtol=1e-5)
    with pytest.raises(ValueError, match="time_unit"):
        clv(bg_weeks, gg, 1, 1, 2, 10, horizon=1, time_unit="fortnight", annual_discount_rate=0.1)


def test_clv_simple():
    np.testing.assert_allclose(clv_simple([100, 50], [12, 6], [200, 0], margin=0.5), [400, 150])


def test_holdout_by_frequency_and_mae(summary, models):
    bg, _ = models
    s = summary
    pred = bg.predict_purchases(39, s.frequency, s.recency, s["T"])
    table = holdout_by_frequency(pred, s.frequency_holdout, s.frequency)
    assert table.frequency.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table.customers.sum() == 2357
    zero = s.frequency == 0
    assert table.actual.iloc[0] == pytest.approx(s.frequency_holdout[zero].mean())
    assert table.predicted.iloc[0] == pytest.approx(pred[zero.to_numpy()].mean())
    assert holdout_mae(pred, s.frequency_holdout) == pytest.approx(np.mean(np.abs(pred - s.frequency_holdout)))


def test_cumulative_curve(transactions, models):
    bg, _ = models
    per_day = transactions.drop_duplicates(["id", "day"])
    first = per_day.groupby("id").day.min()
    repeats = per_day.day[per_day.day > per_day.id.map(first)]
    grid = np.array([10, 39, 78])
    curve = cumulative_curve(bg, first / 7, repeats / 7, grid)
    assert curve.actual.iloc[-1] == len(repeats[repeats / 7 <= 78])
    births = (first / 7).to_numpy()
    direct = sum(bg.expected_purchases_new_customer(78 - b)[0] for b in births if b < 78)
    assert curve.expected.iloc[-1] == pytest.approx(direct, rel=1e-12)
    # FHL (2005), figure 2: the model tracks the 78-week cumulative repeat sales within a few percent.
    assert curve.expected.iloc[-1] == pytest.approx(curve.actual.iloc[-1], rel=0.05)
