"""Simulated companies for the monitor tests."""

from __future__ import annotations

import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import SimulatedCompany, simulate

DAYS = 730  # 2024-01-01 .. 2025-12-30: December 2025 is partial (analysis date 12-31 at most)


@pytest.fixture(scope="session")
def steady() -> SimulatedCompany:
    """A small company whose customers keep arriving (2 years)."""
    return simulate(customers=3000, days=DAYS, seed=7, acquisition_share=1.0)


@pytest.fixture(scope="session")
def steady_ds(steady: SimulatedCompany) -> Dataset:
    # the simulator asks its loyalty question on 1-10 (as the demo declares)
    cfg = AnalysisConfig.model_validate({"survey": {"scales": {"loyalty_score": "1-10"}}})
    return Dataset.from_frames(steady.tables, config=cfg)
