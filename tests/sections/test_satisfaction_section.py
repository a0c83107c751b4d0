"""Satisfaction section on a simulated company: numbers against pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import SchemaError
from loyalscope.results import Chart, Number, Table, Text
from loyalscope.sections import satisfaction
from loyalscope.sections.context import SectionContext

N = 600


def _frames(seed: int = 4) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(N)]
    csat = rng.integers(1, 6, N)
    seg = rng.choice(["a", "b"], N)
    answered = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, N), unit="D")
    quality = np.clip(csat + rng.integers(-1, 2, N), 1, 5)
    price = rng.integers(1, 6, N)
    surveys = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(N)], "customer_id": ids, "answered_ts": answered,
        "nps": np.clip(2 * csat + rng.integers(-1, 2, N), 0, 10).astype(float), "csat": csat.astype(float),
        "loyalty_score": np.clip(quality + rng.integers(-1, 2, N), 1, 5).astype(float),
        "dim_quality": quality.astype(float), "dim_price": price.astype(float),
        "dim_service": rng.integers(1, 6, N).astype(float),
        "comp_acme_quality": rng.integers(1, 6, N).astype(float), "comp_acme_nps": rng.integers(0, 11, N).astype(float),
        "segment": seg,
    })
    p_buy = np.array([0.1, 0.2, 0.4, 0.6, 0.8])[csat - 1] * np.where(seg == "a", 1.2, 0.6)
    buys = rng.random(N) < p_buy
    later = answered + pd.to_timedelta(rng.integers(1, 170, N), unit="D")
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(int(buys.sum()))],
                       "customer_id": np.array(ids)[buys], "order_ts": later[buys],
                       "amount": 10.0})
    first = pd.DataFrame({"order_id": [f"f{i}" for i in range(N)], "customer_id": ids,
                          "order_ts": answered - pd.Timedelta(days=30), "amount": 10.0})
    last = pd.DataFrame({"order_id": ["z"], "customer_id": ["c0"], "order_ts": [pd.Timestamp("2024-12-31")], "amount": [1.0]})
    return {"surveys": surveys, "transactions": pd.concat([first, tx, last], ignore_index=True)}


@pytest.fixture(scope="module")
def built():
    frames = _frames()
    cfg = AnalysisConfig()
    ds = Dataset.from_frames(frames, config=cfg)
    ctx = SectionContext(cfg)
    return frames, satisfaction.build(ds, ctx), ctx


def test_nps_and_csat_numbers(built) -> None:
    frames, section, _ = built
    s = frames["surveys"]
    nums = {b.metric_id: b for b in section.blocks if isinstance(b, Number)}
    assert nums["nps"].value == pytest.approx(100 * ((s.nps >= 9).mean() - (s.nps <= 6).mean()))
    assert nums["nps"].denominator == N
    lo, hi = nums["nps"].interval
    assert lo < nums["nps"].value < hi
    assert nums["csat_top2"].value == pytest.approx((s.csat >= 4).mean())
    assert section.data["nps"]["n"] == N


def test_trend_competitors_and_drivers(built) -> None:
    frames, section, _ = built
    s = frames["surveys"]
    charts = {b.title.rsplit(".", 1)[-1]: b for b in section.blocks if isinstance(b, Chart)}
    assert len(charts["trend"].frame) == 4  # Jan..Apr 2024
    tables = {b.title.rsplit(".", 1)[-1]: b.frame for b in section.blocks if isinstance(b, Table)}
    comp = tables["competitors"].set_index("dimension")
    assert comp.loc["quality", "gap"] == pytest.approx((s.dim_quality - s.comp_acme_quality).mean())
    drivers = tables["drivers"].set_index("driver")
    assert drivers["relative_weight_pct"].idxmax() == "dim_quality"
    assert charts["ipa"].kind == "quadrant"
    assert len(charts["ipa"].frame) == 3


def test_sat_loyalty_curve_against_pandas(built) -> None:
    frames, section, ctx = built
    s, tx = frames["surveys"], frames["transactions"]
    m = s.merge(tx, on="customer_id")
    m = m[(m.order_ts > m.answered_ts) & (m.order_ts <= m.answered_ts + pd.Timedelta(days=180))]
    bought = s.response_id.isin(m.response_id)
    rate = bought.groupby(s.csat).mean()
    curve = ctx.results["sat_loyalty"].summary().set_index("satisfaction")
    assert curve["rate"].to_numpy() == pytest.approx(rate.to_numpy())
    constraint = ctx.results["sat_loyalty"].constraint_.set_index("segment")["O"]
    assert constraint["a"] > 1 > constraint["b"]
    assert any(isinstance(b, Text) and b.key.endswith("satisfied_defectors") for b in section.blocks)


def test_needs_nps_or_csat() -> None:
    s = _frames()["surveys"][["response_id", "customer_id", "answered_ts"]]
    ds = Dataset.from_frames({"surveys": s})
    with pytest.raises(SchemaError):
        satisfaction.build(ds, SectionContext(AnalysisConfig()))


def test_bayes_drivers_table(built) -> None:
    frames, section, _ = built
    s = frames["surveys"]
    table = next(b.frame for b in section.blocks if isinstance(b, Table) and b.title.endswith("bayes_drivers"))
    row = table[(table.driver == "dim_quality") & (table.level == 5)].iloc[0]
    sub = s[s.dim_quality == 5]
    k, n = int((sub.nps >= 9).sum()), len(sub)
    assert (row["n"], row["loyal"]) == (n, k)
    assert row["mean"] == pytest.approx((k + 1) / (n + 2))


def test_nps_by_segment(built) -> None:
    frames, section, _ = built
    s = frames["surveys"]
    table = next(b.frame for b in section.blocks if isinstance(b, Table) and b.title.endswith("nps_by_segment"))
    got = table.set_index("segment")
    for seg, sub in s.groupby("segment"):
        assert got.loc[seg, "n"] == len(sub)
        assert got.loc[seg, "nps"] == pytest.approx(100 * ((sub.nps >= 9).mean() - (sub.nps <= 6).mean()))
        assert got.loc[seg, "lower"] < got.loc[seg, "nps"] < got.loc[seg, "upper"]
