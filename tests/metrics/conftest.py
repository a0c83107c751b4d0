"""Fixtures of the metric tests."""

from __future__ import annotations

import pandas as pd
import pytest
import reference
from canonical_frames import make_frames

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return make_frames()


@pytest.fixture(scope="module")
def ds(frames) -> Dataset:
    # the reference computations use a fixed inactivity window (the product's default comes
    # from the data, see test_window.py)
    config = AnalysisConfig()
    config.analysis.inactivity_days = reference.W
    return Dataset.from_frames(frames, config=config)
