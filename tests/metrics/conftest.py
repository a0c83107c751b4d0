"""Fixtures of the metric tests."""

from __future__ import annotations

import pandas as pd
import pytest
from canonical_frames import make_frames

from loyalscope.data.dataset import Dataset


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return make_frames()


@pytest.fixture(scope="module")
def ds(frames) -> Dataset:
    return Dataset.from_frames(frames)
