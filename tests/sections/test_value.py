"""The value section on the CDNOW sample (FHL 2005), from customer summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.errors import InsufficientDataError
from loyalscope.models.purchase.clv import calibration_holdout_summary
from loyalscope.results import Chart, Number, Table
from loyalscope.sections.context import SectionContext
from loyalscope.sections.value import clv_histogram, value_section

ORIGIN = pd.Timestamp("1997-01-01")


def _weeks(date: str) -> float:
    return (pd.Timestamp(date) - ORIGIN).days / 7


@pytest.fixture(scope="module")
def summaries(data_dir):
    tx = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                     names=["master_id", "id", "date", "cds", "value"], dtype={"date": str})
    weeks = (pd.to_datetime(tx.date, format="%Y%m%d") - ORIGIN).dt.days / 7
    split = calibration_holdout_summary(tx.id, weeks, _weeks("1997-09-30"), _weeks("1998-06-30"), tx.value)
    full = calibration_holdout_summary(tx.id, weeks, _weeks("1998-06-30"), _weeks("1998-06-30") + 1, tx.value)
    prep = lambda d: d.rename(columns={"monetary": "monetary_value"}).rename_axis("customer_id").reset_index()  # noqa: E731
    return prep(full), prep(split)


@pytest.fixture(scope="module")
def built(summaries):
    full, split = summaries
    config = AnalysisConfig()
    config.value.time_unit = "week"
    config.value.horizon = 52
    ctx = SectionContext(config=config)
    return value_section(full, split, config.value, ctx), ctx, full


def test_blocks_and_choice(built):
    section, _, _ = built
    kinds = [type(b).__name__ for b in section.blocks]
    assert kinds.count("Chart") == 4 and kinds.count("Table") == 3 and kinds.count("Number") == 3
    assert section.data["chosen"] in {"bgnbd", "mbgnbd", "pareto_nbd"}
    assert section.data["criterion"] == "holdout_mae"
    comparison = next(b for b in section.blocks if isinstance(b, Table) and b.title == "models.value.comparison")
    assert comparison.frame.holdout_mae.min() == comparison.frame.set_index("model").loc[section.data["chosen"], "holdout_mae"]


def test_customer_columns_and_totals(built):
    section, ctx, full = built
    cust = ctx.customers
    assert len(cust) == len(full)
    assert {"p_alive", "expected_purchases", "clv"} <= set(cust.columns)
    assert cust.p_alive.between(0, 1).all() and (cust.clv >= 0).all()
    total = next(b for b in section.blocks if isinstance(b, Number) and b.label == "models.value.clv_total")
    assert total.value == pytest.approx(cust.clv.sum())
    top = next(b for b in section.blocks if isinstance(b, Table) and b.title == "models.value.top_customers")
    assert top.frame.clv.iloc[0] == pytest.approx(cust.clv.max())


def test_charts_are_aggregated(built):
    section, _, full = built
    for chart in (b for b in section.blocks if isinstance(b, Chart)):
        assert len(chart.frame) <= 100 < len(full)
    hist = next(b for b in section.blocks if isinstance(b, Chart) and b.kind == "histogram")
    assert hist.frame.customers.sum() == len(full)


def test_histogram_bins_count_every_value():
    values = np.array([0.0, 1.0, 2.0, 50.0, 1e6])
    frame = clv_histogram(values, bins=4)
    assert frame.customers.sum() == 5 and frame.customers.iloc[-1] >= 1


def test_too_few_customers(summaries):
    full, _ = summaries
    with pytest.raises(InsufficientDataError):
        value_section(full.head(20), None, AnalysisConfig().value)


def test_build_from_dataset(data_dir):
    summary_mod = pytest.importorskip("loyalscope.metrics.summary")  # the customer summary of the metrics area
    from loyalscope.data.dataset import Dataset
    from loyalscope.sections.value import build

    tx = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                     names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    frame = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(tx))], "customer_id": tx.customer_id.astype(str),
                          "order_ts": pd.to_datetime(tx.date, format="%Y%m%d"), "amount": tx.amount.astype(float)})
    ds = Dataset.from_frames({"transactions": frame})
    config = AnalysisConfig()
    ctx = SectionContext(config=config)
    section = build(ds, ctx)
    assert summary_mod is not None and section.data["time_unit"] == config.value.time_unit
    assert len(ctx.customers) == 2357


def test_potential_is_predicted_minus_trailing_spend(data_dir):
    """On the CDNOW transactions through the whole analysis path (build from a Dataset): the
    potential column equals expected purchases x expected spend minus the spend of the last 52
    weeks, the latter recomputed here with pandas."""
    from loyalscope.data.dataset import Dataset
    from loyalscope.sections.value import build

    raw = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                      names=["master_id", "id", "date", "cds", "value"], dtype={"date": str})
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(raw))],
                       "customer_id": raw.id.astype(str),
                       "order_ts": pd.to_datetime(raw.date, format="%Y%m%d"),
                       "amount": raw.value.astype(float)})
    config = AnalysisConfig()
    config.value.time_unit = "week"
    config.value.horizon = 52
    ctx = SectionContext(config=config)
    build(Dataset.from_frames({"transactions": tx}, config=config), ctx)
    cust = ctx.customers.set_index("customer_id")
    start = tx.order_ts.max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=52 * 7)
    trailing = tx[tx.order_ts >= start].groupby("customer_id").amount.sum()
    expected = cust.expected_purchases * cust.expected_spend - trailing.reindex(cust.index).fillna(0)
    np.testing.assert_allclose(cust.potential, expected, rtol=1e-12)
    assert (cust.potential < 0).any() and (cust.potential > 0).any()
