"""Excellent-customer evaluation: management-evaluation components, scores and tiers, against
independent computations (scipy ranks, pandas group-bys on the raw frames)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from loyalscope.analysis import analyze
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate
from loyalscope.i18n import t
from loyalscope.indices.excellent import COMPONENTS, DEFAULT_WEIGHTS, evaluate_excellent
from loyalscope.indices.excellent_inputs import excellent_inputs

AS_OF = date(2024, 7, 1)


def _pct_ranks(x: np.ndarray) -> np.ndarray:
    """Average-tie percentile ranks among the non-missing values, NaN kept."""
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    out[ok] = rankdata(x[ok], method="average") / ok.sum()
    return out


def test_default_weights_cover_every_component_and_sum_to_one() -> None:
    assert set(DEFAULT_WEIGHTS) == set(COMPONENTS)
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


def test_score_against_independent_weighted_ranks() -> None:
    rng = np.random.default_rng(2)
    n = 60
    comp = pd.DataFrame({c: rng.gamma(2.0, 1.0, n).round(1) for c in COMPONENTS})
    comp.loc[rng.random(n) < 0.3, "recommendation"] = np.nan  # no survey answer
    comp.loc[rng.random(n) < 0.3, "satisfaction"] = np.nan
    out, used, notes = evaluate_excellent(comp)
    assert used == pytest.approx(DEFAULT_WEIGHTS) and notes == []
    ranks = np.column_stack([_pct_ranks(comp[c].to_numpy()) for c in COMPONENTS])
    w = np.array([DEFAULT_WEIGHTS[c] for c in COMPONENTS])
    expected = np.array([np.nansum(r * w) / w[~np.isnan(r)].sum() for r in ranks])
    np.testing.assert_allclose(out.score, expected)
    tiers = np.where(expected >= 0.75, "A", np.where(expected >= 0.5, "B", np.where(expected >= 0.25, "C", "D")))
    assert out.tier.tolist() == tiers.tolist()


def test_missing_components_dropped_with_renormalised_weights_and_notes() -> None:
    comp = pd.DataFrame({"loyalty": [10.0, 50.0, 90.0], "contribution": [0.5, 0.2, 0.3],
                         "recommendation": [np.nan] * 3})
    out, used, notes = evaluate_excellent(comp, lang="en")
    assert used == pytest.approx({"loyalty": 0.2 / 0.35, "contribution": 0.15 / 0.35})
    dropped = [c for c in COMPONENTS if c not in ("loyalty", "contribution")]
    assert notes == [t("indices.excellent.dropped", "en", component=t(f"indices.excellent.component.{c}", "en"))
                     for c in dropped]
    # customer 0: loyalty rank 1/3, contribution rank 3/3
    assert out.score.iloc[0] == pytest.approx(used["loyalty"] / 3 + used["contribution"])


def _frames() -> dict[str, pd.DataFrame]:
    ts = pd.Timestamp
    tx = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(8)],
        "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "order_ts": [ts("2024-01-05"), ts("2024-03-01"), ts("2024-06-30"), ts("2024-02-01"), ts("2024-05-01"),
                     ts("2024-06-01"), ts("2024-08-01"), ts("2024-09-01")],
        "amount": [100.0, 50.0, 30.0, 200.0, 20.0, 60.0, 999.0, 10.0],
        "margin": [30.0, 10.0, 5.0, 40.0, 4.0, 11.0, 500.0, 1.0],
        "category": ["food", "home", "food", "home", "home", "books", "food", "food"],
        "channel": ["app", "app", "store", "online", "online", "app", "app", "app"],
    })
    sv = pd.DataFrame({"response_id": ["s1", "s2", "s3", "s4"], "customer_id": ["a", "a", "b", "c"],
                       "answered_ts": [ts("2024-02-01"), ts("2024-06-01"), ts("2024-03-01"), ts("2024-08-01")],
                       "nps": [9.0, 7.0, 3.0, 10.0], "recommend_intent": [5.0, 4.0, 2.0, 5.0]})
    cp = pd.DataFrame({"complaint_id": ["k1", "k2", "k3"], "customer_id": ["b", "b", "c"],
                       "opened_ts": [ts("2024-03-01"), ts("2024-04-01"), ts("2024-09-01")]})
    it = pd.DataFrame({"customer_id": ["c", "c", "a"], "ts": [ts("2024-06-02"), ts("2024-06-03"), ts("2024-04-01")],
                       "kind": ["feedback", "consult", "feedback"]})
    return {"transactions": tx, "surveys": sv, "complaints": cp, "interactions": it}


def test_inputs_against_pandas() -> None:
    frames = _frames()
    got = excellent_inputs(Dataset.from_frames(frames), as_of=AS_OF)
    cut = pd.Timestamp(AS_OF)
    tx = frames["transactions"][frames["transactions"].order_ts < cut]
    g = tx.groupby("customer_id")
    assert list(got.index) == ["a", "b", "c"]  # d bought after as_of
    pd.testing.assert_series_equal(got.revenue_share, g.amount.sum() / tx.amount.sum(), check_names=False)
    pd.testing.assert_series_equal(got.margin_share, g.margin.sum() / tx.margin.sum(), check_names=False)
    np.testing.assert_allclose(got.tenure_days, (cut - g.order_ts.min()).dt.days)
    np.testing.assert_allclose(got.categories, g.category.nunique())
    np.testing.assert_allclose(got.channels, g.channel.nunique())
    depth = np.mean([_pct_ranks(got[c].to_numpy()) for c in ("tenure_days", "categories", "channels")], axis=0)
    np.testing.assert_allclose(got.relationship_depth, depth)
    # answers before as_of: a (9, 7), b (3); c answered later
    np.testing.assert_allclose(got.recommendation, [8.0, 3.0, np.nan])
    # a: 2 surveys + 1 feedback; b: 1 survey + 2 complaints; c: 1 feedback interaction (consult not counted)
    np.testing.assert_allclose(got.feedback, [3.0, 3.0, 1.0])


def test_inputs_without_nps_use_recommend_intent_and_without_sources_leave_columns_out() -> None:
    frames = _frames()
    frames["surveys"] = frames["surveys"].drop(columns="nps")
    got = excellent_inputs(Dataset.from_frames(frames), as_of=AS_OF)
    np.testing.assert_allclose(got.recommendation, [4.5, 2.0, np.nan])
    bare = {"transactions": frames["transactions"].drop(columns=["margin", "category", "channel"])}
    got = excellent_inputs(Dataset.from_frames(bare), as_of=AS_OF)
    assert set(got.columns) == {"revenue_share", "tenure_days", "relationship_depth"}


def test_section_scores_every_component_the_data_gives() -> None:
    company = simulate(customers=300, days=540, seed=4)
    config = AnalysisConfig()
    ds = Dataset.from_frames(company.tables, config=config)
    analysis = analyze(ds, config, sections=("segments", "loyalty_index"))
    data = analysis.section("loyalty_index").data
    assert data["excellent_dropped"] == ["value"]  # CLV comes from the value section, not run here
    assert set(data["excellent_weights"]) == set(COMPONENTS) - {"value"}
    assert sum(data["excellent_weights"].values()) == pytest.approx(1.0)
    tiers = analysis.customers.set_index("customer_id").excellent_tier
    assert set(tiers.dropna()) <= {"A", "B", "C", "D"} and tiers.notna().all()


def test_referrals_made_join_the_recommendation() -> None:
    """a answered 8 on average and referred 2 people before as_of, b answered 3 and referred 1
    (a later one does not count), c gave no answer and referred 0: the recommendation is the
    mean percentile rank of the two parts each customer has."""
    frames = _frames()
    ts = pd.Timestamp
    frames["referrals"] = pd.DataFrame({
        "referrer_id": ["a", "a", "b", "b"], "referred_id": ["x1", "x2", "x3", "x4"],
        "referred_ts": [ts("2024-02-01"), ts("2024-05-01"), ts("2024-03-01"), ts("2024-08-01")],
    })
    got = excellent_inputs(Dataset.from_frames(frames), as_of=AS_OF)
    np.testing.assert_allclose(got.referrals_made, [2.0, 1.0, 0.0])
    answer = _pct_ranks(np.array([8.0, 3.0]))  # c has no answer: ranks over a and b
    made = _pct_ranks(np.array([2.0, 1.0, 0.0]))
    np.testing.assert_allclose(got.recommendation, [(answer[0] + made[0]) / 2,
                                                    (answer[1] + made[1]) / 2, made[2]])
