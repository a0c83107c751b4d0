"""The service section's complaint themes: churned complainants (last order before the analysis
date minus the inactivity window) against those who stayed, with the last order joined in the
engine; checked against the flags computed in pandas from the whole transactions table."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.results import Section
from loyalscope.sections._themes import complaint_themes
from loyalscope.text.themes import themes

sys.path.insert(0, str(Path(__file__).parents[1] / "metrics"))
from canonical_frames import make_frames

W = 60


def _frames() -> dict[str, pd.DataFrame]:
    fr = make_frames(seed=5, n_customers=80, n_orders=700)
    cp = fr["complaints"].copy()
    # churned complainants mostly write about returns, the others about prices (with noise)
    end = Dataset.from_frames(fr).analysis_date
    last = fr["transactions"].groupby("customer_id").order_ts.max()
    gone = cp.customer_id.isin(last.index[last < pd.Timestamp(end - timedelta(days=W))])
    rng = np.random.default_rng(1)
    noise = rng.random(len(cp)) < 0.2
    cp["text"] = np.where(gone.to_numpy(dtype=bool) ^ noise, "退换货流程太麻烦，考虑换一家。",
                          rng.choice(["价格偏高。", "客服态度差，非常失望。"], len(cp)))
    cp.loc[cp.index[1::9], "text"] = None
    # a complainant without any order: no churn flag, left out of both groups
    cp.loc[0, "customer_id"] = "c_no_orders"
    cust = pd.concat([fr["customers"], fr["customers"].iloc[[0]].assign(
        customer_id="c_no_orders")], ignore_index=True)
    return {**fr, "complaints": cp, "customers": cust}


def test_complaint_themes_use_the_churn_flag_of_each_complainant() -> None:
    fr = _frames()
    config = AnalysisConfig()
    config.analysis.inactivity_days = W
    ds = Dataset.from_frames(fr, config=config)
    section = Section("service")
    complaint_themes(ds, section)

    # independent: every customer's last order in pandas, mapped onto the complaints
    cp = fr["complaints"][fr["complaints"].text.notna()].sort_values("complaint_id")
    last = fr["transactions"].groupby("customer_id").order_ts.max()
    cut = pd.Timestamp(ds.analysis_date - timedelta(days=W))
    churned = cp.customer_id.map(last < cut)
    assert churned[cp.customer_id == "c_no_orders"].isna().all()
    assert churned.notna().any() and churned.isna().any()
    quarter = pd.to_datetime(cp.opened_ts).dt.to_period("Q").astype(str)
    want = themes(cp.text.reset_index(drop=True), churned.reset_index(drop=True),
                  quarter.reset_index(drop=True))
    got = section.data.get("themes_complaint", [])
    assert got, "the frames must give at least one theme"
    assert [t["theme"] for t in got] == [th.term for th in want]
    assert [(t["share_focus"], t["share_other"], t["n_focus"], t["n_other"], t["trend"],
             t["examples"]) for t in got] == [
        (th.share_focus, th.share_other, th.n_focus, th.n_other, th.trend, th.examples)
        for th in want]
    n_flagged = int(churned.notna().sum())
    if got:
        assert got[0]["n_focus"] + got[0]["n_other"] == n_flagged


def test_chinese_texts_found_in_either_text_column() -> None:
    from loyalscope.sections._themes import chinese_texts

    fr = _frames()
    assert chinese_texts(Dataset.from_frames(fr))
    english = fr["complaints"].assign(text=fr["complaints"].text.where(
        fr["complaints"].text.isna(), "too slow, asked for a refund"))
    assert not chinese_texts(Dataset.from_frames({**fr, "complaints": english}))
    assert not chinese_texts(Dataset.from_frames({k: v for k, v in fr.items() if k != "complaints"}))
    # one comment in Chinese (an extension-A character) among English ones
    surveys = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": fr["customers"].customer_id[:2],
                            "answered_ts": pd.Timestamp("2024-01-05"), "csat": [4.0, 2.0],
                            "comment": ["fine", "\u3400 太慢"]})
    assert chinese_texts(Dataset.from_frames({**fr, "complaints": english, "surveys": surveys}))
