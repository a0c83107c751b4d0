"""The report's strategy section acts on metric gaps vs configured targets and on driver gaps
that the metric and satisfaction sections record (not only on hand-built facts)."""

from __future__ import annotations

import pytest

from loyalscope.analysis import analyze
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate


@pytest.fixture(scope="module")
def company():
    return simulate(customers=800, days=540, seed=3)


def _fired(company, targets: dict[str, float]) -> tuple[set[str], dict]:
    config = AnalysisConfig.model_validate({"analysis": {"targets": targets}})
    ds = Dataset.from_frames(company.tables, config=config)
    analysis = analyze(ds, config, sections=("behaviour", "satisfaction", "segments", "strategy"))
    strategy = analysis.section("strategy")
    ids = {r["rule"] for r in strategy.data.get("recommendations", [])}
    return ids, strategy.data


def test_repeat_rate_target_fires_only_when_missed(company) -> None:
    missed, _ = _fired(company, {"repeat_purchase_rate": 0.99})
    met, _ = _fired(company, {"repeat_purchase_rate": 0.0})
    assert "repeat_gap" in missed
    assert "repeat_gap" not in met
