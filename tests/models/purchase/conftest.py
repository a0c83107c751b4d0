"""Fixtures of the purchase-model tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def cdnow(data_dir) -> pd.DataFrame:
    """The CDNOW sample's published per-customer summary (x, t_x, T in weeks; 2,357 customers)."""
    return pd.read_csv(data_dir / "cdnow_sample_summary.csv")
