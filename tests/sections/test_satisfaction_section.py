"""Satisfaction section on a simulated company: numbers against pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import SchemaError
from loyalscope.report.format import render_value
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


def test_documents_indices_in_the_report(built) -> None:
    """Satisfaction score and the loyalty index (mean / scale max x 100) and the weighted
    satisfaction index, shown as numbers (report and workbook), against pandas. Before: computed
    but shown nowhere."""
    frames, section, _ = built
    s = frames["surveys"]
    nums = {b.metric_id: b for b in section.blocks if isinstance(b, Number)}
    assert nums["satisfaction_score"].value == pytest.approx(s.csat.mean() / 5 * 100)
    assert nums["loyalty_index_seed"].value == pytest.approx(s.loyalty_score.mean() / 5 * 100)
    assert nums["satisfaction_score"].n == N and not nums["satisfaction_score"].flags
    # no stated importance here: relative weights on loyalty_score, computed independently below
    from loyalscope.models.survey.drivers import relative_weights

    dims = ["dim_price", "dim_quality", "dim_service"]
    w = relative_weights(s[dims].to_numpy(float), s.loyalty_score.to_numpy(float))
    w = w / w.sum()
    expected = float(((s[dims].mean() - 1) / 4 * 100) @ w)
    assert nums["satisfaction_index"].value == pytest.approx(expected)
    assert nums["satisfaction_index"].note == "survey.indices.weights_relative_weights"


def test_stated_importance_weights_the_satisfaction_index() -> None:
    frames = _frames()
    s = frames["surveys"]
    rng = np.random.default_rng(9)
    for d in ("quality", "price", "service"):
        s[f"imp_{d}"] = rng.integers(1, 6, N).astype(float)
    ctx = SectionContext(AnalysisConfig())
    section = satisfaction.build(Dataset.from_frames(frames), ctx)
    index = next(b for b in section.blocks if isinstance(b, Number) and b.metric_id == "satisfaction_index")
    dims = ["price", "quality", "service"]
    w = np.array([s[f"imp_{d}"].mean() for d in dims])
    expected = float(((s[[f"dim_{d}" for d in dims]].mean().to_numpy() - 1) / 4 * 100) @ (w / w.sum()))
    assert index.value == pytest.approx(expected) and index.note == "survey.indices.weights_importance"


def test_star_ratings_as_nps_and_a_1_10_loyalty_score_are_refused_not_shown() -> None:
    """NPS -100 from 1-5 stars and a loyalty index of 123.7 (1-10 over a max of 5) before."""
    frames = _frames()
    s = frames["surveys"]
    s["nps"] = s.csat  # star ratings mapped to nps
    s["loyalty_score"] = np.clip(2 * s.loyalty_score, 1, 10)
    section = satisfaction.build(Dataset.from_frames(frames), SectionContext(AnalysisConfig()))
    ids = {b.metric_id for b in section.blocks if isinstance(b, Number)}
    assert "nps" not in ids and "loyalty_index_seed" not in ids and "satisfaction_score" in ids
    warnings = [b for b in section.blocks if isinstance(b, Text) and b.key == "survey.indices.refused"]
    assert {w.kw["metric"] for w in warnings} == {"metrics.nps.name", "metrics.loyalty_index_seed.name"}
    reasons = [str(render_value(w.kw["reason"], "en")) for w in warnings]  # a Phrase: both languages render it
    assert any("surveys.loyalty_score" in r and "1-5" in r for r in reasons)
    assert all(0 <= b.value <= 100 for b in section.blocks if isinstance(b, Number) and b.unit == "score")


def test_the_same_answers_in_another_row_order_give_the_same_section() -> None:
    """An engine's parallel scan returns the answers in another order from run to run; the
    drivers (correlations, relative weights, Shapley values) and the indices computed from them
    ended in other digits (seen at 100,000 customers). They are read in a fixed order now."""
    import json

    from loyalscope.results import to_jsonable

    frames = _frames()
    frames["surveys"]["dim_brand"] = np.clip(frames["surveys"].dim_quality + np.random.default_rng(1).normal(
        0, 1.3, N), 1, 5).round(1)  # decimals: sums whose last digits depend on the order
    out = []
    for order in (None, 0, 1):
        f = dict(frames)
        if order is not None:
            f["surveys"] = frames["surveys"].sample(frac=1, random_state=order).reset_index(drop=True)
        cfg = AnalysisConfig()
        section = satisfaction.build(Dataset.from_frames(f, config=cfg), SectionContext(cfg))
        out.append(json.dumps(to_jsonable(section), sort_keys=True, default=str))
    assert out[0] == out[1] == out[2]
