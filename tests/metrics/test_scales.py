"""Survey answers are checked against the question's declared scale before a metric uses them.

Before: ``loyalty_index_seed`` read 123.7 on a 0-100 scale (1-10 answers divided by a scale max
of 5) and NPS read -100 from 1-5 star ratings (every answer below 7 is a detractor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import ConfigError, DataQualityError
from loyalscope.metrics import compute
from loyalscope.metrics.scales import declared_scale

N = 120


def _surveys(**cols: np.ndarray) -> pd.DataFrame:
    base = {"response_id": [f"r{i}" for i in range(N)], "customer_id": [f"c{i}" for i in range(N)],
            "answered_ts": pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(N) % 60, unit="D")}
    return pd.DataFrame({**base, **cols})


def _ds(surveys: pd.DataFrame, **overrides) -> Dataset:
    return Dataset.from_frames({"surveys": surveys}, config=AnalysisConfig.load(None, **overrides))


RNG = np.random.default_rng(0)
TEN = RNG.integers(1, 11, N).astype(float)
STARS = RNG.integers(1, 6, N).astype(float)


def test_loyalty_index_on_the_wrong_scale_is_refused_with_column_and_scale():
    ds = _ds(_surveys(loyalty_score=TEN))
    with pytest.raises(DataQualityError) as info:
        compute(ds, "loyalty_index_seed")
    err = info.value
    assert err.column == "surveys.loyalty_score" and float(err.value) == TEN.max()
    assert "1-5" in err.message and 'loyalty_score = "1-10"' in err.fix


def test_declared_scale_gives_an_index_within_0_100():
    ds = _ds(_surveys(loyalty_score=TEN), **{"survey.scales": {"loyalty_score": "1-10"}})
    got = compute(ds, "loyalty_index_seed", period="year")
    assert got.value.iloc[0] == pytest.approx(TEN.mean() / 10 * 100)
    assert 0 <= got.value.iloc[0] <= 100


def test_nps_from_star_ratings_is_refused():
    ds = _ds(_surveys(nps=STARS))
    with pytest.raises(DataQualityError, match="star ratings") as info:
        compute(ds, "nps")
    assert "csat" in info.value.fix
    # confirmed as 0-10 answers, it is computed: with all answers <= 6, NPS is -100 by definition
    ds = _ds(_surveys(nps=STARS), **{"survey.scales": {"nps": "0-10"}})
    assert compute(ds, "nps", period="year").value.iloc[0] == -1.0


def test_nps_on_a_declared_1_5_question_is_refused():
    ds = _ds(_surveys(nps=STARS), **{"survey.scales": {"nps": "1-5"}})
    with pytest.raises(DataQualityError, match="needs the 0-10"):
        compute(ds, "nps")


def test_real_0_10_nps_passes():
    nps = RNG.integers(0, 11, N).astype(float)
    got = compute(_ds(_surveys(nps=nps)), "nps", period="year")
    assert got.value.iloc[0] == pytest.approx(((nps >= 9).sum() - (nps <= 6).sum()) / N)


def test_share_of_wallet_in_percent_is_refused():
    ds = _ds(_surveys(share_of_wallet=RNG.uniform(0, 100, N)))
    tx = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_ts": [pd.Timestamp("2024-03-02")],
                       "amount": [10.0]})
    ds = Dataset.from_frames({"surveys": ds.tables["surveys"].to_pandas(), "transactions": tx})
    with pytest.raises(DataQualityError, match="0-1"):
        compute(ds, "share_of_wallet")


def test_scale_declarations():
    config = AnalysisConfig.load(None, **{"survey.scales": {"dim_*": "1-7"}, "survey.csat_scale_max": 7})
    assert (declared_scale(config, "dim_price").high, declared_scale(config, "dim_price").source) == (7.0, "config")
    assert declared_scale(config, "csat").high == 7.0
    assert declared_scale(config, "comp_acme_nps").high == 10.0
    assert declared_scale(config, "q_sat1") is None
    bad = AnalysisConfig.load(None, **{"survey.scales": {"csat": "five"}})
    with pytest.raises(ConfigError, match="not 'low-high'"):
        declared_scale(bad, "csat")
