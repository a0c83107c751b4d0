"""A simulated shop with a known dropout process, for churn tests."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset

START = pd.Timestamp("2022-01-01")
END_DAY = 900  # analysis date = START + 900 days


def simulate_frames(n: int = 800, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Customers buy at Poisson rate 1/15 per day until they drop out.

    Dropout: a baseline hazard of 1/2000 per day; 35% of customers file a complaint at a uniform
    day in [0, 800], and 80% of those drop out Exp(mean 5 days) after it. Major complaints
    drop out even more (95%), resolved-quickly minor ones less (10%); half of
    the slow ones are resolved (late).
    """
    rng = np.random.default_rng(seed)
    tx, cps, svs = [], [], []
    for i in range(n):
        cid = f"c{i:04d}"
        start = rng.uniform(0, 300)
        death = start + rng.exponential(2000)
        if rng.random() < 0.35:
            day = rng.uniform(start, 800)
            major = rng.random() < 0.4
            quick = rng.random() < 0.4
            p_drop = 0.95 if major else (0.1 if quick else 0.8)
            if rng.random() < p_drop:
                death = min(death, day + rng.exponential(5))
            closed = day + (0.5 if quick else 20)
            cps.append((f"k{i}", cid, START + pd.Timedelta(days=day), START + pd.Timedelta(days=closed),
                        "major" if major else "minor", bool(quick or rng.random() < 0.5)))
        t = start
        k = 0
        while True:
            if k > 0:
                t += rng.exponential(15)
            if t >= min(death, END_DAY):
                break
            tx.append((f"o{i}_{k}", cid, START + pd.Timedelta(days=t), float(rng.gamma(2, 40))))
            k += 1
        if rng.random() < 0.5:
            svs.append((f"r{i}", cid, START + pd.Timedelta(days=start + 10), float(rng.integers(0, 11))))
    return {
        "customers": pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(n)]}),
        "transactions": pd.DataFrame(tx, columns=["order_id", "customer_id", "order_ts", "amount"]),
        "complaints": pd.DataFrame(cps, columns=["complaint_id", "customer_id", "opened_ts", "closed_ts",
                                                 "severity", "resolved"]),
        "surveys": pd.DataFrame(svs, columns=["response_id", "customer_id", "answered_ts", "nps"]),
    }


def analysis_date() -> date:
    return (START + pd.Timedelta(days=END_DAY)).date()


@pytest.fixture(scope="session")
def shop_date() -> date:
    return analysis_date()


@pytest.fixture(scope="session")
def shop_frames() -> dict[str, pd.DataFrame]:
    return simulate_frames()


@pytest.fixture(scope="session")
def shop(shop_frames: dict[str, pd.DataFrame]) -> Dataset:
    cfg = AnalysisConfig.load(**{"analysis.analysis_date": analysis_date()})
    return Dataset.from_frames(shop_frames, config=cfg)
