"""Survey metrics through the registry against an independent pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import SchemaError
from loyalscope.i18n import t
from loyalscope.metrics import REGISTRY, compute, wording
from loyalscope.metrics.survey import competitor_pairs

N = 400


def _surveys(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def holes(x: np.ndarray, share: float = 0.1) -> np.ndarray:
        x = x.astype(float)
        x[rng.random(x.size) < share] = np.nan
        return x

    mention = pd.array(rng.random(N) < 0.4, dtype="boolean")
    mention[rng.random(N) < 0.1] = pd.NA
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(N)],
        "customer_id": [f"c{i % 150}" for i in range(N)],
        "answered_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180 * 24, N), unit="h"),
        "nps": holes(rng.integers(0, 11, N)),
        "csat": holes(rng.integers(1, 8, N)),
        "recommend_intent": holes(rng.integers(1, 8, N)),
        "loyalty_score": holes(rng.integers(1, 8, N)),
        "mention_unprompted": mention,
        "segment": rng.choice(["a", "b"], N),
        "dim_quality": holes(rng.integers(1, 8, N)),
        "dim_price": holes(rng.integers(1, 8, N)),
        "comp_acme_quality": holes(rng.integers(1, 8, N)),
        "comp_acme_price": holes(rng.integers(1, 8, N)),
        "comp_big_co_quality": holes(rng.integers(1, 8, N)),
        "comp_acme_nps": holes(rng.integers(0, 11, N)),
    })


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _surveys()


@pytest.fixture(scope="module")
def ds(frame: pd.DataFrame) -> Dataset:
    cfg = AnalysisConfig.load(**{"survey.csat_scale_max": 7, "survey.rating_scale_max": 7})
    return Dataset.from_frames({"surveys": frame}, config=cfg)


def _expected(frame: pd.DataFrame, metric: str, by: str | None) -> pd.DataFrame:
    f = frame.assign(period=frame["answered_ts"].dt.to_period("M").dt.start_time.dt.date)
    if metric == "csat_top2":
        num, den = (f["csat"] >= 6).astype(float), f["csat"].notna().astype(float)
    elif metric == "nps":
        num = (f["nps"] >= 9).astype(float) - (f["nps"] <= 6).astype(float)
        den = f["nps"].notna().astype(float)
    elif metric in ("satisfaction_score", "recommend_index_seed", "loyalty_index_seed"):
        col = {"satisfaction_score": "csat", "recommend_index_seed": "recommend_intent",
               "loyalty_index_seed": "loyalty_score"}[metric]
        num, den = f[col].fillna(0) * 100 / 7, f[col].notna().astype(float)
    elif metric == "mention_rate":
        num = f["mention_unprompted"].fillna(False).astype(float)
        den = f["mention_unprompted"].notna().astype(float)
    else:  # competitor_gap, pooled over the three rating pairs
        pairs = [("dim_quality", "comp_acme_quality"), ("dim_price", "comp_acme_price"),
                 ("dim_quality", "comp_big_co_quality")]
        gaps = [f[a] - f[b] for a, b in pairs]
        num = sum(g.fillna(0) for g in gaps)
        den = sum(g.notna().astype(float) for g in gaps)
    keys = ["period", *([by] if by else [])]
    out = f[keys].assign(numerator=num, denominator=den).groupby(keys).sum().reset_index()
    out["value"] = out["numerator"] / out["denominator"]
    return out.sort_values(keys).reset_index(drop=True)


METRICS = ["csat_top2", "satisfaction_score", "nps", "recommend_index_seed",
           "loyalty_index_seed", "mention_rate", "competitor_gap"]


@pytest.mark.parametrize("by", [None, "segment"])
@pytest.mark.parametrize("metric", METRICS)
def test_matches_pandas(ds: Dataset, frame: pd.DataFrame, metric: str, by: str | None) -> None:
    got = compute(ds, metric, period="month", by=by)
    exp = _expected(frame, metric, by)
    assert len(got) == len(exp) == (6 if by is None else 12)
    assert got["numerator"].to_numpy() == pytest.approx(exp["numerator"].to_numpy())
    assert got["denominator"].to_numpy() == pytest.approx(exp["denominator"].to_numpy())
    assert got["value"].to_numpy() == pytest.approx(exp["value"].to_numpy())


def test_registered_with_names_and_formulas() -> None:
    for metric in METRICS:
        assert REGISTRY[metric].section == "satisfaction"
        for lang in ("en", "zh"):
            assert t(f"metrics.{metric}.name", lang) != f"metrics.{metric}.name"
            assert t(f"metrics.{metric}.formula", lang) != f"metrics.{metric}.formula"


@pytest.mark.parametrize(("scales", "answers", "top", "key"), [
    ({"csat": "0-1"}, [0.0, 1.0, 0.5], [1.0], "metrics.csat_top2.yes_no"),  # yes / no: share of yes
    ({"csat": "1-2"}, [1.0, 2.0], [2.0], "metrics.csat_top2.top_box"),  # two points: the top box
    ({}, [1.0, 2.0, 3.0, 4.0, 5.0], [4.0, 5.0], "metrics.csat_top2"),  # 1-5: top two boxes
    ({"csat": "0-10"}, [float(v) for v in range(11)], [9.0, 10.0], "metrics.csat_top2"),
])
def test_csat_is_named_and_defined_by_what_it_counts(scales: dict[str, str], answers: list[float],
                                                     top: list[float], key: str) -> None:
    """The name and definition keys of csat_top2 follow the question's scale; the value is the
    share of answers in the boxes they name (pandas), and the id stays csat_top2."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"response_id": [f"r{i}" for i in range(200)], "customer_id": [f"c{i % 50}" for i in range(200)],
                          "answered_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(200), unit="D"),
                          "csat": rng.choice(answers, 200)})
    ds = Dataset.from_frames({"surveys": frame}, config=AnalysisConfig.load(**{"survey.scales": scales}))
    words = wording("csat_top2", ds)
    assert (words.name, words.formula) == (f"{key}.name", f"{key}.formula")
    assert (REGISTRY["csat_top2"].name("en", ds), REGISTRY["csat_top2"].name("en")) == (
        t(words.name, "en"), "CSAT (top-2-box)")
    for lang in ("en", "zh"):
        assert t(words.name, lang) != words.name and t(words.formula, lang) != words.formula
    got = compute(ds, "csat_top2", period="year")
    assert got.numerator.sum() == frame.csat.isin(top).sum() and got.denominator.sum() == len(frame)
    # metrics whose wording does not depend on the data keep their own keys
    assert wording("nps", ds).name == "metrics.nps.name"


def test_competitor_pairs_parse_underscored_names() -> None:
    cols = ["nps", "dim_quality", "dim_after_sales", "comp_big_co_after_sales", "comp_x_nps", "comp_y_misc"]
    assert competitor_pairs(cols) == [("big_co", "after_sales", "comp_big_co_after_sales"),
                                      ("x", "nps", "comp_x_nps")]


def test_missing_inputs_raise_schema_error(frame: pd.DataFrame) -> None:
    ds = Dataset.from_frames({"surveys": frame[["response_id", "customer_id", "answered_ts", "nps"]]})
    with pytest.raises(SchemaError):
        compute(ds, "csat_top2")
    with pytest.raises(SchemaError, match="dim_"):
        compute(ds, "competitor_gap")
