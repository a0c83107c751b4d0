"""The inactivity window from the data: a quantile of the days between consecutive purchase days."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.metrics.window import DEFAULT_DAYS, MIN_GAPS, inactivity_window


def _gaps(tx: pd.DataFrame) -> np.ndarray:
    days = tx.assign(d=tx.order_ts.dt.normalize()).drop_duplicates(["customer_id", "d"])
    days = days.sort_values(["customer_id", "d"])
    return days.groupby("customer_id").d.diff().dt.days.dropna().to_numpy()


def test_window_is_the_quantile_of_inter_purchase_days(frames):
    config = AnalysisConfig()
    win = inactivity_window(Dataset.from_frames(frames, config=config))
    gaps = _gaps(frames["transactions"])
    assert win.source == "data" and win.gaps == len(gaps) >= MIN_GAPS
    assert win.days == math.ceil(np.quantile(gaps, 0.9))
    assert win.median_gap == pytest.approx(np.median(gaps))


def test_configured_quantile_and_days(frames):
    config = AnalysisConfig.load(None, **{"analysis.inactivity_quantile": 0.5})
    win = inactivity_window(Dataset.from_frames(frames, config=config))
    assert win.days == math.ceil(np.quantile(_gaps(frames["transactions"]), 0.5))
    config = AnalysisConfig.load(None, **{"analysis.inactivity_days": 45})
    win = inactivity_window(Dataset.from_frames(frames, config=config))
    assert (win.days, win.source) == (45, "config")


def test_too_few_repeat_purchases_fall_back_to_the_default():
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(6)], "customer_id": ["a", "a", "b", "c", "d", "e"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-01-06",
                                                   "2024-01-07", "2024-01-08"]),
                       "amount": [10.0] * 6})
    win = inactivity_window(Dataset.from_frames({"transactions": tx}))
    assert (win.days, win.source, win.gaps) == (DEFAULT_DAYS, "default", 1)
