"""The value section's inputs from one pass over the transactions equal the separate engine
queries they replace (customer summary, calibration/holdout summary, trailing spend, repeat
purchase days, births and repeat purchase days per day) and a pandas computation of the same definitions, on the CDNOW transactions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.metrics.summary import customer_summary
from loyalscope.sections.value import trailing_spend
from loyalscope.sections.value_diagnostics import repeat_purchase_days, tracking_inputs
from loyalscope.sections.value_inputs import daily_inputs

CAL_END, END = date(1997, 3, 10), date(1998, 6, 30)  # the cohort was born in Jan-Mar 1997


@pytest.fixture(scope="module")
def dataset(data_dir) -> tuple[Dataset, pd.DataFrame]:
    raw = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                      names=["master_id", "id", "date", "cds", "value"], dtype={"date": str})
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(raw))], "customer_id": raw.id.astype(str),
                       "order_ts": pd.to_datetime(raw.date, format="%Y%m%d") + pd.to_timedelta(raw.index % 5, "h"),
                       "amount": raw.value.astype(float)})
    return Dataset.from_frames({"transactions": tx}, config=AnalysisConfig()), tx


@pytest.fixture(scope="module")
def inputs(dataset):
    ds, _ = dataset
    start = pd.Timestamp(END) + pd.Timedelta(days=1) - pd.Timedelta(days=26 * 7)
    return daily_inputs(ds, END, CAL_END, start, 7.0, (END - CAL_END).days / 7.0)


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(customer_id=frame.customer_id.astype(str)).sort_values("customer_id").reset_index(drop=True)


def test_customer_buckets_give_the_same_inputs(dataset, inputs, monkeypatch) -> None:
    """Past ``BUCKET_ROWS`` purchase days the per-customer lists are built one bucket of
    customers at a time (DuckDB holds a hash aggregate's lists in memory): the same frames."""
    import loyalscope.sections.value_inputs as vi

    ds, _ = dataset
    monkeypatch.setattr(vi, "BUCKET_ROWS", 1_000)  # the CDNOW sample: 6,919 orders, 7 buckets
    start = pd.Timestamp(END) + pd.Timedelta(days=1) - pd.Timedelta(days=26 * 7)
    bucketed = daily_inputs(ds, END, CAL_END, start, 7.0, (END - CAL_END).days / 7.0)
    pd.testing.assert_frame_equal(bucketed.full, inputs.full)
    pd.testing.assert_frame_equal(bucketed.split, inputs.split)


def test_repeat_days_query_in_buckets_gives_the_same_texts(dataset, monkeypatch) -> None:
    import loyalscope.sections.value_inputs as vi

    ds, _ = dataset
    whole = repeat_purchase_days(ds).sort_values("customer_id", ignore_index=True)
    monkeypatch.setattr(vi, "BUCKET_ROWS", 500)
    pd.testing.assert_frame_equal(repeat_purchase_days(ds).sort_values("customer_id", ignore_index=True), whole)


def test_summaries_equal_the_separate_queries(dataset, inputs):
    ds, _ = dataset
    full = customer_summary(ds, observation_end=END, time_unit="week").execute()
    split = customer_summary(ds, calibration_end=CAL_END, observation_end=END, time_unit="week").execute()
    got = _by_id(inputs.full)
    pd.testing.assert_frame_equal(got[full.columns], _by_id(full), check_dtype=False)
    pd.testing.assert_frame_equal(_by_id(inputs.split)[split.columns], _by_id(split), check_dtype=False)
    assert len(inputs.split) < len(inputs.full)  # customers born after the calibration end are left out


def test_trailing_spend_and_repeat_days_equal_the_separate_queries(dataset, inputs):
    ds, tx = dataset
    got = _by_id(inputs.full).set_index("customer_id")
    trailing = trailing_spend(ds, pd.Timestamp(END), 26 * 7)
    np.testing.assert_array_equal(got.trailing_spend.to_numpy(), trailing.reindex(got.index).fillna(0.0).to_numpy())
    days = repeat_purchase_days(ds).set_index("customer_id").repeat_purchase_days
    np.testing.assert_array_equal(got.repeat_purchase_days.dropna().sort_index().to_numpy(),
                                  days.sort_index().to_numpy())
    assert got.repeat_purchase_days.isna().sum() == (got.frequency == 0).sum()
    # and from pandas: spend of the last 26 weeks, and one customer's repeat days
    recent = tx[tx.order_ts >= pd.Timestamp(END) + pd.Timedelta(days=1) - pd.Timedelta(weeks=26)]
    np.testing.assert_allclose(got.trailing_spend.reindex(recent.customer_id.unique()).to_numpy(),
                               recent.groupby("customer_id").amount.sum().reindex(recent.customer_id.unique()).to_numpy(),
                               rtol=1e-12)
    busiest = tx.customer_id.value_counts().index[0]
    d = np.unique((tx[tx.customer_id == busiest].order_ts.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days)
    assert got.repeat_purchase_days[busiest] == " ".join(str(v) for v in d[1:] - d[0])


def test_holdout_columns_from_pandas(dataset, inputs):
    _, tx = dataset
    day = tx.order_ts.dt.normalize()
    born = tx.customer_id.map(day.groupby(tx.customer_id).min()) <= pd.Timestamp(CAL_END)
    hold = tx[born & (day > pd.Timestamp(CAL_END)) & (day <= pd.Timestamp(END))].assign(day=day)
    per_day = hold.groupby(["customer_id", "day"]).amount.sum().groupby("customer_id")
    split = inputs.split.set_index("customer_id")
    assert set(split.index) == set(tx.customer_id[born])
    np.testing.assert_array_equal(split.frequency_holdout.reindex(per_day.size().index), per_day.size())
    np.testing.assert_allclose(split.monetary_value_holdout.reindex(per_day.mean().index), per_day.mean(), rtol=1e-12)
    assert (split.loc[~split.index.isin(per_day.size().index), "frequency_holdout"] == 0).all()
    assert split.duration_holdout.iloc[0] == pytest.approx((END - CAL_END).days / 7)


def test_tracking_inputs_equal_the_separate_queries(dataset, inputs):
    ds, tx = dataset
    births, repeats = tracking_inputs(ds)
    got_births, got_repeats = inputs.tracking
    pd.testing.assert_frame_equal(got_births, births, check_dtype=False)
    pd.testing.assert_frame_equal(got_repeats, repeats, check_dtype=False)
    # from pandas: each customer's purchase days after the first, counted per day
    day = (tx.order_ts.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    d = pd.DataFrame({"c": tx.customer_id, "day": day}).drop_duplicates()
    later = d[d.day > d.groupby("c").day.transform("min")].day.value_counts().sort_index()
    np.testing.assert_array_equal(got_repeats.day, later.index)
    np.testing.assert_array_equal(got_repeats.n, later.to_numpy())
    assert got_births.n.sum() == tx.customer_id.nunique()


@pytest.mark.slow
@pytest.mark.parametrize("engine", [pytest.param("spark", marks=pytest.mark.spark),
                                    pytest.param("postgres", marks=pytest.mark.postgres)])
def test_one_pass_on_spark_and_postgres_equals_duckdb(request, dataset, inputs, engine: str) -> None:
    """The one-pass query's list functions (collect, sort, slice, map, join) and decimal sums
    give DuckDB's frames on the other engines, where the value section uses them too."""
    if engine == "spark":
        con = request.getfixturevalue("spark_con")
    else:
        from loyalscope.engine import connect

        con = connect(request.getfixturevalue("postgres_url"))
    ds = Dataset.from_frames({"transactions": dataset[1]}, config=AnalysisConfig(), con=con)
    try:
        start = pd.Timestamp(END) + pd.Timedelta(days=1) - pd.Timedelta(days=26 * 7)
        got = daily_inputs(ds, END, CAL_END, start, 7.0, (END - CAL_END).days / 7.0)
    finally:
        ds.release()
    pd.testing.assert_frame_equal(_by_id(got.full), _by_id(inputs.full), check_dtype=False)
    pd.testing.assert_frame_equal(_by_id(got.split), _by_id(inputs.split), check_dtype=False)
    for mine, theirs in zip(got.tracking, inputs.tracking, strict=True):
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
