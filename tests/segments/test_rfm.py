"""RFM scores, tie rule, recency direction, schemes and migration."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.errors import ConfigError
from loyalscope.segments.rfm import (
    migration,
    ntile_scores,
    prefetch_summaries,
    rfm_segments,
    rfm_summary,
    score_bins,
    segment_counts,
)
from loyalscope.segments.scheme import BUILTIN, load_scheme

AS_OF = date(2024, 1, 1)


def _dataset(n: int = 200, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = int(rng.integers(1, 12))
        days = rng.integers(1, 400, size=k)
        for j, d in enumerate(days):
            rows.append((f"o{i}_{j}", f"c{i:03d}", pd.Timestamp(AS_OF) - pd.Timedelta(days=int(d)),
                         round(float(rng.gamma(2, 50)), 2)))  # amounts in cents
    tx = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"])
    return Dataset.from_frames({"transactions": tx})


def test_summary_matches_pandas() -> None:
    ds = _dataset(50)
    got = rfm_summary(ds, AS_OF).set_index("customer_id")
    tx = ds.tables["transactions"].to_pandas()
    exp_f = tx.groupby("customer_id").size()
    exp_m = tx.groupby("customer_id").amount.sum()
    exp_r = (pd.Timestamp(AS_OF) - tx.groupby("customer_id").order_ts.max()).dt.days
    assert (got["frequency"] == exp_f.loc[got.index]).all()
    np.testing.assert_allclose(got["monetary"], exp_m.loc[got.index])
    np.testing.assert_allclose(got["recency_days"], exp_r.loc[got.index])


def test_summaries_of_several_dates_in_one_pass_match_pandas() -> None:
    """prefetch_summaries computes each date's summary from the orders before it, in one query;
    rfm_summary then returns them (customers without an order before a date are absent)."""
    ds = _dataset(80, seed=4)
    tx = ds.tables["transactions"].to_pandas()
    dates = [AS_OF, AS_OF - timedelta(days=200), AS_OF - timedelta(days=380)]
    prefetch_summaries(ds, dates)
    for as_of in dates:
        got = rfm_summary(ds, as_of).set_index("customer_id")
        before = tx[tx.order_ts < pd.Timestamp(as_of)]
        assert list(got.index) == sorted(before.customer_id.unique())
        per = before.groupby("customer_id")
        assert (got["frequency"] == per.size().loc[got.index]).all()
        np.testing.assert_allclose(got["monetary"], per.amount.sum().loc[got.index], rtol=1e-12)
        recency = (pd.Timestamp(as_of) - per.order_ts.max()).dt.total_seconds() / 86400
        np.testing.assert_allclose(got["recency_days"], recency.loc[got.index], rtol=1e-12)
    assert len(rfm_summary(ds, dates[2])) < len(rfm_summary(ds, dates[1])) < len(rfm_summary(ds, AS_OF))


def test_recent_buyer_gets_r5_and_lapsed_buyer_r1() -> None:
    tx = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(10)],
        "customer_id": [f"c{i}" for i in range(10)],
        # c0 bought yesterday, c9 bought 900 days ago
        "order_ts": [pd.Timestamp(AS_OF) - pd.Timedelta(days=1 + 100 * i) for i in range(10)],
        "amount": [10.0] * 10,
    })
    seg = rfm_segments(Dataset.from_frames({"transactions": tx}), "classic11", AS_OF).set_index("customer_id")
    assert seg.loc["c0", "r"] == 5
    assert seg.loc["c0", "recency_days"] == 1
    assert seg.loc["c9", "r"] == 1


def test_equal_values_get_equal_scores_whatever_the_id() -> None:
    values = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    got = ntile_scores(values, 5)
    # customers strictly below: 0 (x5), 5 (x2), 7, 8, 9 -> floor(below * 5 / 10) + 1
    assert got.tolist() == [1, 1, 1, 1, 1, 3, 3, 4, 5, 5]
    assert ntile_scores(values[::-1], 5).tolist() == got[::-1].tolist()


def test_scores_count_the_values_strictly_below_with_ties_and_missing_values() -> None:
    """The score is floor(bins * below / n) + 1, ``below`` counted directly (missing values
    count as equal to each other and above every number, as a sort places them)."""
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 50, 301):
        values = rng.integers(-3, 4, n).astype(float)
        values[rng.random(n) < 0.15] = np.nan
        values[rng.random(n) < 0.1] = np.inf
        numbers = values[~np.isnan(values)]
        # a number: the numbers lower than it; a missing value: every number
        below = np.array([len(numbers) if np.isnan(v) else int(np.sum(numbers < v)) for v in values])
        for bins in (1, 5, 10):
            assert ntile_scores(values, bins).tolist() == (below * bins // n + 1).tolist()


def test_one_time_buyers_never_reach_the_top_f_score() -> None:
    """Before: ties broken by customer id gave 60% one-time buyers F scores 1-5 in equal shares,
    so one-time buyers were "Champions"."""
    rng = np.random.default_rng(0)
    freq = np.concatenate([np.ones(600, dtype=int), rng.integers(2, 20, 400)])
    rng.shuffle(freq)
    scores = ntile_scores(freq.astype(float), 5)
    assert set(scores[freq == 1]) == {1}
    assert scores[freq == 2].min() == 4  # the jump: 60% of customers are below
    assert all(len(set(scores[freq == v])) == 1 for v in np.unique(freq))


def test_segments_of_one_time_buyers_and_the_stated_bins() -> None:
    ds = _dataset(300)
    seg = rfm_segments(ds, "classic11", AS_OF)
    once = seg[seg.frequency == 1]
    assert len(once) > 0 and (once.f == 1).all()
    assert "champions" not in set(once.segment_id)
    bins = score_bins(seg, 5)
    assert len(bins) == 15 and bins.groupby("dimension").customers.sum().eq(len(seg)).all()
    f = bins[bins.dimension == "f"].set_index("score")
    assert f.lowest[1] == 1 and f.highest[1] == seg.frequency[seg.f == 1].max()
    filled = f[f.customers > 0]  # bins do not overlap: each starts above the previous one's top
    assert (filled.lowest.to_numpy()[1:] > filled.highest.to_numpy()[:-1]).all()


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_schemes_cover_all_codes_and_reach_every_segment(name: str) -> None:
    sch = load_scheme(name)
    lookup = sch.lookup()
    assert set(lookup) == set(sch.code_space())
    assert {s.id for s in lookup.values()} == {s.id for s in sch.segments}
    assert len(sch.segments) == {"classic11": 11, "cn8": 8}[name]


def test_classic11_maps_all_125_rfm_codes() -> None:
    sch = load_scheme("classic11")
    lookup = sch.lookup()
    reached = set()
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                fm = int(np.floor((f + m) / 2 + 0.5))
                reached.add(lookup[f"{r}{fm}"].id)
    assert len(reached) == 11
    assert lookup["55"].en == "Champions"
    assert lookup["11"].en == "Lost"
    assert lookup["15"].en == "Can't Lose Them"


def test_cn8_recent_big_spender_is_important_value() -> None:
    tx = pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "b1", "c1"],
        "customer_id": ["A", "A", "A", "B", "C"],
        "order_ts": pd.to_datetime(["2023-12-30", "2023-12-20", "2023-12-10", "2022-01-01", "2023-12-31"]),
        "amount": [500.0, 500.0, 500.0, 20.0, 10.0],
    })
    seg = rfm_segments(Dataset.from_frames({"transactions": tx}), "cn8", AS_OF, lang="zh")
    seg = seg.set_index("customer_id")
    assert seg.loc["A", "segment"] == "重要价值客户"  # recent, frequent, high spend
    assert seg.loc["B", "segment"] == "一般挽留客户"  # lapsed, rare, low spend
    assert seg.loc["C", "code"] == "HLL"  # recent but rare and small -> 一般发展
    assert seg.loc["C", "segment"] == "一般发展客户"


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_user_scheme_with_overlap_names_file_and_code(tmp_path: Path) -> None:
    p = _write(tmp_path, 'key = "high_low"\n'
               '[[segment]]\nid = "a"\ncodes = ["H.."]\n'
               '[[segment]]\nid = "b"\ncodes = ["HH.", "L.."]\n')
    with pytest.raises(ConfigError) as err:
        load_scheme(p)
    assert err.value.file == str(p)
    assert err.value.value == "HHH"
    assert err.value.fix


def test_user_scheme_with_gap_and_unreachable(tmp_path: Path) -> None:
    p = _write(tmp_path, 'key = "high_low"\n[[segment]]\nid = "a"\ncodes = ["H.."]\n')
    with pytest.raises(ConfigError) as err:
        load_scheme(p)
    assert err.value.value == "LHH"
    p = _write(tmp_path, 'key = "high_low"\n[[segment]]\nid = "a"\ncodes = ["..."]\n'
               '[[segment]]\nid = "ghost"\ncodes = ["X"]\n')
    with pytest.raises(ConfigError) as err:
        load_scheme(p)
    assert err.value.value == "ghost"


def test_user_scheme_thresholds(tmp_path: Path) -> None:
    body = ('key = "high_low"\nsplit = "thresholds"\n'
            '[thresholds]\nrecency_days = 30\nfrequency = 2\nmonetary = 100\n'
            '[[segment]]\nid = "top"\ncodes = ["HHH"]\n'
            '[[segment]]\nid = "rest"\ncodes = ["(?!HHH)..."]\n')
    sch = load_scheme(_write(tmp_path, body))
    seg = rfm_segments(_dataset(80), sch, AS_OF)
    top = seg[seg.segment_id == "top"]
    assert ((top.recency_days < 30) & (top.frequency > 2) & (top.monetary > 100)).all()
    rest = seg[seg.segment_id == "rest"]
    assert not ((rest.recency_days < 30) & (rest.frequency > 2) & (rest.monetary > 100)).any()


def test_segment_counts_sum_and_migration() -> None:
    ds = _dataset(150)
    sch = load_scheme("classic11")
    seg = rfm_segments(ds, sch, AS_OF)
    counts = segment_counts(seg, sch)
    assert sum(counts.values()) == len(seg) == 150
    start = AS_OF - timedelta(days=180)
    mig, shares = migration(ds, start, AS_OF, sch)
    assert int(mig.to_numpy().sum()) == 150
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    before = rfm_segments(ds, sch, start)
    assert int(mig.drop(index="(new)", errors="ignore").to_numpy().sum()) == len(before)
