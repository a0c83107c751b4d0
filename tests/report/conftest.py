"""A full analysis of a simulated company, shared by the report tests (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from loyalscope.analysis import Analysis, analyze
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate


@dataclass
class Demo:
    frames: dict[str, pd.DataFrame]
    dataset: Dataset
    analysis: Analysis
    out: Path
    """Output folder written by ``write_outputs`` (report.html, loyalscope.xlsx, targets/ ...)."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from loyalscope.report.outputs import write_outputs

    company = simulate(customers=1200, days=730, seed=7)
    ds = Dataset.from_frames(company.tables)
    analysis = analyze(ds)
    out = tmp_path_factory.mktemp("demo")
    write_outputs(analysis, ds, out, "zh")
    return Demo({k: v.copy() for k, v in company.tables.items()}, ds, analysis, out)
