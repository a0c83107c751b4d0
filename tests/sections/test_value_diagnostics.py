"""BTYD diagnostics in the value section on the CDNOW transactions: the tracking frame and the
calibration distribution against independent pandas / lifetimes computations, the charts in the
section, and the per-customer P(alive) history inputs."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.models import BGNBD
from loyalscope.models.purchase.tracking import frequency_distribution, tracking_frame
from loyalscope.report.charts import figure
from loyalscope.report.charts_btyd import (
    customer_alive_history,
    plot_frequency_distribution,
    plot_tracking,
)
from loyalscope.sections.context import SectionContext
from loyalscope.sections.value import build


@pytest.fixture(scope="module")
def cdnow_tx(data_dir) -> pd.DataFrame:
    raw = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                      names=["master_id", "id", "date", "cds", "value"], dtype={"date": str})
    return pd.DataFrame({"order_id": [f"o{i}" for i in range(len(raw))], "customer_id": raw.id.astype(str),
                         "order_ts": pd.to_datetime(raw.date, format="%Y%m%d"), "amount": raw.value.astype(float)})


@pytest.fixture(scope="module")
def built(cdnow_tx):
    ctx = SectionContext(config=AnalysisConfig())
    section = build(Dataset.from_frames({"transactions": cdnow_tx}), ctx)
    return section, ctx


def _days(tx: pd.DataFrame) -> pd.DataFrame:
    d = tx.assign(day=(tx.order_ts - pd.Timestamp("1970-01-01")).dt.days)[["customer_id", "day"]].drop_duplicates()
    return d.assign(first=d.groupby("customer_id").day.transform("min"))


def test_tracking_frame_equals_a_per_customer_sum(cdnow_tx, data_dir):
    model = BGNBD().fit(*(pd.read_csv(data_dir / "cdnow_sample_summary.csv")[c] for c in ("x", "t_x", "T")))
    d = _days(cdnow_tx)
    origin = d.day.min()
    weeks = (d.day - origin) / 7
    first = (d.groupby("customer_id")["first"].first() - origin) / 7
    repeat = weeks[d.day > d["first"]]
    ends = np.arange(1, 79, dtype=float)
    frame = tracking_frame(model, *np.unique(first, return_counts=True), *np.unique(repeat, return_counts=True), ends)
    # independent: every customer's own E[X(t - b_i)], summed; repeat purchases counted one by one
    for k in (9, 38, 77):
        t_end = ends[k]
        exp = sum(model.expected_purchases_new_customer(t_end - b)[0] for b in first if b < t_end)
        assert frame.cumulative_expected.iloc[k] == pytest.approx(exp, rel=1e-10)
        assert frame.cumulative_actual.iloc[k] == int((repeat <= t_end).sum())
    np.testing.assert_allclose(frame.expected.cumsum(), frame.cumulative_expected, rtol=1e-12)
    # FHL (2005) fig. 2: the model tracks the 78 weeks closely (within 5% at the end)
    assert frame.cumulative_expected.iloc[-1] == pytest.approx(frame.cumulative_actual.iloc[-1], rel=0.05)
    fig = plot_tracking(model, first, repeat, ends, lang="zh")
    assert len(fig.data) == 4


def test_frequency_distribution_against_lifetimes(data_dir):
    lifetimes = pytest.importorskip("lifetimes")
    cdnow = pd.read_csv(data_dir / "cdnow_sample_summary.csv")
    model = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    dist = frequency_distribution(model, cdnow.x, cdnow["T"], max_frequency=7)
    ref = lifetimes.BetaGeoFitter()
    ref.params_ = pd.Series(model.params_)
    expected = np.zeros(7)
    for age in cdnow["T"]:  # one customer at a time (independent of our grouping by age)
        expected += [ref.probability_of_n_purchases_up_to_time(age, n) for n in range(7)]
    np.testing.assert_allclose(dist.expected.to_numpy()[:7], expected, rtol=1e-8)
    assert dist.expected.sum() == pytest.approx(len(cdnow))
    assert list(dist.actual[:3]) == [(cdnow.x == k).sum() for k in range(3)] and dist.frequency.iloc[-1] == "7+"
    assert len(plot_frequency_distribution(model, cdnow.x, cdnow["T"]).data) == 2


def test_value_section_shows_tracking_and_distribution(built):
    section, _ = built
    kinds = [b.kind for b in section.blocks if hasattr(b, "kind")]
    assert "tracking" in kinds and "frequency_distribution" in kinds
    tracking = next(b for b in section.blocks if getattr(b, "kind", None) == "tracking")
    assert tracking.frame.cumulative_actual.iloc[-1] == section.data["tracking"]["cumulative_actual"]
    for lang in ("zh", "en"):
        for block in section.blocks:
            if getattr(block, "kind", None) in ("tracking", "frequency_distribution"):
                fig = figure(block, lang)
                assert fig.layout.title.text and "models." not in fig.layout.title.text


def test_customer_history_inputs_and_figure(built, cdnow_tx):
    section, ctx = built
    customers = ctx.customers.set_index("customer_id")
    d = _days(cdnow_tx)
    one = "1"  # customer 0001 bought on 1997-01-01, 01-18, 08-02, 12-12 (tests/data)
    offsets = sorted(int(v) for v in customers.loc[one, "repeat_purchase_days"].split())
    expected = sorted((d[d.customer_id == one].day - d[d.customer_id == one]["first"]).loc[lambda s: s > 0])
    assert offsets == expected
    record = {"btyd_T": customers.loc[one, "btyd_T"], "repeat_purchase_days": customers.loc[one, "repeat_purchase_days"]}
    fig = customer_alive_history(section.data, record, "en")
    assert fig is not None
    y = fig["data"][0]["y"]  # Plotly's JSON holds numeric arrays as base64 typed arrays
    p = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if isinstance(y, dict) else np.asarray(y)
    assert p[-1] == pytest.approx(customers.loc[one, "p_alive"], rel=1e-9)  # the history ends at today's P(alive)
    nobody = customer_alive_history({}, record, "en")
    assert nobody is None
